// What the glue writes for people: a trace (PODEWS_TRACE=1, to stderr) and error lines shown on
// a PowerShell host (handler failures, a dispatcher that stopped). Never throws.
using System;
using System.Management.Automation.Host;
using System.Threading;

namespace PodeWebSocket
{
    internal static class HostOutput
    {
        internal static readonly bool Tracing = Environment.GetEnvironmentVariable("PODEWS_TRACE") == "1";

        public static void Trace(string text)
        {
            if (Tracing) Console.Error.WriteLine("[podews " + DateTime.Now.ToString("HH:mm:ss.fff") + " t" + Thread.CurrentThread.ManagedThreadId + "] " + text);
        }

        /// <summary>An error line on the host (stderr when there is none).</summary>
        public static void ShowError(PSHost host, string text)
        {
            try
            {
                if (host != null && host.UI != null) host.UI.WriteErrorLine(text);
                else Console.Error.WriteLine(text);
            }
            catch (Exception) { }
        }
    }
}
