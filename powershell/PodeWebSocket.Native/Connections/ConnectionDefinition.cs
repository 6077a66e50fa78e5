// What the module knows about one connection beyond the native core: content type, handlers,
// $using: values, arguments, owner runspace, what its lifecycle events said, its handler errors.
using System;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace PodeWebSocket
{
    /// <summary>The last close seen by the module (from a Closed event).</summary>
    public sealed class CloseInfo
    {
        public int Code { get; internal set; }
        public string Reason { get; internal set; }
        /// <summary>Local, Remote or Lost.</summary>
        public string ClosedBy { get; internal set; }
        public DateTime Time { get; internal set; }
        public override string ToString() { return Code + " " + ClosedBy + (string.IsNullOrEmpty(Reason) ? "" : ": " + Reason); }
    }

    public sealed class ConnectionDefinition
    {
        private readonly HandlerScript[] scripts = new HandlerScript[HandlerKinds.Count];

        public ConnectionDefinition(string name, string url, string contentType, object[] argumentList)
        {
            Name = name;
            ContentType = contentType ?? string.Empty;
            ArgumentList = argumentList ?? new object[0];
            UsingValues = new Hashtable(StringComparer.OrdinalIgnoreCase);
            Connection = new WsConnection(name, url, ContentType);
            OwnerRunspaceId = Runspace.DefaultRunspace != null ? Runspace.DefaultRunspace.InstanceId : Guid.Empty;
            HandlerErrors = new HandlerErrorLog();
        }

        public string Name { get; private set; }
        public ulong Id { get; internal set; }
        public string ContentType { get; private set; }
        public object[] ArgumentList { get; private set; }
        public Hashtable UsingValues { get; private set; }
        public WsConnection Connection { get; private set; }
        public Guid OwnerRunspaceId { get; set; }
        /// <summary>Identifies the Pode server instance that connected (its cancellation token), else null.</summary>
        public object PodeServer { get; set; }
        /// <summary>The connection's trace in the core (option traceId): what -Verbose shows of its connects, resets and closes.</summary>
        public ConnectTrace Trace { get; set; }
        /// <summary>Connect-PodeWebSocket -NoWait: the first connect runs in the background (its failure is shown on the host).</summary>
        public bool Background { get; set; }
        /// <summary>Connect-PodeWebSocket -Reconnect.</summary>
        public bool Reconnect { get; set; }
        /// <summary>Connect-PodeWebSocket -ReuseRawBody: a large binary message's RawBody is
        /// used again once its handler moved on (Dispatch/EventRun).</summary>
        public bool ReuseRawBody { get; set; }

        /// <summary>Compiles a handler of this connection (null removes it).</summary>
        public void SetHandler(HandlerKind kind, ScriptBlock scriptBlock, SessionState callerState)
        {
            scripts[(int)kind] = scriptBlock == null ? null : HandlerCompiler.Compile(scriptBlock, kind, callerState, UsingValues, Name);
        }

        /// <summary>SetHandler, returning the failure instead of throwing.</summary>
        public PodeWebSocketException TrySetHandler(HandlerKind kind, ScriptBlock scriptBlock, SessionState callerState)
        {
            try
            {
                SetHandler(kind, scriptBlock, callerState);
                return null;
            }
            catch (Exception e)
            {
                return PodeWebSocketException.Find(e) ?? Errors.Invalid("InvalidScript", "the " + HandlerKinds.Describe(kind) + " of '" + Name + "' cannot be used: " + e.Message, Name);
            }
        }

        public HandlerScript GetHandler(HandlerKind kind) { return scripts[(int)kind]; }

        /// <summary>A begun pipeline of one handler, in the calling thread's runspace.</summary>
        public SteppablePipeline CreatePipeline(HandlerKind kind)
        {
            var script = GetHandler(kind);
            if (script == null) throw new InvalidOperationException("the connection '" + Name + "' has no " + HandlerKinds.Describe(kind));
            return HandlerPipeline.Create(script, UsingValues, ArgumentList);
        }

        public bool HasHandlers { get { return Array.Exists(scripts, s => s != null); } }

        /// <summary>No handler at all: messages wait for Receive-PodeWebSocket (native option manualReceive).</summary>
        public bool ManualReceive { get { return !HasHandlers; } }

        // Runtime state, written by dispatchers and Receive-PodeWebSocket.
        public HandlerErrorLog HandlerErrors { get; private set; }
        public long HandlerErrorCount { get { return HandlerErrors.Count; } }
        public HandlerError LastHandlerError { get { return HandlerErrors.Last; } }
        public CloseInfo LastClose { get; internal set; }
        public string LastNativeError { get; internal set; }
        public volatile bool Removed;
        internal DateTime RemovedUtc;
        /// <summary>The last lifecycle event seen was Closed (no handler of this session runs any more).</summary>
        internal volatile bool ClosedSeen;
        /// <summary>An Opened event was seen (a background first connect succeeded at least once).</summary>
        internal volatile bool HasOpened;
        /// <summary>A failed attempt of the background first connect was already shown on the host.</summary>
        internal bool FirstFailureShown;

        /// <summary>Updates what the module knows from a lifecycle event.</summary>
        internal void Observe(ref NativeEvent ev)
        {
            switch (ev.Kind)
            {
                case EventKind.Opened:
                    Connection.SetUrl(Utf8.Decode(ev.Data, ev.DataLen));
                    Connection.SubProtocol = Utf8.Decode(ev.Extra, ev.ExtraLen);
                    ClosedSeen = false;
                    HasOpened = true;
                    break;
                case EventKind.Closed:
                    ClosedSeen = true;
                    LastClose = new CloseInfo
                    {
                        Code = (int)ev.Code,
                        Reason = Utf8.Decode(ev.Data, ev.DataLen),
                        ClosedBy = EventFactory.CloserName(ev.ClosedBy),
                        Time = EventFactory.Timestamp(ev.TimestampMs),
                    };
                    break;
                case EventKind.Error:
                    LastNativeError = Utf8.Decode(ev.Data, ev.DataLen);
                    break;
            }
        }
    }
}
