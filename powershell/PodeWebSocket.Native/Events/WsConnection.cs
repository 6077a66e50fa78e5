// $WsEvent.Request.WebSocket: the connection a message came from (one object per connection,
// shared by its events).
using System;

namespace PodeWebSocket
{
    public sealed class WsConnection
    {
        private readonly byte[] nameUtf8;

        public WsConnection(string name, string url, string contentType)
        {
            Name = name;
            Url = url;
            ContentType = contentType;
            nameUtf8 = Utf8.Encode(name);
        }

        public string Name { get; private set; }
        /// <summary>The URL now in use (changes after Reset-PodeWebSocket -Url).</summary>
        public string Url { get; internal set; }
        public string ContentType { get; private set; }
        /// <summary>The subprotocol the server chose ('' when none).</summary>
        public string SubProtocol { get; internal set; }
        /// <summary>True while the connection is open (asks the native core).</summary>
        public bool IsConnected { get { return Native.State(nameUtf8) == ConnectionState.Open; } }

        public override string ToString() { return Name; }
    }
}
