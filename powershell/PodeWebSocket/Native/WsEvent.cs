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
    /// Files and Metadata are empty hashtables, also made on first read.
    /// </summary>
    public sealed class WsEvent : Hashtable, IEnumerable
    {
        private const string DataKey = "Data";
        private const string FilesKey = "Files";
        private const string MetadataKey = "Metadata";
        private const int PendingData = 1, PendingFiles = 2, PendingMetadata = 4;

        // Entries not built yet: Data (parsed on first read), and the empty Files and Metadata
        // tables (allocated on first read). Every way of reading them builds them first.
        private int pending;
        private string contentType;

        private WsEvent() : base(8, StringComparer.OrdinalIgnoreCase) { }

        /// <summary>A message event; Data is parsed lazily from request.Body by contentType.</summary>
        public static WsEvent ForMessage(WsRequest request, string contentType, object lockable, DateTime timestamp)
        {
            var e = new WsEvent();
            e.Fill(request, null, lockable, timestamp);
            e.contentType = contentType ?? string.Empty;
            e.pending = PendingData | PendingFiles | PendingMetadata;
            return e;
        }

        /// <summary>A lifecycle event (OnOpen/OnClose/OnError): Data holds the details.</summary>
        public static WsEvent ForLifecycle(WsRequest request, Hashtable data, object lockable, DateTime timestamp)
        {
            var e = new WsEvent();
            e.Fill(request, data, lockable, timestamp);
            e.pending = PendingFiles | PendingMetadata;
            return e;
        }

        private void Fill(WsRequest request, object data, object lockable, DateTime timestamp)
        {
            base["Request"] = request;
            base[DataKey] = data;
            base[FilesKey] = null;
            base["Lockable"] = lockable;
            base["Timestamp"] = timestamp;
            base[MetadataKey] = null;
        }

        private static int PendingFlag(object key)
        {
            var s = key as string;
            if (s == null) return 0;
            switch (s.Length)
            {
                case 4: return string.Equals(s, DataKey, StringComparison.OrdinalIgnoreCase) ? PendingData : 0;
                case 5: return string.Equals(s, FilesKey, StringComparison.OrdinalIgnoreCase) ? PendingFiles : 0;
                case 8: return string.Equals(s, MetadataKey, StringComparison.OrdinalIgnoreCase) ? PendingMetadata : 0;
                default: return 0;
            }
        }

        private void Build(int flag)
        {
            pending &= ~flag;
            if (flag == PendingFiles) { base[FilesKey] = ContentType.NewTable(); return; }
            if (flag == PendingMetadata) { base[MetadataKey] = ContentType.NewTable(); return; }
            // Data. A body that does not parse gives $null and the reason in Request.DataError
            // (PowerShell swallows exceptions thrown by a dictionary read anyway).
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

        private void BuildAll()
        {
            if ((pending & PendingData) != 0) Build(PendingData);
            if ((pending & PendingFiles) != 0) Build(PendingFiles);
            if ((pending & PendingMetadata) != 0) Build(PendingMetadata);
        }

        public override object this[object key]
        {
            get
            {
                if (pending != 0)
                {
                    int flag = PendingFlag(key);
                    if ((pending & flag) != 0) Build(flag);
                }
                return base[key];
            }
            set
            {
                if (pending != 0) pending &= ~PendingFlag(key);
                base[key] = value;
            }
        }

        public override void Remove(object key)
        {
            if (pending != 0) pending &= ~PendingFlag(key);
            base.Remove(key);
        }

        public override void Clear()
        {
            pending = 0;
            base.Clear();
        }

        public override ICollection Values { get { BuildAll(); return base.Values; } }
        public override IDictionaryEnumerator GetEnumerator() { BuildAll(); return base.GetEnumerator(); }
        IEnumerator IEnumerable.GetEnumerator() { BuildAll(); return base.GetEnumerator(); }
        public override void CopyTo(Array array, int arrayIndex) { BuildAll(); base.CopyTo(array, arrayIndex); }
        public override bool ContainsValue(object value) { BuildAll(); return base.ContainsValue(value); }

        /// <summary>A plain Hashtable copy (Data parsed).</summary>
        public override object Clone()
        {
            BuildAll();
            var copy = ContentType.NewTable();
            foreach (DictionaryEntry entry in (IDictionary)this) copy[entry.Key] = entry.Value;
            return copy;
        }
    }
}
