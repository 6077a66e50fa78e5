// The dispatchers: exactly N DispatcherWorkers (Set-PodeWebSocketConcurrency), started with the
// first connection that has handlers, restarted when a (new run of a) Pode server needs its
// runspace state, stopped by module removal and process exit.
using System;
using System.Collections.Generic;
using System.Management.Automation.Host;

namespace PodeWebSocket
{
    public static class Dispatcher
    {
        private static readonly object Gate = new object();
        private static readonly List<DispatcherWorker> Workers = new List<DispatcherWorker>();
        private static int maximum = 2;
        private static int nextIndex;
        private static DispatcherFlavor flavor;
        private static PSHost host;
        private static string modulePath;

        /// <summary>Show handler errors on the host (they are always recorded for Get-PodeWebSocket).</summary>
        public static bool ShowHandlerErrors
        {
            get { return HandlerErrorReport.Show; }
            set { HandlerErrorReport.Show = value; }
        }

        public static int Maximum { get { return maximum; } }
        public static int Running { get { lock (Gate) return Workers.Count; } }
        public static DispatcherFlavor Flavor { get { return flavor; } }
        /// <summary>$WsEvent.Lockable now: Pode's global lockable while dispatching for Pode, else the process-wide one.</summary>
        public static object Lockable { get { return Lockables.Current; } }

        /// <summary>Starts the dispatchers if needed; restarts them when a (new run of a) Pode server needs its state.</summary>
        public static void EnsureRunning(PSHost callerHost, string moduleManifestPath, DispatcherFlavor wanted)
        {
            lock (Gate)
            {
                if (Workers.Count > 0)
                {
                    bool podeChanged = wanted.IsPode && (flavor == null || !flavor.IsPode || !ReferenceEquals(flavor.Server, wanted.Server));
                    if (!podeChanged) return;
                    StopLocked(3000, false);   // they finish their batches: no message is lost
                }
                flavor = wanted;
                Lockables.Current = wanted.Lockable;
                host = callerHost;
                modulePath = moduleManifestPath;
                for (int i = 0; i < maximum; i++) StartWorkerLocked();
            }
        }

        /// <summary>Sets the number of dispatcher runspaces (applied at once when they are running).</summary>
        public static void SetConcurrency(int count)
        {
            if (count < 1) throw new ArgumentOutOfRangeException("count", "the number of dispatchers must be at least 1");
            lock (Gate)
            {
                maximum = count;
                if (Workers.Count == 0) return;
                while (Workers.Count < maximum) StartWorkerLocked();
                while (Workers.Count > maximum)
                {
                    var last = Workers[Workers.Count - 1];
                    Workers.RemoveAt(Workers.Count - 1);
                    last.Stop(false);   // it finishes its current batch, then ends
                }
            }
        }

        /// <summary>Stops every dispatcher, waiting up to waitMs in all (a stuck handler is then stopped, then
        /// abandoned); 0 only signals them.</summary>
        public static void StopAll(int waitMs)
        {
            lock (Gate) StopLocked(waitMs, true);
        }

        private static void StopLocked(int waitMs, bool abandon)
        {
            var stopping = Workers.ToArray();
            Workers.Clear();
            foreach (var w in stopping) w.Stop(abandon);
            if (waitMs <= 0) return;
            var deadline = DateTime.UtcNow.AddMilliseconds(waitMs);
            foreach (var w in stopping)
            {
                if (w.IsCurrentThread) continue;
                int left = (int)Math.Max(0, (deadline - DateTime.UtcNow).TotalMilliseconds);
                if (!w.Join(left))
                {
                    w.Interrupt();
                    w.Join(500);
                }
            }
        }

        private static void StartWorkerLocked()
        {
            var w = new DispatcherWorker(++nextIndex, flavor, host, modulePath);
            Workers.Add(w);
            w.Start();
        }
    }
}
