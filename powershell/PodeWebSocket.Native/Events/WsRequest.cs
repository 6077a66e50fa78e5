// $WsEvent.Request: one received message (Body decoded on first read).
using System;
using System.Text;

namespace PodeWebSocket
{
    public sealed class WsRequest
    {
        private readonly byte[] raw;
        private string body;

        public WsRequest(WsConnection webSocket, byte[] rawBody, bool binary)
        {
            WebSocket = webSocket;
            raw = rawBody ?? Array.Empty<byte>();
            Type = binary ? "Binary" : "Text";
        }

        /// <summary>The message as UTF-8 text (decoded on first read; binary messages too, like Pode).</summary>
        public string Body
        {
            get
            {
                if (body == null) body = raw.Length == 0 ? string.Empty : Encoding.UTF8.GetString(raw);
                return body;
            }
        }

        public byte[] RawBody { get { return raw; } }
        public int ContentLength { get { return raw.Length; } }
        /// <summary>The frame type: Text or Binary.</summary>
        public string Type { get; private set; }
        public WsConnection WebSocket { get; private set; }
        /// <summary>Why $WsEvent.Data is $null: the body did not parse by the content type (set once Data was read).</summary>
        public string DataError { get; internal set; }

        public override string ToString() { return Body; }
    }
}
