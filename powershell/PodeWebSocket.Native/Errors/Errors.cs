// The module's errors: stable ErrorIds (PodeWebSocket.*), categories, the native result code and
// message. Native result codes map to ErrorIds here, by code only (never by a message's words).
using System;
using System.Management.Automation;

namespace PodeWebSocket
{
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
        /// <summary>The ErrorId and category of a native result code, with the native message.</summary>
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
                case PodeWsResult.Tls: id = "Tls"; category = ErrorCategory.SecurityError; break;
                case PodeWsResult.HandshakeRejected: id = "HandshakeRejected"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.Proxy: id = "Proxy"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.Network: id = "Network"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.Protocol: id = "Protocol"; category = ErrorCategory.ProtocolError; break;
                case PodeWsResult.TlsUntrusted: id = "TlsUntrusted"; category = ErrorCategory.SecurityError; break;
                case PodeWsResult.Redirect: id = "Redirect"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.ReconnectGaveUp: id = "ReconnectGaveUp"; category = ErrorCategory.ConnectionError; break;
                case PodeWsResult.ReconnectHandlerFailed: id = "ReconnectHandlerFailed"; category = ErrorCategory.OperationStopped; break;
                default: id = "Internal"; category = ErrorCategory.NotSpecified; break;
            }
            if (string.IsNullOrEmpty(message)) message = "the native library failed with " + code;
            return new PodeWebSocketException("PodeWebSocket." + id, category, message, name, code);
        }

        public static PodeWebSocketException Invalid(string id, string message, string name)
        {
            return new PodeWebSocketException("PodeWebSocket." + id, ErrorCategory.InvalidArgument, message, name);
        }

        /// <summary>Any exception as the module's error (anything but ours is a failed conversion).</summary>
        public static PodeWebSocketException AsError(Exception e, string name)
        {
            var found = PodeWebSocketException.Find(e);
            if (found != null) return found;
            var inner = e is MethodInvocationException && e.InnerException != null ? e.InnerException : e;
            return new PodeWebSocketException("PodeWebSocket.ConversionFailed", ErrorCategory.InvalidData,
                "the message could not be converted: " + inner.Message, name);
        }
    }
}
