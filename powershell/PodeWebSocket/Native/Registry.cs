// What the module knows about each connection beyond the native core: content type, handlers,
// $using: values, arguments, owner runspace, handler errors. Process-wide (static), shared by
// every runspace that imports the module and by the dispatchers.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;

namespace PodeWebSocket
{
    /// <summary>The last failure of a handler, as Get-PodeWebSocket shows it.</summary>
    public sealed class HandlerError
    {
        public DateTime Time { get; internal set; }
        public string Handler { get; internal set; }
        public string Message { get; internal set; }
        public ErrorRecord ErrorRecord { get; internal set; }
        public override string ToString() { return Handler + ": " + Message; }
    }

    /// <summary>The last close seen by the module (from a Closed event).</summary>
    public sealed class CloseInfo
    {
        public int Code { get; internal set; }
        public string Reason { get; internal set; }
        /// <summary>Local, Remote or Lost.</summary>
        public string ClosedBy { get; internal set; }
        public DateTime Time { get; internal set; }
        public override string ToString() { return Code + " " + ClosedBy + (string.IsNullOrEmpty(Reason) ? "" : ": " + Reason); }
    }

    public sealed class ConnectionDefinition
    {
        private readonly HandlerScript[] scripts = new HandlerScript[4];

        public ConnectionDefinition(string name, string url, string contentType, object[] argumentList)
        {
            Name = name;
            ContentType = contentType ?? string.Empty;
            ArgumentList = argumentList ?? new object[0];
            UsingValues = new Hashtable(StringComparer.OrdinalIgnoreCase);
            Connection = new WsConnection(name, url, ContentType);
            OwnerRunspaceId = System.Management.Automation.Runspaces.Runspace.DefaultRunspace != null
                ? System.Management.Automation.Runspaces.Runspace.DefaultRunspace.InstanceId : Guid.Empty;
            CreatedUtc = DateTime.UtcNow;
        }

        public string Name { get; private set; }
        public ulong Id { get; internal set; }
        public string ContentType { get; private set; }
        public object[] ArgumentList { get; private set; }
        public Hashtable UsingValues { get; private set; }
        public WsConnection Connection { get; private set; }
        public Guid OwnerRunspaceId { get; set; }
        /// <summary>Identifies the Pode server instance that connected (its cancellation token), else null.</summary>
        public object PodeServer { get; set; }
        public DateTime CreatedUtc { get; private set; }

        /// <summary>Compiles a handler of this connection (ScriptBlock, OnOpen, OnClose, OnError).</summary>
        public void SetHandler(HandlerKind kind, ScriptBlock scriptBlock, SessionState callerState)
        {
            scripts[(int)kind] = scriptBlock == null ? null : HandlerCompiler.Compile(scriptBlock, kind, callerState, UsingValues, Name);
        }

        /// <summary>SetHandler, returning the failure instead of throwing.</summary>
        public PodeWebSocketException TrySetHandler(HandlerKind kind, ScriptBlock scriptBlock, SessionState callerState)
        {
            try
            {
                SetHandler(kind, scriptBlock, callerState);
                return null;
            }
            catch (Exception e)
            {
                return PodeWebSocketException.Find(e) ?? Errors.Invalid("InvalidScript", "the " + kind + " handler of '" + Name + "' cannot be used: " + e.Message, Name);
            }
        }

        public HandlerScript GetHandler(HandlerKind kind) { return scripts[(int)kind]; }

        public bool HasHandlers { get { return scripts[0] != null || scripts[1] != null || scripts[2] != null || scripts[3] != null; } }

        /// <summary>No handler at all: messages wait for Receive-PodeWebSocket (native option manualReceive).</summary>
        public bool ManualReceive { get { return !HasHandlers; } }

        // Runtime state, written by dispatchers and Receive-PodeWebSocket.
        private long handlerErrorCount;
        public long HandlerErrorCount { get { return System.Threading.Interlocked.Read(ref handlerErrorCount); } }
        public HandlerError LastHandlerError { get; private set; }
        public CloseInfo LastClose { get; internal set; }
        public string LastNativeError { get; internal set; }
        public volatile bool Removed;
        internal DateTime RemovedUtc;
        /// <summary>The last lifecycle event seen was Closed (no handler of this session runs any more).</summary>
        internal volatile bool ClosedSeen;
        internal int ErrorsShown;
        internal DateTime LastErrorShownUtc;
        internal long ErrorsSuppressed;

        internal void RecordHandlerError(HandlerError error)
        {
            System.Threading.Interlocked.Increment(ref handlerErrorCount);
            LastHandlerError = error;
        }

        /// <summary>Updates what the module knows from a lifecycle event.</summary>
        internal unsafe void Observe(ref NativeEvent ev)
        {
            switch (ev.Kind)
            {
                case EventKind.Opened:
                    Connection.Url = Utf8.Decode(ev.Data, ev.DataLen);
                    Connection.SubProtocol = Utf8.Decode(ev.Extra, ev.ExtraLen);
                    ClosedSeen = false;
                    break;
                case EventKind.Closed:
                    ClosedSeen = true;
                    LastClose = new CloseInfo
                    {
                        Code = (int)ev.Code,
                        Reason = Utf8.Decode(ev.Data, ev.DataLen),
                        ClosedBy = ev.ClosedBy == 1 ? "Local" : ev.ClosedBy == 2 ? "Remote" : ev.ClosedBy == 3 ? "Lost" : "None",
                        Time = Utf8.Time(ev.TimestampMs),
                    };
                    break;
                case EventKind.Error:
                    LastNativeError = Utf8.Decode(ev.Data, ev.DataLen);
                    break;
            }
        }
    }

    internal static unsafe class Utf8
    {
        public static string Decode(IntPtr data, UIntPtr len)
        {
            int n = (int)(ulong)len;
            return n == 0 ? string.Empty : Encoding.UTF8.GetString((byte*)data, n);
        }

        public static byte[] Copy(IntPtr data, UIntPtr len)
        {
            int n = (int)(ulong)len;
            // Every byte is overwritten: skip the GC's zeroing pass (a second write of a 16 MiB message).
            var bytes = n == 0 ? Array.Empty<byte>() : GC.AllocateUninitializedArray<byte>(n);
            if (n > 0) fixed (byte* dst = bytes) Buffer.MemoryCopy((void*)data, dst, n, n);
            return bytes;
        }

        public static DateTime Time(long unixMs)
        {
            return unixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime : DateTime.UtcNow;
        }
    }

    /// <summary>Connection id → definition, plus the connects in progress (by name).</summary>
    public static class Registry
    {
        private static readonly object Gate = new object();
        private static readonly Dictionary<ulong, ConnectionDefinition> ById = new Dictionary<ulong, ConnectionDefinition>();
        private static readonly Dictionary<string, ConnectionDefinition> ByName = new Dictionary<string, ConnectionDefinition>(StringComparer.OrdinalIgnoreCase);
        private static readonly Dictionary<string, ConnectionDefinition> Pending = new Dictionary<string, ConnectionDefinition>(StringComparer.OrdinalIgnoreCase);
        // Ids of removed connections whose last handler ran, oldest first, kept a minute so a late
        // event is dropped rather than adopted by a new connect of the same name: an id and a
        // time each, not the definition (its handlers, $using: values and arguments).
        private static readonly HashSet<ulong> Buried = new HashSet<ulong>();
        private static readonly Queue<KeyValuePair<ulong, DateTime>> BuriedOrder = new Queue<KeyValuePair<ulong, DateTime>>();
        private static int generation;

        /// <summary>Changes whenever a definition is removed or replaced (dispatchers drop compiled handlers then).</summary>
        public static int Generation { get { return System.Threading.Volatile.Read(ref generation); } }

        internal static void BeginConnect(ConnectionDefinition definition)
        {
            lock (Gate)
            {
                if (Pending.ContainsKey(definition.Name))
                {
                    throw new PodeWebSocketException("PodeWebSocket.NameInUse", ErrorCategory.ResourceExists,
                        "a WebSocket connection named '" + definition.Name + "' is already being connected.", definition.Name, PodeWsResult.NameInUse);
                }
                Pending[definition.Name] = definition;
            }
        }

        internal static void CompleteConnect(ConnectionDefinition definition, ulong id)
        {
            lock (Gate)
            {
                Pending.Remove(definition.Name);
                definition.Id = id;
                ById[id] = definition;
                ConnectionDefinition old;
                if (ByName.TryGetValue(definition.Name, out old) && old != definition) Retire(old);
                ByName[definition.Name] = definition;
            }
        }

        internal static void AbortConnect(ConnectionDefinition definition)
        {
            lock (Gate)
            {
                ConnectionDefinition pending;
                if (Pending.TryGetValue(definition.Name, out pending) && pending == definition) Pending.Remove(definition.Name);
                if (definition.Id != 0 && ById.ContainsKey(definition.Id)) ById.Remove(definition.Id);
                definition.Removed = true;
                generation++;
            }
        }

        /// <summary>The definition of an event's connection; adopts a connect in progress (its Opened event can come first).</summary>
        internal static ConnectionDefinition Resolve(ulong id, IntPtr name, UIntPtr nameLen)
        {
            lock (Gate)
            {
                ConnectionDefinition definition;
                if (ById.TryGetValue(id, out definition)) return definition;
                if (Buried.Contains(id)) return null;
                if (Pending.TryGetValue(Utf8.Decode(name, nameLen), out definition) && definition.Id == 0)
                {
                    definition.Id = id;
                    ById[id] = definition;
                    return definition;
                }
                return null;
            }
        }

        public static ConnectionDefinition Find(string name)
        {
            lock (Gate)
            {
                ConnectionDefinition definition;
                return ByName.TryGetValue(name, out definition) ? definition : null;
            }
        }

        public static ConnectionDefinition[] All()
        {
            lock (Gate)
            {
                var all = new ConnectionDefinition[ByName.Count];
                ByName.Values.CopyTo(all, 0);
                return all;
            }
        }

        /// <summary>
        /// Forgets a removed connection. Late events of a connection with handlers are still
        /// recognised (and dropped) for a minute; one without handlers has no dispatcher to
        /// confuse, so its id goes at once (connect/remove churn must not grow memory).
        /// </summary>
        internal static void MarkRemoved(string name)
        {
            lock (Gate)
            {
                ConnectionDefinition definition;
                if (ByName.TryGetValue(name, out definition))
                {
                    ByName.Remove(name);
                    Retire(definition);
                    if (!definition.HasHandlers && definition.Id != 0) ById.Remove(definition.Id);
                    else if (definition.ClosedSeen) BuryLocked(definition);
                }
                SweepLocked();
            }
        }

        /// <summary>A removed connection's Closed event was handled: keep only its id.</summary>
        internal static void Bury(ConnectionDefinition definition)
        {
            lock (Gate) BuryLocked(definition);
        }

        private static void BuryLocked(ConnectionDefinition definition)
        {
            ConnectionDefinition current;
            if (definition.Removed && definition.Id != 0 && ById.TryGetValue(definition.Id, out current) && current == definition)
            {
                ById.Remove(definition.Id);
                if (Buried.Add(definition.Id)) BuriedOrder.Enqueue(new KeyValuePair<ulong, DateTime>(definition.Id, DateTime.UtcNow));
                generation++; // dispatchers drop a close handler compiled after the removal
            }
        }

        private static void Retire(ConnectionDefinition definition)
        {
            definition.Removed = true;
            definition.RemovedUtc = DateTime.UtcNow;
            generation++;
        }

        /// <summary>Drops ids of connections removed more than a minute ago.</summary>
        internal static void Sweep()
        {
            lock (Gate) SweepLocked();
        }

        private static void SweepLocked()
        {
            List<ulong> stale = null;
            var limit = DateTime.UtcNow.AddMinutes(-1);
            foreach (var pair in ById)
            {
                if (pair.Value.Removed && pair.Value.RemovedUtc < limit)
                {
                    if (stale == null) stale = new List<ulong>();
                    stale.Add(pair.Key);
                }
            }
            if (stale != null) foreach (var id in stale) ById.Remove(id);
            while (BuriedOrder.Count > 0 && BuriedOrder.Peek().Value < limit) Buried.Remove(BuriedOrder.Dequeue().Key);
        }
    }
}
