// Finds the native library that ships inside the module: lib/<os>-<arch>/<file> under the
// module's folder, whatever the current directory. Types exist once per process, so the first
// Initialize wins (a second copy of the module imported into the same process uses the first).
using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PodeWebSocket
{
    public static class NativeLibraryLoader
    {
        private static readonly object Gate = new object();
        private static string libraryPath;
        private static volatile bool loaded;

        /// <summary>The path the library is (or will be) loaded from; null before Initialize.</summary>
        public static string LibraryPath { get { return libraryPath; } }

        /// <summary>True once the native library has been loaded into the process.</summary>
        public static bool IsLoaded { get { return loaded; } }

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

        /// <summary>Maps "pode_ws" to the library under moduleRoot (the first call wins).</summary>
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
            if (name != NativeMethods.Library) return IntPtr.Zero;
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
