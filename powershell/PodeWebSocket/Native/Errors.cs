// Native result codes → PowerShell errors with stable ErrorIds, categories and the native message.
using System;
using System.Management.Automation;
using System.Text;

namespace PodeWebSocket
{
    /// <summary>The PodeWsResult codes of include/pode_ws.h.</summary>
    public enum PodeWsResult
    {
        Ok = 0, InvalidArgument = 1, NullPointer = 2, InvalidUtf8 = 3, InvalidOptions = 4, InvalidUrl = 5,
        NameInUse = 6, UnknownName = 7, NotOpen = 8, Timeout = 9, Cancelled = 10, MessageTooLarge = 11,
        Closed = 12, BufferTooSmall = 13, Dns = 14, ConnectionRefused = 15, Tls = 16, HandshakeRejected = 17,
        Proxy = 18, Network = 19, Protocol = 20, Panic = 21, Internal = 22,
        TlsUntrusted = 23, Redirect = 24, ReconnectGaveUp = 25,
    }

    /// <summary>An error of the module: ErrorId (PodeWebSocket.*), category, native code and message.</summary>
    public sealed class PodeWebSocketException : Exception
    {
        public string ErrorId { get; private set; }
        public ErrorCategory Category { get; private set; }
        public PodeWsResult NativeCode { get; private set; }
        public string ConnectionName { get; private set; }

        public PodeWebSocketException(string errorId, ErrorCategory category, string message, string connectionName)
            : this(errorId, category, message, connectionName, PodeWsResult.Ok) { }

        public PodeWebSocketException(string errorId, ErrorCategory category, string message, string connectionName, PodeWsResult nativeCode)
            : base(message)
        {
            ErrorId = errorId;
            Category = category;
            ConnectionName = connectionName;
            NativeCode = nativeCode;
        }

        /// <summary>The ErrorRecord a command writes for this error (target: the connection name).</summary>
        public ErrorRecord ToErrorRecord()
        {
            return new ErrorRecord(this, ErrorId, Category, ConnectionName);
        }

        /// <summary>Finds a PodeWebSocketException in an exception chain (PowerShell wraps .NET exceptions).</summary>
        public static PodeWebSocketException Find(Exception e)
        {
            while (e != null)
            {
                var pe = e as PodeWebSocketException;
                if (pe != null) return pe;
                e = e.InnerException;
            }
            return null;
        }
    }

    internal static class Errors
    {
        /// <summary>The ErrorId and category for a native result; the message refines TLS errors.</summary>
        public static PodeWebSocketException FromNative(PodeWsResult code, string message, string name)
        {
            string id;
            ErrorCategory category;
            switch (code)
            {
                case PodeWsResult.InvalidArgument: id = "InvalidArgument"; category = ErrorCategory.InvalidArgument; break;
                case PodeWsResult.InvalidUtf8: id = "InvalidUtf8"; category = ErrorCategory.InvalidData; break;
                case PodeWsResult.InvalidOptions: id = "InvalidOptions"; category = ErrorCategory.InvalidArgument; break;
                case PodeWsResult.InvalidUrl: id = "InvalidUrl"; category = ErrorCategory.InvalidArgument; break;
                case PodeWsResult.NameInUse: id = "NameInUse"; category = ErrorCategory.ResourceExists; break;
                case PodeWsResult.UnknownName: id = "UnknownName"; category = ErrorCategory.ObjectNotFound; break;
                case PodeWsResult.NotOpen: id = "NotOpen"; category = ErrorCategory.InvalidOperation; break;
                case PodeWsResult.Timeout: id = "Timeout"; category = ErrorCategory.OperationTimeout; break;
                case PodeWsResult.Cancelled: id = "Cancelled"; category = ErrorCategory.OperationStopped; break;
                case PodeWsResult.MessageTooLarge: id = "MessageTooLarge"; category = ErrorCategory.LimitsExceeded; break;
                case PodeWsResult.Closed: id = "Closed"; category = ErrorCategory.ResourceUnavailable; break;
                case PodeWsResult.Dns: id = "DnsFailure"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.ConnectionRefused: id = "ConnectionRefused"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.Tls:
                    bool untrusted = message != null && message.IndexOf("not trusted", StringComparison.OrdinalIgnoreCase) >= 0;
                    id = untrusted ? "TlsUntrusted" : "Tls";
                    category = ErrorCategory.SecurityError;
                    break;
                case PodeWsResult.HandshakeRejected: id = "HandshakeRejected"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.Proxy: id = "Proxy"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.Network: id = "Network"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.Protocol: id = "Protocol"; category = ErrorCategory.ProtocolError; break;
                case PodeWsResult.TlsUntrusted: id = "TlsUntrusted"; category = ErrorCategory.SecurityError; break;
                case PodeWsResult.Redirect: id = "Redirect"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.ReconnectGaveUp: id = "ReconnectGaveUp"; category = ErrorCategory.ConnectionError; break;
                default: id = "Internal"; category = ErrorCategory.NotSpecified; break;
            }
            if (string.IsNullOrEmpty(message)) message = "the native library failed with " + code;
            return new PodeWebSocketException("PodeWebSocket." + id, category, message, name, code);
        }

        public static PodeWebSocketException NameRequired(string command)
        {
            return new PodeWebSocketException("PodeWebSocket.NameRequired", ErrorCategory.InvalidArgument,
                command + ": no -Name was given and the call is not inside a WebSocket handler (no $WsEvent).", null);
        }

        public static PodeWebSocketException Invalid(string id, string message, string name)
        {
            return new PodeWebSocketException("PodeWebSocket." + id, ErrorCategory.InvalidArgument, message, name);
        }
    }

    /// <summary>Reads the calling thread's last native error message.</summary>
    internal static unsafe class LastError
    {
        public static string Read()
        {
            byte* small = stackalloc byte[512];
            UIntPtr len;
            int rc = NativeMethods.pode_ws_last_error(small, (UIntPtr)512, &len);
            int n = (int)len;
            if (rc == 0) return Encoding.UTF8.GetString(small, Math.Min(n, 512));
            if (rc == (int)PodeWsResult.BufferTooSmall && n > 0)
            {
                var big = new byte[n];
                fixed (byte* p = big)
                {
                    rc = NativeMethods.pode_ws_last_error(p, (UIntPtr)n, &len);
                    if (rc == 0) return Encoding.UTF8.GetString(p, Math.Min((int)len, n));
                }
            }
            return string.Empty;
        }

        /// <summary>Throws the PodeWebSocketException for a non-zero result.</summary>
        public static void Check(int rc, string name)
        {
            if (rc != 0) throw Errors.FromNative((PodeWsResult)rc, Read(), name);
        }
    }
}
