// $WsEvent.Request: one received message. Pode's properties first, in the order Pode's
// PodeWebSocketRequest shows them (WebSocket, RawBody, ContentLength, Body, ContentEncoding), ours
// after them. A binary message holds its bytes (Body decoded on first read); a text message holds
// its text, decoded once from native memory (RawBody encoded from it on first read: the core
// passes only valid UTF-8, so the bytes are the message's own), so the handlers that read Body,
// nearly all, get one managed copy of the message instead of two.
using System;
using System.Text;
using System.Threading;

namespace PodeWebSocket
{
    public sealed class WsRequest
    {
        private static readonly Encoding Utf8NoBom = new UTF8Encoding(false);
        private byte[] raw;
        private string body;
        private readonly int length;

        /// <summary>A binary message (or none: null), its bytes a managed copy.</summary>
        public WsRequest(WsConnection webSocket, byte[] rawBody, bool binary)
        {
            WebSocket = webSocket;
            raw = rawBody ?? Array.Empty<byte>();
            length = raw.Length;
            Type = binary ? "Binary" : "Text";
        }

        private WsRequest(WsConnection webSocket, string text, int byteLength)
        {
            WebSocket = webSocket;
            body = text;
            length = byteLength;
            Type = "Text";
        }

        /// <summary>A text message: its text and its length in UTF-8 bytes.</summary>
        internal static WsRequest ForText(WsConnection webSocket, string text, int byteLength)
        {
            return new WsRequest(webSocket, text, byteLength);
        }

        public WsConnection WebSocket { get; private set; }

        /// <summary>The message's bytes (of a text message: made on first read, the same array after).</summary>
        public byte[] RawBody
        {
            get
            {
                var bytes = raw;
                if (bytes != null) return bytes;
                bytes = Utf8NoBom.GetBytes(body);
                return Interlocked.CompareExchange(ref raw, bytes, null) ?? bytes;
            }
        }

        /// <summary>
        /// Takes a binary message's bytes away for reuse (-ReuseRawBody, once its handler moved
        /// on): RawBody is empty from then on, so a $WsEvent kept past its handler shows no bytes
        /// rather than another message's. Null for a text message or one already taken.
        /// </summary>
        internal byte[] TakeRawBody()
        {
            if (Type != "Binary" || raw == null || raw.Length == 0) return null;
            var bytes = raw;
            raw = Array.Empty<byte>();
            return bytes;
        }

        /// <summary>The message's length in bytes.</summary>
        public int ContentLength { get { return length; } }

        /// <summary>The message as UTF-8 text (of a binary message: decoded on first read, like Pode).</summary>
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
