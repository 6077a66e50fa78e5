// $WsEvent, Pode's shape: a hashtable with Request, Data, Files, Lockable, Timestamp, Metadata.
// Built in C# per message (no PowerShell-level calls); Data is parsed on first read only.
using System;
using System.Collections;
using System.Text;

namespace PodeWebSocket
{
    /// <summary>$WsEvent.Request.WebSocket: the connection a message came from.</summary>
    public sealed class WsConnection
    {
        private readonly byte[] nameUtf8;

        public WsConnection(string name, string url, string contentType)
        {
            Name = name;
            Url = url;
            ContentType = contentType;
            nameUtf8 = Encoding.UTF8.GetBytes(name);
        }

        public string Name { get; private set; }
        /// <summary>The URL now in use (changes after Reset-PodeWebSocket -Url).</summary>
        public string Url { get; internal set; }
        public string ContentType { get; private set; }
        /// <summary>The subprotocol the server chose ('' when none).</summary>
        public string SubProtocol { get; internal set; }
        /// <summary>True while the connection is open (asks the native core).</summary>
        public bool IsConnected { get { return Client.StateOf(nameUtf8) == ConnectionState.Open; } }

        internal byte[] NameUtf8 { get { return nameUtf8; } }

        public override string ToString() { return Name; }
    }

    /// <summary>$WsEvent.Request: one received message.</summary>
    public sealed class WsRequest
    {
        private readonly byte[] raw;
        private string body;

        public WsRequest(WsConnection webSocket, byte[] rawBody, bool binary)
        {
            WebSocket = webSocket;
            raw = rawBody ?? new byte[0];
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

    /// <summary>
    /// $WsEvent. A Hashtable (case-insensitive keys, like @{}) whose Data entry is parsed by the
    /// connection's ContentType the first time it is read, so handlers that only read
    /// Request.Body never pay for parsing. Every way of reading Data (indexer, member access,
    /// enumeration, Values, CopyTo, Clone) sees the parsed value. A body that does not parse
    /// gives $null (Pode would skip the handler; here it runs and can read Request.Body).
    /// </summary>
    public sealed class WsEvent : Hashtable, IEnumerable
    {
        private const string DataKey = "Data";
        private string pendingContentType;   // non-null while Data is not parsed yet

        private WsEvent() : base(8, StringComparer.OrdinalIgnoreCase) { }

        /// <summary>A message event; Data is parsed lazily from request.Body by contentType.</summary>
        public static WsEvent ForMessage(WsRequest request, string contentType, object lockable, DateTime timestamp)
        {
            var e = new WsEvent();
            e.Fill(request, null, lockable, timestamp);
            e.pendingContentType = contentType ?? string.Empty;
            return e;
        }

        /// <summary>A lifecycle event (OnOpen/OnClose/OnError): Data holds the details.</summary>
        public static WsEvent ForLifecycle(WsRequest request, Hashtable data, object lockable, DateTime timestamp)
        {
            var e = new WsEvent();
            e.Fill(request, data, lockable, timestamp);
            return e;
        }

        private void Fill(WsRequest request, object data, object lockable, DateTime timestamp)
        {
            base["Request"] = request;
            base[DataKey] = data;
            base["Files"] = ContentType.NewTable();
            base["Lockable"] = lockable;
            base["Timestamp"] = timestamp;
            base["Metadata"] = ContentType.NewTable();
        }

        private static bool IsData(object key)
        {
            var s = key as string;
            return s != null && s.Length == 4 && string.Equals(s, DataKey, StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>
        /// Parses Data now. A body that does not parse gives Data = $null and the reason in
        /// Request.DataError (PowerShell swallows exceptions thrown by a dictionary read anyway).
        /// </summary>
        private void Materialize()
        {
            string contentType = pendingContentType;
            if (contentType == null) return;
            pendingContentType = null;
            var request = (WsRequest)base["Request"];
            try
            {
                base[DataKey] = ContentReader.Parse(contentType, request.Body);
            }
            catch (Exception e)
            {
                var pe = PodeWebSocketException.Find(e);
                base[DataKey] = null;
                request.DataError = "the message could not be parsed as " + contentType + ": " + (pe != null ? pe.Message : e.Message);
            }
        }

        public override object this[object key]
        {
            get
            {
                if (pendingContentType != null && IsData(key)) Materialize();
                return base[key];
            }
            set
            {
                if (IsData(key)) pendingContentType = null;
                base[key] = value;
            }
        }

        public override void Remove(object key)
        {
            if (IsData(key)) pendingContentType = null;
            base.Remove(key);
        }

        public override void Clear()
        {
            pendingContentType = null;
            base.Clear();
        }

        public override ICollection Values { get { Materialize(); return base.Values; } }
        public override IDictionaryEnumerator GetEnumerator() { Materialize(); return base.GetEnumerator(); }
        IEnumerator IEnumerable.GetEnumerator() { Materialize(); return base.GetEnumerator(); }
        public override void CopyTo(Array array, int arrayIndex) { Materialize(); base.CopyTo(array, arrayIndex); }
        public override bool ContainsValue(object value) { Materialize(); return base.ContainsValue(value); }

        /// <summary>A plain Hashtable copy (Data parsed).</summary>
        public override object Clone()
        {
            Materialize();
            var copy = ContentType.NewTable();
            foreach (DictionaryEntry entry in (IDictionary)this) copy[entry.Key] = entry.Value;
            return copy;
        }
    }
}
