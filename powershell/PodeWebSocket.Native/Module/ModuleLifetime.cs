// Module lifetime across runspaces: who imported the module, what starts with the first import
// (large messages into managed arrays, the exit hook), what Remove-Module closes, and a bounded
// shutdown at process exit (never a hang). The top of the glue: it uses every layer.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Threading.Tasks;

namespace PodeWebSocket
{
    public static class ModuleLifetime
    {
        private static readonly object Gate = new object();
        private static readonly List<WeakReference<Runspace>> Importers = new List<WeakReference<Runspace>>();
        private static bool started;

        /// <summary>Records an import of the module (dispatcher runspaces do not count).</summary>
        public static void Imported(Runspace runspace)
        {
            if (HandlerContext.IsDispatcherThread || runspace == null) return;
            lock (Gate)
            {
                Prune();
                if (!Importers.Any(w => { Runspace r; return w.TryGetTarget(out r) && r == runspace; }))
                {
                    Importers.Add(new WeakReference<Runspace>(runspace));
                }
                if (!started)
                {
                    // once per process (the library is loaded by now); process exit undoes it first
                    started = true;
                    Native.StartManagedPayloads();
                    AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
                }
            }
        }

        /// <summary>
        /// Remove-Module: closes and removes the connections opened from this runspace. When no
        /// runspace has the module any more, also every other connection, and stops the dispatchers.
        /// Returns the names of the connections removed.
        /// </summary>
        public static string[] Removed(Runspace runspace)
        {
            if (HandlerContext.IsDispatcherThread || runspace == null) return new string[0];
            bool last;
            lock (Gate)
            {
                Importers.RemoveAll(w => { Runspace r; return !w.TryGetTarget(out r) || r == runspace; });
                Prune();
                last = Importers.Count == 0;
            }
            var id = runspace.InstanceId;
            var doomed = Registry.All().Where(d => last || d.OwnerRunspaceId == id).Select(d => d.Name).ToArray();
            // closes (each bounded by its close timeout) and the dispatchers' stop run in parallel
            var removal = Task.Run(() => RemoveAll(doomed, 8000));
            if (last) Dispatcher.StopAll(3000);
            removal.Wait(8000);
            return doomed;
        }

        private static void Prune()
        {
            Importers.RemoveAll(w =>
            {
                Runspace r;
                if (!w.TryGetTarget(out r)) return true;
                var state = r.RunspaceStateInfo.State;
                return state == RunspaceState.Closed || state == RunspaceState.Broken;
            });
        }

        /// <summary>Removes connections in parallel, waiting at most waitMs.</summary>
        public static void RemoveAll(string[] names, int waitMs)
        {
            if (names.Length == 0) return;
            var tasks = names.Select(n => Task.Run(() => Client.Cancel(n))).ToArray();
            try { Task.WaitAll(tasks, waitMs); } catch (Exception) { }
        }

        private static void OnProcessExit(object sender, EventArgs e)
        {
            // Dispatchers are background threads: closing their pollers is enough. Connections get
            // a 1001 close when the server answers quickly; exit never waits more than 2 s for it.
            HostOutput.Trace("process exit");
            try
            {
                Dispatcher.StopAll(0);
                if (NativeLibraryLoader.IsLoaded)
                {
                    Native.StopManagedPayloads();
                    Task.Run(() => Native.Shutdown()).Wait(2000);
                }
            }
            catch (Exception) { }
            HostOutput.Trace("process exit done");
        }
    }
}
