// The module's connections, process-wide (every runspace that imports the module and every
// dispatcher sees the same): connection id → definition, name → definition, the connects in
// progress, and for a minute the ids of removed connections (their late events are dropped).
using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace PodeWebSocket
{
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

        /// <summary>
        /// The connection of that name, or else the connect of that name in progress: its handlers
        /// can run before the connect returns (a server that speaks first), and a send from them
        /// converts by its content type.
        /// </summary>
        public static ConnectionDefinition Find(string name)
        {
            lock (Gate)
            {
                ConnectionDefinition definition;
                if (ByName.TryGetValue(name, out definition)) return definition;
                return Pending.TryGetValue(name, out definition) ? definition : null;
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
