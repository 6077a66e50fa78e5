// $WsEvent.Request.WebSocket: the connection a message came from (one object per connection,
// shared by its events). Pode's properties first, in Pode's order (Name, URL, ContentType,
// IsConnected), ours after them.
using System;
using System.Collections;

namespace PodeWebSocket
{
    public sealed class WsConnection
    {
        private readonly byte[] nameUtf8;

        public WsConnection(string name, string url, string contentType)
        {
            Name = name;
            SetUrl(url);
            ContentType = contentType;
            nameUtf8 = Utf8.Encode(name);
            Items = Hashtable.Synchronized(new Hashtable(StringComparer.OrdinalIgnoreCase));
        }

        public string Name { get; private set; }
        /// <summary>The URL now in use, a [uri] as in Pode (changes after a reset or a reconnect to another URL).</summary>
        public Uri URL { get; private set; }
        public string ContentType { get; private set; }
        /// <summary>True while the connection is open (asks the native core).</summary>
        public bool IsConnected { get { return Native.State(nameUtf8) == ConnectionState.Open; } }
        /// <summary>The subprotocol the server chose ('' when none).</summary>
        public string SubProtocol { get; internal set; }
        /// <summary>
        /// State that lives as long as the connection (across messages, reconnects and resets), seen
        /// by all its handlers and by no other connection: handler variables start fresh for every
        /// message. Synchronized, case-insensitive keys like @{}.
        /// </summary>
        public Hashtable Items { get; private set; }

        /// <summary>Sets URL from the core's text (left as it was when the text is not an absolute URI).</summary>
        internal void SetUrl(string url)
        {
            Uri parsed;
            if (!string.IsNullOrEmpty(url) && Uri.TryCreate(url, UriKind.Absolute, out parsed)) URL = parsed;
        }

        public override string ToString() { return Name; }
    }
}
