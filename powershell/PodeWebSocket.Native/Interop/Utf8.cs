// Strings and bytes across the C ABI: UTF-8 pointer + length both ways.
using System;
using System.Text;

namespace PodeWebSocket
{
    internal static unsafe class Utf8
    {
        public static byte[] Encode(string text)
        {
            return string.IsNullOrEmpty(text) ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(text);
        }

        public static string Decode(IntPtr data, UIntPtr len)
        {
            int n = (int)(ulong)len;
            return n == 0 ? string.Empty : Encoding.UTF8.GetString((byte*)data, n);
        }

        /// <summary>A managed copy of native bytes (the library frees its own with the batch).</summary>
        public static byte[] Copy(IntPtr data, UIntPtr len)
        {
            int n = (int)(ulong)len;
            // Every byte is overwritten: skip the GC's zeroing pass (a second write of a 16 MiB message).
            var bytes = n == 0 ? Array.Empty<byte>() : GC.AllocateUninitializedArray<byte>(n);
            if (n > 0) fixed (byte* dst = bytes) Buffer.MemoryCopy((void*)data, dst, n, n);
            return bytes;
        }
    }
}
