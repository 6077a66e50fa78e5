// Dispatchers: N threads, each with its own runspace (created with the caller's host, or from
// Pode's runspace state when a Pode server is running). Each polls the native core for a batch of
// events (one P/Invoke per batch) and hands each run of consecutive messages of one connection to
// that connection's handler, compiled once per connection per runspace into a steppable pipeline
// whose foreach builds each $WsEvent in C# as it reaches it. The core hands one
// connection's events to one poller at a time, so each connection is handled in order while
// different connections run in parallel. Handler errors are recorded and shown, never fatal.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace PodeWebSocket
{
    /// <summary>Where dispatcher runspaces come from: a plain default session, or Pode's runspace state.</summary>
    public sealed class DispatcherFlavor
    {
        private DispatcherFlavor() { }

        public static DispatcherFlavor Standalone()
        {
            return new DispatcherFlavor { Lockable = Dispatcher.StandaloneLockable };
        }

        /// <summary>Pode: runspaces from its InitialSessionState; Lockable = its global lockable; server = its
        /// cancellation token (identifies one run of the server); tokens = $PodeContext.Tokens.</summary>
        public static DispatcherFlavor Pode(InitialSessionState state, object lockable, object server, IDictionary tokens)
        {
            if (state == null) throw new ArgumentNullException("state");
            return new DispatcherFlavor { State = state, Lockable = lockable ?? Dispatcher.StandaloneLockable, Server = server, Tokens = tokens };
        }

        public InitialSessionState State { get; private set; }
        public object Lockable { get; private set; }
        public object Server { get; private set; }
        public IDictionary Tokens { get; private set; }
        public bool IsPode { get { return State != null; } }

        /// <summary>Pode imports the user's modules and functions into its state before it cancels the
        /// Start token; dispatchers wait for that so handlers see them.</summary>
        internal bool IsReady()
        {
            if (Tokens == null || !Tokens.Contains("Start")) return true;
            var start = Tokens["Start"] as CancellationTokenSource;
            return start == null || start.IsCancellationRequested;
        }
    }

    public static class Dispatcher
    {
        private static readonly object Gate = new object();
        private static readonly List<Worker> Workers = new List<Worker>();
        private static int maximum = 2;
        private static int nextIndex;
        private static DispatcherFlavor flavor;
        private static PSHost host;
        private static string modulePath;

        [ThreadStatic] private static WsEvent currentEvent;
        [ThreadStatic] private static bool isDispatcherThread;

        /// <summary>Lockable of standalone handlers: one process-wide synchronized hashtable.</summary>
        public static readonly Hashtable StandaloneLockable = Hashtable.Synchronized(new Hashtable(StringComparer.OrdinalIgnoreCase));

        /// <summary>Show handler errors on the host (they are always recorded for Get-PodeWebSocket).</summary>
        public static bool ShowHandlerErrors = true;

        public static int Maximum { get { return maximum; } }
        public static int Running { get { lock (Gate) return Workers.Count; } }
        public static DispatcherFlavor Flavor { get { return flavor; } }
        public static object Lockable { get { var f = flavor; return f != null ? f.Lockable : StandaloneLockable; } }
        public static bool IsDispatcherThread { get { return isDispatcherThread; } }
        /// <summary>The event being handled on this thread, or null.</summary>
        public static WsEvent CurrentEvent { get { return currentEvent; } }
        public static string CurrentName
        {
            get
            {
                var e = currentEvent;
                return e == null ? null : ((WsRequest)e["Request"]).WebSocket.Name;
            }
        }

        internal static void SetCurrent(WsEvent e) { currentEvent = e; }
        internal static void MarkDispatcherThread() { isDispatcherThread = true; }

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
            var w = new Worker(++nextIndex, flavor, host, modulePath);
            Workers.Add(w);
            w.Start();
        }

        /// <summary>The loop of a dispatcher; called by its runspace's script (do not call yourself).</summary>
        public static void Run(object worker)
        {
            var w = worker as Worker;
            if (w == null || !w.IsCurrentThread) throw new InvalidOperationException("Dispatcher.Run is for dispatcher runspaces only.");
            w.Loop();
        }

        internal static readonly bool Tracing = Environment.GetEnvironmentVariable("PODEWS_TRACE") == "1";

        internal static void Trace(string text)
        {
            if (Tracing) Console.Error.WriteLine("[podews " + DateTime.Now.ToString("HH:mm:ss.fff") + " t" + Thread.CurrentThread.ManagedThreadId + "] " + text);
        }

        internal static void ShowError(string text)
        {
            try
            {
                var h = host;
                if (h != null && h.UI != null) h.UI.WriteErrorLine(text);
                else Console.Error.WriteLine(text);
            }
            catch (Exception) { }
        }
    }

    internal sealed unsafe class Worker
    {
        private const uint BatchSize = 256;
        private const string LoopScript =
            "param($__pwsModule, $__pwsWorker) " +
            "Import-Module -Name $__pwsModule -Global -ErrorAction Stop; " +
            "[PodeWebSocket.Dispatcher]::Run($__pwsWorker)";

        private sealed class Compiled
        {
            public SteppablePipeline Pipeline;
        }

        private readonly int index;
        private readonly DispatcherFlavor flavor;
        private readonly PSHost host;
        private readonly string modulePath;
        private readonly object pollerGate = new object();
        private readonly ManualResetEventSlim exited = new ManualResetEventSlim(false);
        private readonly Dictionary<ConnectionDefinition, Compiled[]> compiled = new Dictionary<ConnectionDefinition, Compiled[]>();
        private readonly EventRun run = new EventRun();
        private IntPtr poller;
        private Thread thread;
        private volatile bool stopping;
        private volatile PowerShell shell;
        private int seenGeneration;
        private ulong lastId;
        private ConnectionDefinition lastDefinition;
        private DateTime nextSweep = DateTime.UtcNow.AddMinutes(1);

        public Worker(int index, DispatcherFlavor flavor, PSHost host, string modulePath)
        {
            this.index = index;
            this.flavor = flavor;
            this.host = host;
            this.modulePath = modulePath;
            IntPtr p;
            LastError.Check(NativeMethods.pode_ws_poller_new(&p), null);
            poller = p;
        }

        public bool IsCurrentThread { get { return thread == Thread.CurrentThread; } }

        public void Start()
        {
            thread = new Thread(Main) { IsBackground = true, Name = "PodeWebSocket dispatcher " + index };
            thread.Start();
        }

        /// <summary>Asks the loop to end after its current batch (any thread); abandon: after the
        /// message being handled (the rest of the batch is dropped: the module or process is going).</summary>
        public void Stop(bool abandon)
        {
            stopping = true;
            if (abandon) run.Abandon();
            lock (pollerGate)
            {
                if (poller != IntPtr.Zero) NativeMethods.pode_ws_poller_close(poller);
            }
        }

        public bool Join(int ms) { return exited.Wait(ms); }

        /// <summary>Stops a handler that does not return (PowerShell's stop, like Ctrl+C).</summary>
        public void Interrupt()
        {
            try
            {
                var ps = shell;
                if (ps != null) ps.BeginStop(null, null);
            }
            catch (Exception) { }
        }

        private void Main()
        {
            Dispatcher.MarkDispatcherThread();
            Dispatcher.Trace("worker " + index + " starting");
            Runspace runspace = null;
            try
            {
                var waitUntil = DateTime.UtcNow.AddSeconds(60);
                while (!stopping && !flavor.IsReady() && DateTime.UtcNow < waitUntil) Thread.Sleep(100);
                if (stopping) return;

                var state = flavor.State ?? InitialSessionState.CreateDefault();
                runspace = host != null ? RunspaceFactory.CreateRunspace(host, state) : RunspaceFactory.CreateRunspace(state);
                runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
                runspace.Name = "PodeWebSocket_Dispatcher_" + index;
                runspace.Open();
                using (var ps = PowerShell.Create())
                {
                    ps.Runspace = runspace;
                    ps.AddScript(LoopScript, true).AddArgument(modulePath).AddArgument(this);
                    // PowerShell stops our pipeline at process exit and waits for it: the loop is
                    // in a native poll then, so wake it to notice.
                    ps.InvocationStateChanged += (sender, e) =>
                    {
                        if (e.InvocationStateInfo.State == PSInvocationState.Stopping) Stop(true);
                    };
                    shell = ps;
                    ps.Invoke();
                    Dispatcher.Trace("worker " + index + " loop returned, stopping=" + stopping);
                    if (!stopping && ps.Streams.Error.Count > 0)
                    {
                        Dispatcher.ShowError("PodeWebSocket: dispatcher " + index + " stopped: " + ps.Streams.Error[0]);
                    }
                }
            }
            catch (Exception e)
            {
                Dispatcher.Trace("worker " + index + " failed: " + e);
                if (!stopping) Dispatcher.ShowError("PodeWebSocket: dispatcher " + index + " stopped: " + e.Message);
            }
            finally
            {
                Dispatcher.Trace("worker " + index + " cleaning up");
                shell = null;
                DisposeCompiled();
                try { if (runspace != null) runspace.Dispose(); } catch (Exception) { }
                lock (pollerGate)
                {
                    NativeMethods.pode_ws_poller_free(poller);
                    poller = IntPtr.Zero;
                }
                exited.Set();
                Dispatcher.Trace("worker " + index + " exited");
            }
        }

        public void Loop()
        {
            seenGeneration = Registry.Generation;
            while (!stopping)
            {
                NativeEvent* events;
                UIntPtr count;
                int rc = NativeMethods.pode_ws_poll(poller, 1000, BatchSize, &events, &count);
                if (rc == (int)PodeWsResult.Closed) break;
                if (rc != 0)
                {
                    Dispatcher.ShowError("PodeWebSocket: dispatcher " + index + " could not poll: " + LastError.Read());
                    Thread.Sleep(200);
                    continue;
                }
                if ((ulong)count > 0)
                {
                    HandleBatch(events, (int)(ulong)count);
                    // Free the batch now (large payloads) rather than at the next poll, which may
                    // wait a second; the events were copied into managed objects while handled.
                    NativeMethods.pode_ws_poller_release(poller);
                }
                Housekeep();
            }
        }

        private static bool IsMessage(uint kind)
        {
            return kind == EventKind.Text || kind == EventKind.Binary;
        }

        private ConnectionDefinition Resolve(ref NativeEvent ev)
        {
            if (ev.ConnectionId == lastId && lastDefinition != null) return lastDefinition;
            var definition = Registry.Resolve(ev.ConnectionId, ev.Name, ev.NameLen);
            lastId = ev.ConnectionId;
            lastDefinition = definition;
            return definition;
        }

        /// <summary>Consecutive messages of one connection go to its handler as one run.</summary>
        private void HandleBatch(NativeEvent* events, int n)
        {
            int i = 0;
            while (i < n)
            {
                ref NativeEvent ev = ref events[i];
                var definition = Resolve(ref ev);
                if (!IsMessage(ev.Kind))
                {
                    if (definition != null) HandleLifecycle(definition, ref ev);
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < n && events[j].ConnectionId == ev.ConnectionId && IsMessage(events[j].Kind)) j++;
                if (definition != null && !definition.Removed && definition.GetHandler(HandlerKind.Message) != null)
                {
                    run.SetNative(definition, flavor.Lockable, events, i, j);
                    Invoke(definition, HandlerKind.Message);
                }
                i = j;
            }
        }

        private void HandleLifecycle(ConnectionDefinition definition, ref NativeEvent ev)
        {
            switch (ev.Kind)
            {
                case EventKind.Opened:
                    definition.Observe(ref ev);
                    if (definition.GetHandler(HandlerKind.Open) != null && !definition.Removed)
                    {
                        var data = ContentType.NewTable();
                        data["Url"] = definition.Connection.Url;
                        data["SubProtocol"] = definition.Connection.SubProtocol;
                        run.SetSingle(Lifecycle(definition, data, ev.TimestampMs));
                        Invoke(definition, HandlerKind.Open);
                    }
                    break;
                case EventKind.Closed:
                    definition.Observe(ref ev);
                    if (definition.GetHandler(HandlerKind.Close) != null)
                    {
                        var close = definition.LastClose;
                        var data = ContentType.NewTable();
                        data["Code"] = close.Code;
                        data["Reason"] = close.Reason;
                        data["ClosedBy"] = close.ClosedBy;
                        run.SetSingle(Lifecycle(definition, data, ev.TimestampMs));
                        Invoke(definition, HandlerKind.Close);
                    }
                    if (definition.Removed)
                    {
                        Registry.Bury(definition);
                        if (lastDefinition == definition) lastDefinition = null;
                    }
                    break;
                case EventKind.Error:
                    definition.Observe(ref ev);
                    if (definition.GetHandler(HandlerKind.Error) != null && !definition.Removed)
                    {
                        var error = Errors.FromNative((PodeWsResult)ev.Code, definition.LastNativeError, definition.Name);
                        var data = ContentType.NewTable();
                        data["Message"] = error.Message;
                        data["ErrorId"] = error.ErrorId;
                        run.SetSingle(Lifecycle(definition, data, ev.TimestampMs));
                        Invoke(definition, HandlerKind.Error);
                    }
                    break;
            }
        }

        private WsEvent Lifecycle(ConnectionDefinition definition, Hashtable data, long timestampMs)
        {
            return WsEvent.ForLifecycle(new WsRequest(definition.Connection, null, false), data, flavor.Lockable, Utf8.Time(timestampMs));
        }

        /// <summary>Feeds the current run to the handler until every event of it was handled.</summary>
        private void Invoke(ConnectionDefinition definition, HandlerKind kind)
        {
            while (!run.Done)
            {
                Compiled handler = GetCompiled(definition, kind);
                if (handler == null)
                {
                    run.Clear();   // cannot compile (recorded); its events cannot be handled
                    return;
                }
                int before = run.Position;
                try
                {
                    handler.Pipeline.Process(run);
                }
                catch (PipelineStoppedException)
                {
                    // our runspace is being stopped (module removal, process exit): end the loop
                    stopping = true;
                    throw;
                }
                catch (Exception ex)
                {
                    // the event being handled failed; the next Process() resumes after it
                    if (!(ex is FlowControlException)) Report(definition, kind, ex, null);
                    Drop(definition, kind);
                }
                finally
                {
                    Dispatcher.SetCurrent(null);
                }
                var errors = shell != null ? shell.Streams.Error : null;
                if (errors != null && errors.Count > 0)
                {
                    foreach (var record in errors.ReadAll()) Report(definition, kind, null, record);
                }
                if (run.Position == before)
                {
                    run.Clear();   // the pipeline took nothing: never spin
                    return;
                }
            }
        }

        private Compiled GetCompiled(ConnectionDefinition definition, HandlerKind kind)
        {
            Compiled[] handlers;
            if (!compiled.TryGetValue(definition, out handlers))
            {
                handlers = new Compiled[4];
                compiled[definition] = handlers;
            }
            var existing = handlers[(int)kind];
            if (existing != null) return existing;

            if (definition.GetHandler(kind) == null) return null;
            try
            {
                var c = new Compiled { Pipeline = HandlerCompiler.CreatePipeline(definition, kind) };
                handlers[(int)kind] = c;
                return c;
            }
            catch (PipelineStoppedException)
            {
                stopping = true;
                throw;
            }
            catch (Exception ex)
            {
                Report(definition, kind, ex, null);
                return null;
            }
        }

        private void Drop(ConnectionDefinition definition, HandlerKind kind)
        {
            Compiled[] handlers;
            if (!compiled.TryGetValue(definition, out handlers)) return;
            var c = handlers[(int)kind];
            handlers[(int)kind] = null;
            if (c != null) try { c.Pipeline.Dispose(); } catch (Exception) { }
        }

        private void Housekeep()
        {
            int generation = Registry.Generation;
            if (generation != seenGeneration)
            {
                seenGeneration = generation;
                lastDefinition = null;
                lastId = 0;
                var gone = new List<ConnectionDefinition>();
                foreach (var definition in compiled.Keys) if (definition.Removed) gone.Add(definition);
                foreach (var definition in gone)
                {
                    for (int k = 0; k < 4; k++) Drop(definition, (HandlerKind)k);
                    compiled.Remove(definition);
                }
            }
            var ps = shell;
            if (ps != null)
            {
                // Nobody reads these streams (warnings and Write-Host reach the host directly): keep them empty.
                var s = ps.Streams;
                if (s.Warning.Count > 0) s.Warning.Clear();
                if (s.Verbose.Count > 0) s.Verbose.Clear();
                if (s.Debug.Count > 0) s.Debug.Clear();
                if (s.Information.Count > 0) s.Information.Clear();
                if (s.Progress.Count > 0) s.Progress.Clear();
            }
            if (DateTime.UtcNow > nextSweep)
            {
                nextSweep = DateTime.UtcNow.AddMinutes(1);
                Registry.Sweep();
            }
        }

        private void DisposeCompiled()
        {
            foreach (var handlers in compiled.Values)
            {
                foreach (var c in handlers)
                {
                    if (c != null) try { c.Pipeline.Dispose(); } catch (Exception) { }
                }
            }
            compiled.Clear();
        }

        private static readonly string[] HandlerNames = { "message handler", "-OnOpen handler", "-OnClose handler", "-OnError handler" };

        private void Report(ConnectionDefinition definition, HandlerKind kind, Exception exception, ErrorRecord record)
        {
            if (record == null)
            {
                var container = exception as IContainsErrorRecord;
                record = container != null ? container.ErrorRecord
                    : new ErrorRecord(exception, "PodeWebSocket.HandlerFailed", ErrorCategory.OperationStopped, definition.Name);
            }
            string message = record.Exception != null ? record.Exception.Message : record.ToString();
            definition.RecordHandlerError(new HandlerError
            {
                Time = DateTime.UtcNow,
                Handler = HandlerNames[(int)kind],
                Message = message,
                ErrorRecord = record,
            });
            if (!Dispatcher.ShowHandlerErrors) return;

            // The first errors are shown; then one every 10 s with the number left unshown, so a
            // handler failing on every message cannot flood the console.
            var now = DateTime.UtcNow;
            if (definition.ErrorsShown >= 5 && now - definition.LastErrorShownUtc < TimeSpan.FromSeconds(10))
            {
                definition.ErrorsSuppressed++;
                return;
            }
            string suppressed = definition.ErrorsSuppressed > 0 ? " (" + definition.ErrorsSuppressed + " similar errors not shown)" : string.Empty;
            definition.ErrorsSuppressed = 0;
            definition.ErrorsShown++;
            definition.LastErrorShownUtc = now;
            string position = record.InvocationInfo != null ? record.InvocationInfo.PositionMessage : null;
            if (position != null && position.Contains("$__pwsW"))
            {
                // an error written (not thrown) points at the wrapper's call: give the handler's line instead
                var line = System.Text.RegularExpressions.Regex.Match(record.ScriptStackTrace ?? string.Empty, @"line (\d+)");
                position = line.Success ? "(line " + line.Groups[1].Value + " of the handler)" : null;
            }
            Dispatcher.ShowError("PodeWebSocket: the " + HandlerNames[(int)kind] + " of '" + definition.Name + "' failed: " + message + suppressed +
                (string.IsNullOrEmpty(position) ? string.Empty : Environment.NewLine + position));
        }
    }
}
