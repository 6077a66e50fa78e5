// Large binary messages read straight into managed arrays. The native library asks this class for
// a buffer when such a message starts (pode_ws_set_payload_allocator), reads the socket into it,
// and the event carries the buffer's owner token, so $WsEvent.Request.RawBody is that array and
// not a copy of native memory: copying 16 MiB into fresh memory cost the dispatcher as long as
// the core took to read the message from the socket. The owner token is a pinned GCHandle: the
// library writes the array from its network threads while the GC may run, and the handle keeps
// it alive and in place until the library gives it back; from then on only the event's $WsEvent
// (if anyone keeps it) does. The arrays are ordinary large-object-heap arrays, pinned by that
// handle only while the core may write them; RecycledArrays uses them again once unreachable.
using System;
using System.Runtime.InteropServices;

namespace PodeWebSocket
{
    internal static unsafe class ManagedPayloads
    {
        /// <summary>Binary messages from this size on are read into managed arrays (smaller ones
        /// are copied: cheap, and a callback per message would cost more than it saves).</summary>
        public const int MinimumBytes = 1024 * 1024;

        /// <summary>Hands the callbacks to the library (once the library is loaded).</summary>
        public static void Register()
        {
            NativeMethods.pode_ws_set_payload_allocator(&Allocate, &Free, (UIntPtr)MinimumBytes);
        }

        /// <summary>Stops handing out arrays (process exit: no call into .NET while it ends).</summary>
        public static void Unregister()
        {
            NativeMethods.pode_ws_set_payload_allocator(null, null, UIntPtr.Zero);
        }

        /// <summary>
        /// The managed array a binary message was read into, or null when it is in native memory
        /// (copy it then). The library gives the array's handle back when the batch is released;
        /// the array stays as long as the returned reference is kept.
        /// </summary>
        public static byte[] Claim(ref NativeEvent ev)
        {
            if (ev.DataOwner == UIntPtr.Zero) return null;
            var handle = GCHandle.FromIntPtr((IntPtr)(void*)ev.DataOwner);
            var array = handle.Target as byte[];
            if (array == null || (ulong)array.Length != (ulong)ev.DataLen || handle.AddrOfPinnedObject() != ev.Data) return null;
            return array;
        }

        // Runs on a network thread of the library: never throws into it (NULL: the library uses
        // a buffer of its own for this message, which is then copied).
        [UnmanagedCallersOnly]
        private static byte* Allocate(UIntPtr len, UIntPtr* owner)
        {
            try
            {
                ulong n = (ulong)len;
                if (n > (ulong)Array.MaxLength) return null;
                var array = RecycledArrays.Take((int)n) ?? GC.AllocateUninitializedArray<byte>((int)n);
                RecycledArrays.Track(array);
                var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
                *owner = (UIntPtr)(void*)GCHandle.ToIntPtr(handle);
                return (byte*)handle.AddrOfPinnedObject();
            }
            catch (Exception)
            {
                return null;
            }
        }

        [UnmanagedCallersOnly]
        private static void Free(UIntPtr owner)
        {
            try { GCHandle.FromIntPtr((IntPtr)(void*)owner).Free(); } catch (Exception) { }
        }
    }
}
