// What Get-PodeWebSocket shows of a connection: the core's pode_ws_info (state, URLs, proxy,
// compression, counters, last close and error) beside what the module knows (content type,
// handlers, handler errors), as typed objects the format data lays out. Never a header value,
// a password or a certificate (pode_ws_info holds none).
using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace PodeWebSocket
{
    /// <summary>The last close the core saw.</summary>
    public sealed class ConnectionClose
    {
        public int Code { get; internal set; }
        public string Reason { get; internal set; }
        /// <summary>Local, Remote or Lost.</summary>
        public string ClosedBy { get; internal set; }
        public override string ToString() { return Code + " by " + ClosedBy + (string.IsNullOrEmpty(Reason) ? string.Empty : ": " + Reason); }
    }

    /// <summary>The last network or protocol error of a connection.</summary>
    public sealed class ErrorInfo
    {
        public string Message { get; internal set; }
        /// <summary>PodeWebSocket.&lt;Reason&gt;, as the ErrorRecords of the commands.</summary>
        public string ErrorId { get; internal set; }
        /// <summary>When it happened (UTC).</summary>
        public DateTime Time { get; internal set; }
        /// <summary>False once a connect succeeded after it: the connection recovered.</summary>
        public bool IsCurrent { get; internal set; }
        public override string ToString() { return Message; }
    }

    /// <summary>The proxy of the last connect (host and port, never credentials).</summary>
    public sealed class ProxyInfo
    {
        public string Url { get; internal set; }
        /// <summary>Where it came from: -Proxy, or the environment variable (HTTPS_PROXY, ...).</summary>
        public string Source { get; internal set; }
        public override string ToString() { return Url + " (" + Source + ")"; }
    }

    /// <summary>permessage-deflate as negotiated by the last connect.</summary>
    public sealed class CompressionInfo
    {
        public bool Negotiated { get; internal set; }
        public int? ClientMaxWindowBits { get; internal set; }
        public int? ServerMaxWindowBits { get; internal set; }
        public bool ClientNoContextTakeover { get; internal set; }
        public bool ServerNoContextTakeover { get; internal set; }

        public override string ToString()
        {
            if (!Negotiated) return "none";
            var sb = new StringBuilder("permessage-deflate");
            if (ClientMaxWindowBits != null) sb.Append("; client_max_window_bits=").Append(ClientMaxWindowBits);
            if (ServerMaxWindowBits != null) sb.Append("; server_max_window_bits=").Append(ServerMaxWindowBits);
            if (ClientNoContextTakeover) sb.Append("; client_no_context_takeover");
            if (ServerNoContextTakeover) sb.Append("; server_no_context_takeover");
            return sb.ToString();
        }
    }

    public sealed class ConnectionInfo
    {
        public string Name { get; private set; }
        /// <summary>Connecting, Open, Reconnecting or Closed.</summary>
        public string State { get; private set; }
        /// <summary>The configured URL (after Reset -Url or a reconnect handler's answer).</summary>
        public string Url { get; private set; }
        /// <summary>Where the last connect arrived after redirects (query string redacted); null before one.</summary>
        public string ConnectedUrl { get; private set; }
        /// <summary>The proxy of the last connect; null when it went direct.</summary>
        public ProxyInfo Proxy { get; private set; }
        public string SubProtocol { get; private set; }
        public CompressionInfo Compression { get; private set; }
        public string ContentType { get; private set; }
        /// <summary>Handler (messages go to its handlers) or Receive (to Receive-PodeWebSocket).</summary>
        public string Mode { get; private set; }
        /// <summary>Connect-PodeWebSocket -ReuseRawBody: RawBody of large binary messages is valid only while handled.</summary>
        public bool ReuseRawBody { get; private set; }
        public long MessagesIn { get; private set; }
        /// <summary>Message bytes received (after decompression).</summary>
        public long BytesIn { get; private set; }
        public long MessagesOut { get; private set; }
        public long BytesOut { get; private set; }
        /// <summary>Bytes received on the socket (TLS, framing, compression and the handshake included).</summary>
        public long WireBytesIn { get; private set; }
        public long WireBytesOut { get; private set; }
        public long Reconnects { get; private set; }
        public long QueuedEvents { get; private set; }
        public long QueuedBytes { get; private set; }
        /// <summary>When the connection last opened (UTC); null before.</summary>
        public DateTime? OpenedAt { get; private set; }
        public ConnectionClose LastClose { get; private set; }
        public ErrorInfo LastError { get; private set; }
        public long HandlerErrors { get; private set; }
        public HandlerError LastHandlerError { get; private set; }

        public override string ToString() { return Name; }

        /// <summary>Every connection the core knows, in its order.</summary>
        public static ConnectionInfo[] List()
        {
            var all = new List<ConnectionInfo>();
            using (var doc = JsonDocument.Parse(Native.List()))
            {
                foreach (var item in doc.RootElement.EnumerateArray()) all.Add(From(item));
            }
            return all.ToArray();
        }

        private static ConnectionInfo From(JsonElement info)
        {
            string name = Text(info, "name");
            var definition = Registry.Find(name);
            var result = new ConnectionInfo
            {
                Name = name,
                State = Text(info, "state"),
                Url = Text(info, "url"),
                ConnectedUrl = Text(info, "connectedUrl"),
                SubProtocol = Text(info, "subprotocol"),
                ContentType = definition != null ? definition.ContentType : null,
                Mode = definition != null && definition.HasHandlers ? "Handler" : "Receive",
                ReuseRawBody = definition != null && definition.ReuseRawBody,
                MessagesIn = Number(info, "messagesIn"),
                BytesIn = Number(info, "bytesIn"),
                MessagesOut = Number(info, "messagesOut"),
                BytesOut = Number(info, "bytesOut"),
                WireBytesIn = Number(info, "wireBytesIn"),
                WireBytesOut = Number(info, "wireBytesOut"),
                Reconnects = Number(info, "reconnects"),
                QueuedEvents = Number(info, "queuedEvents"),
                QueuedBytes = Number(info, "queuedBytes"),
                HandlerErrors = definition != null ? definition.HandlerErrorCount : 0,
                LastHandlerError = definition != null ? definition.LastHandlerError : null,
            };
            long opened = Number(info, "openedAtMs");
            if (opened > 0) result.OpenedAt = Time(opened);

            JsonElement e;
            if (Object(info, "proxy", out e)) result.Proxy = new ProxyInfo { Url = Text(e, "url"), Source = Text(e, "source") };
            var compression = new CompressionInfo();
            if (Object(info, "compression", out e) && e.TryGetProperty("negotiated", out var negotiated) && negotiated.ValueKind == JsonValueKind.True)
            {
                compression.Negotiated = true;
                compression.ClientMaxWindowBits = OptionalNumber(e, "clientMaxWindowBits");
                compression.ServerMaxWindowBits = OptionalNumber(e, "serverMaxWindowBits");
                compression.ClientNoContextTakeover = Flag(e, "clientNoContextTakeover");
                compression.ServerNoContextTakeover = Flag(e, "serverNoContextTakeover");
            }
            result.Compression = compression;
            if (Object(info, "lastClose", out e))
            {
                result.LastClose = new ConnectionClose { Code = (int)Number(e, "code"), Reason = Text(e, "reason"), ClosedBy = Text(e, "closedBy") };
            }
            if (Object(info, "lastError", out e))
            {
                string message = Text(e, "message");
                result.LastError = new ErrorInfo
                {
                    Message = message,
                    ErrorId = Errors.FromNative((PodeWsResult)Number(e, "code"), message, name).ErrorId,
                    Time = Time(Number(e, "atMs")),
                    IsCurrent = Flag(e, "current"),
                };
            }
            return result;
        }

        internal static DateTime Time(long unixMs)
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime;
        }

        internal static string Text(JsonElement e, string key)
        {
            return e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }

        internal static long Number(JsonElement e, string key)
        {
            return e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        }

        internal static int? OptionalNumber(JsonElement e, string key)
        {
            return e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : (int?)null;
        }

        internal static bool Flag(JsonElement e, string key)
        {
            return e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;
        }

        private static bool Object(JsonElement e, string key, out JsonElement value)
        {
            return e.TryGetProperty(key, out value) && value.ValueKind == JsonValueKind.Object;
        }
    }
}
