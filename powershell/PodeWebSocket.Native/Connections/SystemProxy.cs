// The system proxy settings, for the platforms where .NET's HttpClient.DefaultProxy (what Pode's
// ClientWebSocket uses) falls back to them when no proxy variable is set: Windows (WinINet /
// WinHTTP settings, PAC scripts included) and macOS (System Settings). The answer is handed to the
// core as proxy.url (or "direct"), so the core keeps one proxy implementation.
// Untested: this project's machines run Linux only.
using System;
using System.Net;
using System.Net.Http;

namespace PodeWebSocket
{
    internal static class SystemProxy
    {
        /// <summary>Whether .NET consults system proxy settings on this platform.</summary>
        public static bool Applies { get { return OperatingSystem.IsWindows() || OperatingSystem.IsMacOS(); } }

        /// <summary>
        /// The system's proxy for a ws:// or wss:// URL (asked as http:// or https://), as
        /// "scheme://host:port"; null when it goes direct. False when there is no answer (not an
        /// absolute ws URL, or .NET failed): the caller then leaves the choice to the core.
        /// </summary>
        public static bool TryResolve(string url, out string proxy)
        {
            proxy = null;
            Uri target;
            if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out target)) return false;
            string scheme;
            if (string.Equals(target.Scheme, "wss", StringComparison.OrdinalIgnoreCase)) scheme = "https";
            else if (string.Equals(target.Scheme, "ws", StringComparison.OrdinalIgnoreCase)) scheme = "http";
            else return false;
            try
            {
                // ws://host/ has port 80 as http://host/ does, wss:// 443 as https://
                var http = new UriBuilder(target) { Scheme = scheme, Port = target.IsDefaultPort ? -1 : target.Port }.Uri;
                IWebProxy system = HttpClient.DefaultProxy;
                if (system == null || system.IsBypassed(http)) return true;
                Uri answer = system.GetProxy(http);
                if (answer == null || answer == http) return true;
                proxy = answer.Scheme + "://" + answer.Authority;
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        }
    }
}
