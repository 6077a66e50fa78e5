// Arrays of large messages used again once .NET has proven that nothing references them any more.
// A new 16 MiB array after the collection that freed the previous ones is, in most processes,
// fresh memory whose pages fault in one by one while the socket is read into them
// (bench/diag/ArrayReuse.ps1: about 2,000 page faults per array and 2.1 s for 64 of them; 0.35 s
// in the processes where .NET happened to reuse the freed space).
// Each array handed out gets a Recycler attached through a ConditionalWeakTable: when the array
// becomes unreachable (its handler and anyone it gave $WsEvent to are done with it), so does the
// Recycler, whose finalizer then puts the array into a small free list. A message of the same
// length takes it from there. What is kept is bounded and let go after a while without a large
// message (ArrayFreeList). Not covered: an object of the user's that holds the array and
// has a finalizer of its own (it could read the array after it was reused), or a weak reference
// created with trackResurrection; neither is something a handler does by accident.
// A connection made with -ReuseRawBody hands its arrays back once its handler moved on and the
// batch was released (Return, from Dispatch/EventRun): no collection has to find them, which is
// what costs the default its throughput.
using System;
using System.Runtime.CompilerServices;

namespace PodeWebSocket
{
    internal static class RecycledArrays
    {
        private static readonly ConditionalWeakTable<byte[], Recycler> Tracked = new ConditionalWeakTable<byte[], Recycler>();

        /// <summary>The arrays kept for reuse (read by tests/pester/Integration/Messaging.Tests.ps1).</summary>
        internal static readonly ArrayFreeList Free = new ArrayFreeList(Environment.TickCount64);

        /// <summary>A free array of exactly this length, or null.</summary>
        public static byte[] Take(int length) => Free.Take(length, Environment.TickCount64);

        /// <summary>Recycles the array once nothing references it any more.</summary>
        public static void Track(byte[] array)
        {
            Tracked.AddOrUpdate(array, new Recycler(array));
        }

        /// <summary>
        /// Keeps an array for reuse now, without waiting for a collection to prove it unreachable:
        /// its user is done with it (Connect-PodeWebSocket -ReuseRawBody). Its Recycler is
        /// disarmed first, or its finalizer would offer the array again while it is in use.
        /// False: not kept (see ArrayFreeList.Offer); the GC frees it as any array.
        /// </summary>
        public static bool Return(byte[] array)
        {
            Recycler recycler;
            if (Tracked.TryGetValue(array, out recycler))
            {
                GC.SuppressFinalize(recycler);
                Tracked.Remove(array);
            }
            return Free.Offer(array, Environment.TickCount64);
        }

        /// <summary>The bytes of free arrays let go since the last call (see ArrayFreeList.TakeLetGoBytes).</summary>
        public static long TakeLetGoBytes() => Free.TakeLetGoBytes();

        /// <summary>Lets the free arrays go when no large message came for a while (any thread, cheap).</summary>
        public static void TrimIfIdle() => Free.TrimIfIdle(Environment.TickCount64);

        private sealed class Recycler
        {
            private readonly byte[] array;

            public Recycler(byte[] array) { this.array = array; }

            // Runs on the finalizer thread after the collection that found the array unreachable:
            // nothing but this object references it, so it can be handed out again.
            ~Recycler()
            {
                try { Free.Offer(array, Environment.TickCount64); } catch (Exception) { }
            }
        }
    }
}
