// One dispatcher: a background thread with its own runspace that polls the native core for a
// batch of events (one P/Invoke per batch) and hands each run of consecutive messages of one
// connection to that connection's handler, compiled once per connection in this runspace into a
// steppable pipeline; lifecycle events go to -OnOpen/-OnClose/-OnError, Reconnecting events to
// -OnReconnecting, whose output answers the core. The core hands one connection's events to one
// poller at a time, so each connection is handled in order.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace PodeWebSocket
{
    public sealed unsafe class DispatcherWorker
    {
        private const uint BatchSize = 256;
        // How long an idle dispatcher sleeps in the core before its housekeeping (dropping removed
        // connections' pipelines, the minute's sweep, letting recycled arrays go): stopping wakes
        // the poll at once, so this only sets how often an idle process wakes up (1,000 idle
        // connections cost the dispatchers 0.5-1 ms of CPU a second at 1 s).
        private const uint PollTimeoutMs = 5000;
        private const string LoopScript =
            "param($__pwsModule, $__pwsWorker) " +
            "Import-Module -Name $__pwsModule -Global -ErrorAction Stop; " +
            "[PodeWebSocket.DispatcherWorker]::Run($__pwsWorker)";

        private readonly int index;
        private readonly DispatcherFlavor flavor;
        private readonly PSHost host;
        private readonly string modulePath;
        private readonly PollerHandle poller;
        private readonly ManualResetEventSlim exited = new ManualResetEventSlim(false);
        // per connection, one begun pipeline per handler kind (null: not built yet or dropped)
        private readonly Dictionary<ConnectionDefinition, SteppablePipeline[]> pipelines = new Dictionary<ConnectionDefinition, SteppablePipeline[]>();
        private readonly EventRun run = new EventRun();
        private Thread thread;
        private volatile bool stopping;
        private volatile PowerShell shell;
        private int seenGeneration;
        private ulong lastId;
        private ConnectionDefinition lastDefinition;
        private DateTime nextSweep = DateTime.UtcNow.AddMinutes(1);

        internal DispatcherWorker(int index, DispatcherFlavor flavor, PSHost host, string modulePath)
        {
            this.index = index;
            this.flavor = flavor;
            this.host = host;
            this.modulePath = modulePath;
            poller = Native.NewPoller();
        }

        internal bool IsCurrentThread { get { return thread == Thread.CurrentThread; } }

        internal void Start()
        {
            thread = new Thread(Main) { IsBackground = true, Name = "PodeWebSocket dispatcher " + index };
            thread.Start();
        }

        /// <summary>Asks the loop to end after its current batch (any thread); abandon: after the
        /// message being handled (the rest of the batch is dropped: the module or process is going).</summary>
        internal void Stop(bool abandon)
        {
            stopping = true;
            if (abandon) run.Abandon();
            Native.Close(poller);
        }

        internal bool Join(int ms) { return exited.Wait(ms); }

        /// <summary>Stops a handler that does not return (PowerShell's stop, like Ctrl+C).</summary>
        internal void Interrupt()
        {
            try
            {
                var ps = shell;
                if (ps != null) ps.BeginStop(null, null);
            }
            catch (Exception) { }
        }

        /// <summary>The loop of a dispatcher; called by its runspace's script (do not call yourself).</summary>
        public static void Run(object worker)
        {
            var w = worker as DispatcherWorker;
            if (w == null || !w.IsCurrentThread) throw new InvalidOperationException("DispatcherWorker.Run is for dispatcher runspaces only.");
            w.Loop();
        }

        private void Main()
        {
            HandlerContext.MarkDispatcherThread();
            HostOutput.Trace("worker " + index + " starting");
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
                    HostOutput.Trace("worker " + index + " loop returned, stopping=" + stopping);
                    if (!stopping && ps.Streams.Error.Count > 0)
                    {
                        HostOutput.ShowError(host, "PodeWebSocket: dispatcher " + index + " stopped: " + ps.Streams.Error[0]);
                    }
                }
            }
            catch (Exception e)
            {
                HostOutput.Trace("worker " + index + " failed: " + e);
                if (!stopping) HostOutput.ShowError(host, "PodeWebSocket: dispatcher " + index + " stopped: " + e.Message);
            }
            finally
            {
                HostOutput.Trace("worker " + index + " cleaning up");
                shell = null;
                DisposePipelines();
                try { if (runspace != null) runspace.Dispose(); } catch (Exception) { }
                poller.Dispose();
                exited.Set();
                HostOutput.Trace("worker " + index + " exited");
            }
        }

        private void Loop()
        {
            seenGeneration = Registry.Generation;
            while (!stopping)
            {
                NativeEvent* events;
                int count;
                var rc = Native.Poll(poller, PollTimeoutMs, BatchSize, out events, out count);
                if (rc == PodeWsResult.Closed) break;
                if (rc != PodeWsResult.Ok)
                {
                    HostOutput.ShowError(host, "PodeWebSocket: dispatcher " + index + " could not poll: " + LastError.Read());
                    Thread.Sleep(200);
                    continue;
                }
                if (count > 0)
                {
                    long largeBytes, largest;
                    LargeMessages(events, count, out largeBytes, out largest);
                    HandleBatch(events, count);
                    // Free the batch now (large payloads) rather than at the next poll, which may
                    // wait seconds; the events were copied into managed objects while handled.
                    Native.Release(poller);
                    // arrays handed back for reuse (-ReuseRawBody) are not garbage; kept arrays
                    // the free list let go for newer ones are
                    largeBytes -= run.ReturnHandedBack();
                    if (largest > 0) largeBytes += RecycledArrays.TakeLetGoBytes();
                    if (largeBytes > 0) LargeMessageGarbage.Handled(largeBytes, largest);
                }
                Housekeep();
            }
        }

        /// <summary>The managed bytes the batch's large messages take (see LargeMessageGarbage:
        /// a binary message's copy, a text message's UTF-16 string), and the largest.</summary>
        private static void LargeMessages(NativeEvent* events, int n, out long bytes, out long largest)
        {
            bytes = 0;
            largest = 0;
            for (int i = 0; i < n; i++)
            {
                long len = (long)(ulong)events[i].DataLen;
                if (!events[i].IsMessage || len < LargeMessageGarbage.LargeMessageBytes) continue;
                if (events[i].Kind == EventKind.Text) len *= 2;
                bytes += len;
                largest = Math.Max(largest, len);
            }
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
                if (!ev.IsMessage)
                {
                    if (definition != null) HandleLifecycle(definition, ref ev);
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < n && events[j].ConnectionId == ev.ConnectionId && events[j].IsMessage) j++;
                if (definition != null && !definition.Removed && definition.GetHandler(HandlerKind.Message) != null)
                {
                    run.SetNative(definition.Connection, flavor.Lockable, events, i, j, definition.ReuseRawBody);
                    Invoke(definition, HandlerKind.Message);
                    run.Clear();
                }
                i = j;
            }
        }

        /// <summary>The handler kind of a lifecycle event, or null.</summary>
        private static HandlerKind? LifecycleHandler(EventKind kind)
        {
            switch (kind)
            {
                case EventKind.Opened: return HandlerKind.Open;
                case EventKind.Closed: return HandlerKind.Close;
                case EventKind.Error: return HandlerKind.Error;
                case EventKind.Reconnecting: return HandlerKind.Reconnecting;
                default: return null;
            }
        }

        private void HandleLifecycle(ConnectionDefinition definition, ref NativeEvent ev)
        {
            var kind = LifecycleHandler(ev.Kind);
            if (kind == null) return;
            if (kind == HandlerKind.Reconnecting)
            {
                HandleReconnecting(definition, ref ev);
                return;
            }
            definition.Observe(ref ev);
            if (definition.GetHandler(HandlerKind.Error) == null) ShowFirstConnectFailure(definition, ref ev);
            // a removed connection's -OnClose still runs: it is the last thing it does
            bool runs = !definition.Removed || kind == HandlerKind.Close;
            if (runs && definition.GetHandler(kind.Value) != null)
            {
                run.SetSingle(definition.Connection, EventFactory.Lifecycle(definition.Connection, flavor.Lockable, ref ev));
                Invoke(definition, kind.Value);
            }
            if (kind == HandlerKind.Close && definition.Removed)
            {
                Registry.Bury(definition);
                if (lastDefinition == definition) lastDefinition = null;
            }
        }

        /// <summary>
        /// Runs -OnReconnecting for a Reconnecting event and answers the core with its output (the
        /// core waits for the answer only when the connection has that handler: reconnect.awaitTarget).
        /// A handler that throws fails the attempt with its message; the core then reports the
        /// attempt's failure (ReconnectHandlerFailed) as an Error event, so -OnError sees it.
        /// </summary>
        private void HandleReconnecting(ConnectionDefinition definition, ref NativeEvent ev)
        {
            if (definition.Removed || definition.GetHandler(HandlerKind.Reconnecting) == null) return;
            uint attempt = ev.Attempt;
            run.SetSingle(definition.Connection, EventFactory.Lifecycle(definition.Connection, flavor.Lockable, ref ev));
            Array output = null;
            string failed = null;
            SteppablePipeline pipeline = GetPipeline(definition, HandlerKind.Reconnecting);
            if (pipeline == null)
            {
                failed = "the -OnReconnecting handler could not be started (see the connection's handler errors)";
            }
            else
            {
                try
                {
                    output = pipeline.Process(run);
                }
                catch (PipelineStoppedException)
                {
                    stopping = true;
                    throw;
                }
                catch (Exception ex)
                {
                    if (!(ex is FlowControlException))
                    {
                        HandlerErrorReport.Report(definition, HandlerKind.Reconnecting, ex, null, host);
                        failed = "the -OnReconnecting handler failed: " + ex.Message;
                    }
                    Drop(definition, HandlerKind.Reconnecting);
                }
                finally
                {
                    HandlerContext.SetCurrent(null);
                }
                var errors = shell != null ? shell.Streams.Error : null;
                if (errors != null && errors.Count > 0)
                {
                    foreach (var record in errors.ReadAll()) HandlerErrorReport.Report(definition, HandlerKind.Reconnecting, null, record, host);
                }
            }
            run.Clear();
            var refused = ReconnectAnswer.Send(definition.Name, attempt, output, failed);
            // an answer nobody waits for any more (a reset, disconnect or remove meanwhile) is not the handler's fault
            bool stale = false;
            if (refused != null && refused.NativeCode == PodeWsResult.InvalidArgument)
            {
                var state = Native.State(Utf8.Encode(definition.Name));
                stale = state != ConnectionState.Reconnecting && state != ConnectionState.Connecting;
            }
            if (refused != null && !stale) HandlerErrorReport.Report(definition, HandlerKind.Reconnecting, refused, null, host);
        }

        /// <summary>
        /// A -NoWait connect that has not opened yet, without -OnError, is not silent: its first
        /// failed attempt and its end (a permanent failure, giving up, no -Reconnect) are written
        /// to the host, as handler errors are; Get-PodeWebSocket's State and LastError tell it too.
        /// </summary>
        private void ShowFirstConnectFailure(ConnectionDefinition definition, ref NativeEvent ev)
        {
            if (!definition.Background || definition.HasOpened || definition.Removed || !HandlerErrorReport.Show) return;
            if (ev.Kind == EventKind.Error && definition.Reconnect && !definition.FirstFailureShown)
            {
                definition.FirstFailureShown = true;
                var error = Errors.FromNative((PodeWsResult)ev.Code, Utf8.Decode(ev.Data, ev.DataLen), definition.Name);
                HostOutput.ShowError(host, "PodeWebSocket: the first connect of '" + definition.Name + "' failed (" + error.ErrorId + "): " +
                    error.Message + "; retrying in the background (-Reconnect)");
            }
            else if (ev.Kind == EventKind.Closed)
            {
                string cause = Utf8.Decode(ev.Extra, ev.ExtraLen);
                if (string.IsNullOrEmpty(cause)) cause = definition.LastNativeError;
                HostOutput.ShowError(host, "PodeWebSocket: the connection '" + definition.Name + "' could not be opened: " +
                    (string.IsNullOrEmpty(cause) ? "closed before it opened" : cause) + " (state Closed; Reset-PodeWebSocket tries again)");
            }
        }

        /// <summary>Feeds the current run to the handler until every event of it was handled.</summary>
        private void Invoke(ConnectionDefinition definition, HandlerKind kind)
        {
            while (!run.Done)
            {
                SteppablePipeline pipeline = GetPipeline(definition, kind);
                if (pipeline == null)
                {
                    run.Clear();   // cannot be built (recorded); its events cannot be handled
                    return;
                }
                int before = run.Position;
                try
                {
                    pipeline.Process(run);
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
                    if (!(ex is FlowControlException)) HandlerErrorReport.Report(definition, kind, ex, null, host);
                    Drop(definition, kind);
                }
                finally
                {
                    HandlerContext.SetCurrent(null);
                }
                var errors = shell != null ? shell.Streams.Error : null;
                if (errors != null && errors.Count > 0)
                {
                    foreach (var record in errors.ReadAll()) HandlerErrorReport.Report(definition, kind, null, record, host);
                }
                if (run.Position == before)
                {
                    run.Clear();   // the pipeline took nothing: never spin
                    return;
                }
            }
        }

        private SteppablePipeline GetPipeline(ConnectionDefinition definition, HandlerKind kind)
        {
            SteppablePipeline[] built;
            if (!pipelines.TryGetValue(definition, out built))
            {
                built = new SteppablePipeline[HandlerKinds.Count];
                pipelines[definition] = built;
            }
            var existing = built[(int)kind];
            if (existing != null) return existing;

            if (definition.GetHandler(kind) == null) return null;
            try
            {
                return built[(int)kind] = definition.CreatePipeline(kind);
            }
            catch (PipelineStoppedException)
            {
                stopping = true;
                throw;
            }
            catch (Exception ex)
            {
                HandlerErrorReport.Report(definition, kind, ex, null, host);
                return null;
            }
        }

        private void Drop(ConnectionDefinition definition, HandlerKind kind)
        {
            SteppablePipeline[] built;
            if (!pipelines.TryGetValue(definition, out built)) return;
            var pipeline = built[(int)kind];
            built[(int)kind] = null;
            if (pipeline != null) try { pipeline.Dispose(); } catch (Exception) { }
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
                foreach (var definition in pipelines.Keys) if (definition.Removed) gone.Add(definition);
                foreach (var definition in gone)
                {
                    foreach (var kind in HandlerKinds.All) Drop(definition, kind);
                    pipelines.Remove(definition);
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
            RecycledArrays.TrimIfIdle();
            if (DateTime.UtcNow > nextSweep)
            {
                nextSweep = DateTime.UtcNow.AddMinutes(1);
                Registry.Sweep();
            }
        }

        private void DisposePipelines()
        {
            foreach (var built in pipelines.Values)
            {
                foreach (var pipeline in built)
                {
                    if (pipeline != null) try { pipeline.Dispose(); } catch (Exception) { }
                }
            }
            pipelines.Clear();
        }
    }
}
