// Arrays of large messages used again once .NET has proven that nothing references them any more.
// A new 16 MiB array after the collection that freed the previous ones is, in most processes,
// fresh memory whose pages fault in one by one while the socket is read into them
// (bench/diag/ArrayReuse.ps1: about 2,000 page faults per array and 2.1 s for 64 of them; 0.35 s
// in the processes where .NET happened to reuse the freed space).
// Each array handed out gets a Recycler attached through a ConditionalWeakTable: when the array
// becomes unreachable (its handler and anyone it gave $WsEvent to are done with it), so does the
// Recycler, whose finalizer then puts the array into a small free list. A message of the same
// length takes it from there. What is kept is bounded (MaxArrays, MaxBytes) and let go after
// IdleMs without a large message. Not covered: an object of the user's that holds the array and
// has a finalizer of its own (it could read the array after it was reused), or a weak reference
// created with trackResurrection; neither is something a handler does by accident.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

namespace PodeWebSocket
{
    internal static class RecycledArrays
    {
        private const int MaxArrays = 4;
        private const long MaxBytes = 64L * 1024 * 1024;
        private const long IdleMs = 5000;

        private static readonly ConditionalWeakTable<byte[], Recycler> Tracked = new ConditionalWeakTable<byte[], Recycler>();
        private static readonly object Gate = new object();
        private static readonly List<byte[]> Free = new List<byte[]>();
        private static long freeBytes;
        private static int freeCount;
        private static long lastUse = Environment.TickCount64;

        /// <summary>A free array of exactly this length, or null.</summary>
        public static byte[] Take(int length)
        {
            lock (Gate)
            {
                lastUse = Environment.TickCount64;
                for (int i = 0; i < Free.Count; i++)
                {
                    var array = Free[i];
                    if (array.Length != length) continue;
                    Free.RemoveAt(i);
                    freeBytes -= length;
                    Volatile.Write(ref freeCount, Free.Count);
                    return array;
                }
            }
            return null;
        }

        /// <summary>Recycles the array once nothing references it any more.</summary>
        public static void Track(byte[] array)
        {
            Tracked.AddOrUpdate(array, new Recycler(array));
        }

        /// <summary>Lets the free arrays go when no large message came for a while (any thread, cheap).</summary>
        public static void TrimIfIdle()
        {
            if (Volatile.Read(ref freeCount) == 0) return;
            lock (Gate)
            {
                if (Environment.TickCount64 - lastUse < IdleMs) return;
                Free.Clear();
                freeBytes = 0;
                Volatile.Write(ref freeCount, 0);
            }
        }

        private static void Return(byte[] array)
        {
            lock (Gate)
            {
                bool idle = Environment.TickCount64 - lastUse >= IdleMs;
                if (idle || Free.Count >= MaxArrays || freeBytes + array.Length > MaxBytes) return;   // the GC frees it
                Free.Add(array);
                freeBytes += array.Length;
                Volatile.Write(ref freeCount, Free.Count);
            }
        }

        private sealed class Recycler
        {
            private readonly byte[] array;

            public Recycler(byte[] array) { this.array = array; }

            // Runs on the finalizer thread after the collection that found the array unreachable:
            // nothing but this object references it, so it can be handed out again.
            ~Recycler()
            {
                try { Return(array); } catch (Exception) { }
            }
        }
    }
}
