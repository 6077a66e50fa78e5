// P/Invoke declarations of the pode_ws C ABI (include/pode_ws.h) and the resolution of the
// native library from the module's own folder: lib/<os>-<arch>/<file>, whatever the current
// directory. Compiled once per process by PodeWebSocket.psm1 (Add-Type); types live per process.
using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PodeWebSocket
{
    /// <summary>One event of a poll batch; mirrors PodeWsEvent (88 bytes on 64-bit targets).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeEvent
    {
        public ulong ConnectionId;
        public IntPtr Name;
        public UIntPtr NameLen;
        public IntPtr Data;
        public UIntPtr DataLen;
        public IntPtr Extra;
        public UIntPtr ExtraLen;
        public long TimestampMs;
        public ulong DelayMs;
        public uint Kind;
        public uint Code;
        public uint ClosedBy;
        public uint Attempt;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeBuffer
    {
        public IntPtr Data;
        public UIntPtr Len;
    }

    internal static class EventKind
    {
        public const uint Text = 1, Binary = 2, Opened = 3, Closed = 4, Error = 5, Reconnecting = 6;
    }

    internal static unsafe class NativeMethods
    {
        private const string Lib = "pode_ws";
        public const uint Infinite = uint.MaxValue;

        [DllImport(Lib)] public static extern int pode_ws_version(byte* buf, UIntPtr bufLen, UIntPtr* outLen);
        [DllImport(Lib)] public static extern int pode_ws_last_error(byte* buf, UIntPtr bufLen, UIntPtr* outLen);
        [DllImport(Lib)] public static extern int pode_ws_connect(byte* name, UIntPtr nameLen, byte* url, UIntPtr urlLen, byte* options, UIntPtr optionsLen, ulong* outId);
        [DllImport(Lib)] public static extern int pode_ws_send(byte* name, UIntPtr nameLen, uint kind, byte* data, UIntPtr dataLen);
        [DllImport(Lib)] public static extern int pode_ws_disconnect(byte* name, UIntPtr nameLen, uint code, byte* reason, UIntPtr reasonLen);
        [DllImport(Lib)] public static extern int pode_ws_reset(byte* name, UIntPtr nameLen, byte* url, UIntPtr urlLen);
        [DllImport(Lib)] public static extern int pode_ws_remove(byte* name, UIntPtr nameLen);
        [DllImport(Lib)] public static extern int pode_ws_state(byte* name, UIntPtr nameLen, uint* outState);
        [DllImport(Lib)] public static extern int pode_ws_info(byte* name, UIntPtr nameLen, NativeBuffer** outBuffer);
        [DllImport(Lib)] public static extern int pode_ws_list(NativeBuffer** outBuffer);
        [DllImport(Lib)] public static extern void pode_ws_buffer_free(NativeBuffer* buffer);
        [DllImport(Lib)] public static extern int pode_ws_poller_new(IntPtr* outPoller);
        [DllImport(Lib)] public static extern void pode_ws_poller_free(IntPtr poller);
        [DllImport(Lib)] public static extern int pode_ws_poll(IntPtr poller, uint timeoutMs, uint maxEvents, NativeEvent** outEvents, UIntPtr* outLen);
        [DllImport(Lib)] public static extern int pode_ws_poll_connection(IntPtr poller, byte* name, UIntPtr nameLen, uint timeoutMs, uint maxEvents, NativeEvent** outEvents, UIntPtr* outLen);
        [DllImport(Lib)] public static extern void pode_ws_poller_release(IntPtr poller);
        [DllImport(Lib)] public static extern void pode_ws_poller_wake(IntPtr poller);
        [DllImport(Lib)] public static extern void pode_ws_poller_close(IntPtr poller);
        [DllImport(Lib)] public static extern void pode_ws_wake_all();
        [DllImport(Lib)] public static extern int pode_ws_shutdown();
    }

    /// <summary>Finds and loads the native library that ships inside the module.</summary>
    public static class NativeLibraryLoader
    {
        private static readonly object Gate = new object();
        private static string libraryPath;
        private static volatile bool loaded;

        /// <summary>The path the library is (or will be) loaded from; null before Initialize.</summary>
        public static string LibraryPath { get { return libraryPath; } }

        /// <summary>True once the native library has been loaded into the process.</summary>
        public static bool IsLoaded { get { return loaded; } }

        /// <summary>Hash of the C# sources this assembly was compiled from (set by the module).</summary>
        public static string SourceHash { get; set; }

        /// <summary>lib/&lt;os&gt;-&lt;arch&gt;/&lt;file&gt; for the running OS and process architecture.</summary>
        public static string RelativeLibraryPath()
        {
            string os, file;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) { os = "win"; file = "pode_ws.dll"; }
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) { os = "osx"; file = "libpode_ws.dylib"; }
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) { os = "linux"; file = "libpode_ws.so"; }
            else throw new PlatformNotSupportedException("PodeWebSocket supports Linux, Windows and macOS only.");

            string arch;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64: arch = "x64"; break;
                case Architecture.Arm64: arch = "arm64"; break;
                default:
                    throw new PlatformNotSupportedException("PodeWebSocket supports x64 and arm64 processes only, not " + RuntimeInformation.ProcessArchitecture + ".");
            }
            return Path.Combine("lib", os + "-" + arch, file);
        }

        /// <summary>
        /// Registers the resolver that maps "pode_ws" to the library under moduleRoot. The first
        /// call wins: the types (and so the resolver) exist once per process.
        /// </summary>
        public static void Initialize(string moduleRoot)
        {
            lock (Gate)
            {
                if (libraryPath != null) return;
                string path = Path.GetFullPath(Path.Combine(moduleRoot, RelativeLibraryPath()));
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
                libraryPath = path;
            }
        }

        private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (name != "pode_ws") return IntPtr.Zero;
            string path = libraryPath;
            if (path == null || !File.Exists(path))
            {
                throw new DllNotFoundException("PodeWebSocket: the native library was not found at '" + path + "'. Build it with scripts/build.sh (or install a package that contains lib/" + Path.GetDirectoryName(RelativeLibraryPath()) + ").");
            }
            IntPtr handle = NativeLibrary.Load(path);
            loaded = true;
            return handle;
        }
    }
}
