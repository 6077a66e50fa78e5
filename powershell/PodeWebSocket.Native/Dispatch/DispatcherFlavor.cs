// Where dispatcher runspaces come from: a plain default session, or a Pode server's runspace
// state (Pode's commands and $PodeContext then work in handlers; Lockable is Pode's global one).
using System;
using System.Collections;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace PodeWebSocket
{
    public sealed class DispatcherFlavor
    {
        private DispatcherFlavor() { }

        public static DispatcherFlavor Standalone()
        {
            return new DispatcherFlavor { Lockable = Lockables.Standalone };
        }

        /// <summary>Pode: runspaces from its InitialSessionState; Lockable = its global lockable; server = its
        /// cancellation token (identifies one run of the server); tokens = $PodeContext.Tokens.</summary>
        public static DispatcherFlavor Pode(InitialSessionState state, object lockable, object server, IDictionary tokens)
        {
            if (state == null) throw new ArgumentNullException("state");
            return new DispatcherFlavor { State = state, Lockable = lockable ?? Lockables.Standalone, Server = server, Tokens = tokens };
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
}
