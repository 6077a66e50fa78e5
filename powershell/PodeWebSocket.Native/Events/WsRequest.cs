// $WsEvent.Request: one received message (Body decoded on first read). Pode's properties first,
// in the order Pode's PodeWebSocketRequest shows them (WebSocket, RawBody, ContentLength, Body,
// ContentEncoding), ours after them.
using System;
using System.Text;

namespace PodeWebSocket
{
    public sealed class WsRequest
    {
        private static readonly Encoding Utf8NoBom = new UTF8Encoding(false);
        private readonly byte[] raw;
        private string body;

        public WsRequest(WsConnection webSocket, byte[] rawBody, bool binary)
        {
            WebSocket = webSocket;
            raw = rawBody ?? Array.Empty<byte>();
            Type = binary ? "Binary" : "Text";
        }

        public WsConnection WebSocket { get; private set; }
        public byte[] RawBody { get { return raw; } }
        public int ContentLength { get { return raw.Length; } }

        /// <summary>The message as UTF-8 text (decoded on first read; binary messages too, like Pode).</summary>
        public string Body
        {
            get
            {
                if (body == null) body = raw.Length == 0 ? string.Empty : Encoding.UTF8.GetString(raw);
                return body;
            }
        }

        /// <summary>UTF-8, as in Pode (the encoding Body is decoded with).</summary>
        public Encoding ContentEncoding { get { return Utf8NoBom; } }
        /// <summary>The frame type: Text or Binary.</summary>
        public string Type { get; private set; }
        /// <summary>Why $WsEvent.Data is $null: the body did not parse by the content type (set once Data was read).</summary>
        public string DataError { get; internal set; }

        public override string ToString() { return Body; }
    }
}
