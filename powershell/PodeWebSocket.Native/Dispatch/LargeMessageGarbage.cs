// The managed arrays of large messages ($WsEvent.Request.RawBody: read into by the core, see
// Interop/ManagedPayloads.cs, or copied) are garbage as soon as their handler is done with them,
// but .NET frees large-object and pinned-object-heap garbage only at a gen-2 collection, which it
// starts late: 64 messages of 16 MiB peaked at 230-390 MiB over the idle baseline, most of it
// arrays waiting to be collected. This counts the bytes of large messages the dispatchers handed
// out (less the arrays handed back for reuse, plus the kept arrays the free list let go for newer
// ones) and collects once that reaches the budget without a gen-2 collection having run meanwhile.
using System;
using System.Threading;

namespace PodeWebSocket
{
    internal static class LargeMessageGarbage
    {
        /// <summary>Messages from this size on count (smaller ones are cheap young garbage).</summary>
        public const int LargeMessageBytes = 1024 * 1024;

        /// <summary>How many bytes of large copies may wait for a collection: twice the largest
        /// message seen since the last collection, at least this.</summary>
        private const long MinimumBudgetBytes = 32L * 1024 * 1024;

        private static long copiedBytes;
        private static long largestBytes;
        private static int seenCollections = GC.CollectionCount(2);

        /// <summary>After a batch was handled and released: `bytes` of large-message garbage came
        /// with it (any dispatcher thread).</summary>
        public static void Handled(long bytes, long largest)
        {
            int collections = GC.CollectionCount(2);
            if (collections != Volatile.Read(ref seenCollections))
            {
                // .NET collected on its own meanwhile: what was copied before is gone or still used
                Volatile.Write(ref seenCollections, collections);
                Interlocked.Exchange(ref copiedBytes, 0);
                Interlocked.Exchange(ref largestBytes, 0);
            }
            long copied = Interlocked.Add(ref copiedBytes, bytes);
            long max = Math.Max(Interlocked.Read(ref largestBytes), largest);
            Interlocked.Exchange(ref largestBytes, max);
            if (copied < Math.Max(MinimumBudgetBytes, 2 * max)) return;
            Interlocked.Exchange(ref copiedBytes, 0);
            // Blocking, not compacting: the freed space is reused by the next copies at once (a
            // background collection frees it later: 160 MiB peak against 130 in bench/diag/Large.ps1).
            // The core goes on reading the next message meanwhile.
            GC.Collect(2, GCCollectionMode.Forced, true, false);
        }
    }
}
