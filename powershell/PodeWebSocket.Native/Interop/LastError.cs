// The calling thread's last native error message, and the check that turns a non-zero result
// into the module's error.
using System;
using System.Text;

namespace PodeWebSocket
{
    internal static unsafe class LastError
    {
        public static string Read()
        {
            byte* small = stackalloc byte[512];
            UIntPtr len;
            var rc = NativeMethods.pode_ws_last_error(small, (UIntPtr)512, &len);
            int n = (int)len;
            if (rc == PodeWsResult.Ok) return Encoding.UTF8.GetString(small, Math.Min(n, 512));
            if (rc == PodeWsResult.BufferTooSmall && n > 0)
            {
                var big = new byte[n];
                fixed (byte* p = big)
                {
                    rc = NativeMethods.pode_ws_last_error(p, (UIntPtr)n, &len);
                    if (rc == PodeWsResult.Ok) return Encoding.UTF8.GetString(p, Math.Min((int)len, n));
                }
            }
            return string.Empty;
        }

        /// <summary>Throws the PodeWebSocketException of a non-zero result (name: the connection).</summary>
        public static void Check(PodeWsResult rc, string name)
        {
            if (rc != PodeWsResult.Ok) throw Errors.FromNative(rc, Read(), name);
        }
    }
}
