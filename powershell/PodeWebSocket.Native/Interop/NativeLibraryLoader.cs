// Finds the native library that ships inside the module: lib/<rid>/<file> under the module's
// folder (rid: the .NET runtime identifier of the running OS and process architecture), whatever
// the current directory, and loads it at import so that a package without this platform's library
// fails there, naming the file it looked for and the platforms it holds. Types exist once per
// process, so the first successful Initialize wins (a second copy of the same build imported into
// the same process uses the first copy's library; another build cannot load its glue beside this
// one: Private/NativeLoader.ps1 fails the import).
using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PodeWebSocket
{
    public static class NativeLibraryLoader
    {
        private static readonly string[] LibraryFiles = { "libpode_ws.so", "libpode_ws.dylib", "pode_ws.dll" };
        private static readonly object Gate = new object();
        private static string libraryPath;
        private static IntPtr handle;
        private static volatile bool loaded;

        /// <summary>The path the library was loaded from; null before Initialize succeeded.</summary>
        public static string LibraryPath { get { return libraryPath; } }

        /// <summary>True once the native library has been loaded into the process.</summary>
        public static bool IsLoaded { get { return loaded; } }

        /// <summary>The runtime identifier this process needs: win|osx|linux - x64|arm64.</summary>
        public static string PlatformFolder()
        {
            string arch;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64: arch = "x64"; break;
                case Architecture.Arm64: arch = "arm64"; break;
                default: arch = null; break;
            }
            return OsName() == null || arch == null ? null : OsName() + "-" + arch;
        }

        /// <summary>lib/&lt;rid&gt;/&lt;file&gt; for the running OS and process architecture.</summary>
        public static string RelativeLibraryPath()
        {
            string folder = PlatformFolder();
            if (folder == null) throw new PlatformNotSupportedException(UnsupportedMessage(null));
            return Path.Combine("lib", folder, LibraryFile());
        }

        /// <summary>The lib/&lt;rid&gt;/ folders under moduleRoot that hold a library, sorted.</summary>
        public static string[] PackagedPlatforms(string moduleRoot)
        {
            string lib = Path.Combine(moduleRoot, "lib");
            if (!Directory.Exists(lib)) return new string[0];
            return Directory.GetDirectories(lib)
                .Where(dir => LibraryFiles.Any(file => File.Exists(Path.Combine(dir, file))))
                .Select(Path.GetFileName)
                .OrderBy(name => name, StringComparer.Ordinal)
                .ToArray();
        }

        /// <summary>
        /// Loads lib/&lt;rid&gt;/&lt;file&gt; under moduleRoot and maps "pode_ws" to it (the first
        /// success wins). Throws DllNotFoundException naming the file looked for and the platforms
        /// the module holds when there is none for this one, or why the file found did not load.
        /// </summary>
        public static void Initialize(string moduleRoot)
        {
            lock (Gate)
            {
                if (libraryPath != null) return;
                if (PlatformFolder() == null) throw new PlatformNotSupportedException(UnsupportedMessage(moduleRoot));
                string path = Path.GetFullPath(Path.Combine(moduleRoot, RelativeLibraryPath()));
                if (!File.Exists(path)) throw new DllNotFoundException(NotFoundMessage(moduleRoot, path));
                IntPtr loadedHandle;
                try
                {
                    loadedHandle = NativeLibrary.Load(path);
                }
                catch (Exception e) when (e is DllNotFoundException || e is BadImageFormatException)
                {
                    throw new DllNotFoundException("PodeWebSocket: the native library '" + path + "' was found but could not be loaded (" + PlatformText() + "): " + e.Message, e);
                }
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
                handle = loadedHandle;
                libraryPath = path;
                loaded = true;
            }
        }

        private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (name != NativeMethods.Library) return IntPtr.Zero;
            if (!loaded) throw new DllNotFoundException("PodeWebSocket: the native library is not loaded (the module's import failed; import it again to see why).");
            return handle;
        }

        private static string OsName()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return "win";
            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) return "osx";
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return "linux";
            return null;
        }

        private static string LibraryFile()
        {
            switch (OsName())
            {
                case "win": return "pode_ws.dll";
                case "osx": return "libpode_ws.dylib";
                default: return "libpode_ws.so";
            }
        }

        private static string PlatformText()
        {
            return RuntimeInformation.OSDescription + ", process architecture " + RuntimeInformation.ProcessArchitecture;
        }

        private static string HeldText(string moduleRoot)
        {
            if (moduleRoot == null) return "";
            string[] held = PackagedPlatforms(moduleRoot);
            return held.Length == 0
                ? " This copy of the module (" + moduleRoot + ") holds no native library under lib/."
                : " This copy of the module (" + moduleRoot + ") holds lib/ for: " + string.Join(", ", held) + ".";
        }

        private static string NotFoundMessage(string moduleRoot, string path)
        {
            return "PodeWebSocket: no native library for " + PlatformFolder() + " (" + PlatformText() + "): '" + path + "' does not exist." + HeldText(moduleRoot)
                + " Install a package built for " + PlatformFolder() + ", or build the module from source (scripts/build.sh).";
        }

        private static string UnsupportedMessage(string moduleRoot)
        {
            return "PodeWebSocket: this platform (" + PlatformText() + ") is not supported: the native library is built for win, osx and linux, x64 and arm64." + HeldText(moduleRoot);
        }
    }
}
