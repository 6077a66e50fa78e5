// $WsEvent, Pode's shape: a hashtable with Request, Data, Files, Lockable, Timestamp, Metadata,
// whose six entries live in fields (cheap to build per message); Data is parsed on first read.
// EventFactory builds them from native events.
using System;
using System.Collections;

namespace PodeWebSocket
{
    /// <summary>
    /// $WsEvent. A Hashtable (case-insensitive keys, like @{}) with Pode's six entries. Data is
    /// parsed by the connection's ContentType the first time it is read, so handlers that only
    /// read Request.Body never pay for parsing; a body that does not parse gives $null (Pode would
    /// skip the handler; here it runs and can read Request.Body and Request.DataError). Files and
    /// Metadata are empty hashtables, also made on first read.
    ///
    /// Building a hashtable per message cost more than running the handler, so the six entries
    /// live in fields until something needs a real table (enumeration, Keys, Values, another key,
    /// Remove, ...): then they are copied into it once. Reads and writes of the six keys, Count
    /// and ContainsKey work on the fields.
    /// </summary>
    public sealed class WsEvent : Hashtable, IEnumerable
    {
        private static readonly string[] Names = { "Request", "Data", "Files", "Lockable", "Timestamp", "Metadata" };
        private const int RequestSlot = 0, DataSlot = 1, FilesSlot = 2, LockableSlot = 3, TimestampSlot = 4, MetadataSlot = 5;

        private readonly object[] slots = new object[6];
        private bool materialized;
        // Data not parsed yet: the content type to parse it with.
        private string pendingContentType;
        // Timestamp not made yet (a boxed DateTime per message otherwise): the core's Unix ms.
        private long pendingTimestampMs;

        private WsEvent() : base(0, StringComparer.OrdinalIgnoreCase) { }

        /// <summary>A message event; Data is parsed lazily from request.Body by contentType.</summary>
        public static WsEvent ForMessage(WsRequest request, string contentType, object lockable, DateTime timestamp)
        {
            var e = new WsEvent();
            e.slots[RequestSlot] = request;
            e.slots[LockableSlot] = lockable;
            e.slots[TimestampSlot] = timestamp;
            e.pendingContentType = contentType ?? string.Empty;
            return e;
        }

        /// <summary>ForMessage with the core's time (Unix ms), made a DateTime on first read (a
        /// boxed DateTime per message otherwise).</summary>
        internal static WsEvent ForMessage(WsRequest request, string contentType, object lockable, long timestampMs)
        {
            var e = new WsEvent();
            e.slots[RequestSlot] = request;
            e.slots[LockableSlot] = lockable;
            if (timestampMs > 0) e.pendingTimestampMs = timestampMs;
            else e.slots[TimestampSlot] = DateTime.UtcNow;
            e.pendingContentType = contentType ?? string.Empty;
            return e;
        }

        /// <summary>A lifecycle event (OnOpen/OnClose/OnError): Data holds the details.</summary>
        public static WsEvent ForLifecycle(WsRequest request, Hashtable data, object lockable, DateTime timestamp)
        {
            var e = new WsEvent();
            e.slots[RequestSlot] = request;
            e.slots[DataSlot] = data;
            e.slots[LockableSlot] = lockable;
            e.slots[TimestampSlot] = timestamp;
            return e;
        }

        private static int Slot(object key)
        {
            var s = key as string;
            if (s == null) return -1;
            switch (s.Length)
            {
                case 4: return string.Equals(s, "Data", StringComparison.OrdinalIgnoreCase) ? DataSlot : -1;
                case 5: return string.Equals(s, "Files", StringComparison.OrdinalIgnoreCase) ? FilesSlot : -1;
                case 7: return string.Equals(s, "Request", StringComparison.OrdinalIgnoreCase) ? RequestSlot : -1;
                case 8:
                    if (string.Equals(s, "Lockable", StringComparison.OrdinalIgnoreCase)) return LockableSlot;
                    return string.Equals(s, "Metadata", StringComparison.OrdinalIgnoreCase) ? MetadataSlot : -1;
                case 9: return string.Equals(s, "Timestamp", StringComparison.OrdinalIgnoreCase) ? TimestampSlot : -1;
                default: return -1;
            }
        }

        /// <summary>The value of a slot, building Data, Files and Metadata on first read.</summary>
        private object Read(int slot)
        {
            object value = slots[slot];
            if (value != null) return value;
            switch (slot)
            {
                case DataSlot:
                    if (pendingContentType != null) value = slots[DataSlot] = ParseData();
                    break;
                case TimestampSlot:
                    // the same UTC time every read (a boxed DateTime); pending stays until written
                    if (pendingTimestampMs > 0) value = slots[TimestampSlot] = DateTimeOffset.FromUnixTimeMilliseconds(pendingTimestampMs).UtcDateTime;
                    break;
                case FilesSlot:
                case MetadataSlot:
                    value = slots[slot] = ContentSupport.NewTable();
                    break;
            }
            return value;
        }

        private object ParseData()
        {
            string contentType = pendingContentType;
            pendingContentType = null;
            var request = (WsRequest)slots[RequestSlot];
            try
            {
                return ContentReader.Parse(contentType, request.Body);
            }
            catch (Exception e)
            {
                // PowerShell swallows exceptions thrown by a dictionary read anyway: say why instead
                var pe = PodeWebSocketException.Find(e);
                request.DataError = "the message could not be parsed as " + contentType + ": " + (pe != null ? pe.Message : e.Message);
                return null;
            }
        }

        private void Write(int slot, object value)
        {
            if (slot == DataSlot) pendingContentType = null;
            if (slot == TimestampSlot) pendingTimestampMs = 0;
            slots[slot] = value;
        }

        /// <summary>Turns the fields into real entries (once), for everything but the fast paths.</summary>
        private void Materialize()
        {
            if (materialized) return;
            lock (slots)
            {
                if (materialized) return;
                for (int i = 0; i < Names.Length; i++) base[Names[i]] = Read(i);
                materialized = true;
            }
        }

        public override object this[object key]
        {
            get
            {
                if (!materialized)
                {
                    int slot = Slot(key);
                    return slot >= 0 ? Read(slot) : null;
                }
                return base[key];
            }
            set
            {
                if (!materialized)
                {
                    int slot = Slot(key);
                    if (slot >= 0) { Write(slot, value); return; }
                    Materialize();
                }
                base[key] = value;
            }
        }

        public override int Count { get { return materialized ? base.Count : Names.Length; } }
        public override bool Contains(object key) { return materialized ? base.Contains(key) : Slot(key) >= 0; }
        public override bool ContainsKey(object key) { return materialized ? base.ContainsKey(key) : Slot(key) >= 0; }
        public override void Add(object key, object value) { Materialize(); base.Add(key, value); }
        public override void Remove(object key) { Materialize(); base.Remove(key); }
        public override void Clear() { Materialize(); base.Clear(); }
        public override ICollection Keys { get { Materialize(); return base.Keys; } }
        public override ICollection Values { get { Materialize(); return base.Values; } }
        public override IDictionaryEnumerator GetEnumerator() { Materialize(); return base.GetEnumerator(); }
        IEnumerator IEnumerable.GetEnumerator() { Materialize(); return base.GetEnumerator(); }
        public override void CopyTo(Array array, int arrayIndex) { Materialize(); base.CopyTo(array, arrayIndex); }
        public override bool ContainsValue(object value) { Materialize(); return base.ContainsValue(value); }

        /// <summary>A plain Hashtable copy (Data parsed).</summary>
        public override object Clone()
        {
            Materialize();
            var copy = ContentSupport.NewTable();
            foreach (DictionaryEntry entry in (IDictionary)this) copy[entry.Key] = entry.Value;
            return copy;
        }
    }
}
