// The bounded free list behind RecycledArrays: which arrays of large messages are kept for reuse,
// and when they are let go. Pure bookkeeping with the time passed in, so its bounds can be tested
// without a collection or a clock (tests/pester/Unit/ArrayFreeList.Tests.ps1).
using System.Collections.Generic;
using System.Threading;

namespace PodeWebSocket
{
    internal sealed class ArrayFreeList
    {
        /// <summary>At most this many arrays are kept ...</summary>
        public const int MaxArrays = 4;
        /// <summary>... holding at most this many bytes together ...</summary>
        public const long MaxBytes = 64L * 1024 * 1024;
        /// <summary>... and all are let go after this long without a large message.</summary>
        public const long IdleMs = 5000;

        private readonly object gate = new object();
        private readonly List<byte[]> free = new List<byte[]>();
        private int count;   // free.Count, readable without the lock
        private long lastUse;
        private long letGoBytes;   // kept arrays let go for newer ones since TakeLetGoBytes last ran

        public ArrayFreeList(long nowMs) { lastUse = nowMs; }

        /// <summary>How many arrays are kept now.</summary>
        public int Count => Volatile.Read(ref count);

        /// <summary>How many bytes the kept arrays hold.</summary>
        public long Bytes
        {
            get
            {
                lock (gate)
                {
                    long bytes = 0;
                    foreach (var array in free) bytes += array.Length;
                    return bytes;
                }
            }
        }

        /// <summary>A kept array of exactly this length (taken out of the list), or null. A large message starts.</summary>
        public byte[] Take(int length, long nowMs)
        {
            lock (gate)
            {
                lastUse = nowMs;
                for (int i = 0; i < free.Count; i++)
                {
                    var array = free[i];
                    if (array.Length != length) continue;
                    free.RemoveAt(i);
                    Volatile.Write(ref count, free.Count);
                    return array;
                }
            }
            return null;
        }

        /// <summary>
        /// Keeps an array nothing references any more. At the bounds the oldest kept arrays make
        /// room: the newest has the length the messages have now (arrays of a length no longer
        /// sent would otherwise fill the list and refuse every new one until 5 s without a large
        /// message). False: not kept (5 s idle, or larger than the bound alone); the GC frees it.
        /// </summary>
        public bool Offer(byte[] array, long nowMs)
        {
            lock (gate)
            {
                if (nowMs - lastUse >= IdleMs || array.Length > MaxBytes) return false;
                long bytes = array.Length;
                foreach (var kept in free) bytes += kept.Length;
                while (free.Count > 0 && (free.Count >= MaxArrays || bytes > MaxBytes))
                {
                    bytes -= free[0].Length;
                    letGoBytes += free[0].Length;
                    free.RemoveAt(0);
                }
                free.Add(array);
                Volatile.Write(ref count, free.Count);
                return true;
            }
        }

        /// <summary>
        /// The bytes of the kept arrays let go to make room for newer ones since the last call, and
        /// starts counting again: garbage now, which only a gen-2 collection frees, so the
        /// dispatchers count it toward theirs (Dispatch/LargeMessageGarbage.cs) with the large
        /// messages that made them go. Arrays let go when idle are not counted: by the next large
        /// message a collection may long have freed them.
        /// </summary>
        public long TakeLetGoBytes()
        {
            lock (gate)
            {
                long bytes = letGoBytes;
                letGoBytes = 0;
                return bytes;
            }
        }

        /// <summary>Lets every kept array go when no large message came for IdleMs (cheap when none is kept).</summary>
        public void TrimIfIdle(long nowMs)
        {
            if (Volatile.Read(ref count) == 0) return;
            lock (gate)
            {
                if (nowMs - lastUse < IdleMs) return;
                free.Clear();
                Volatile.Write(ref count, 0);
            }
        }
    }
}
