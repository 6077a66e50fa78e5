// A connection's handler failures: how many, the last one (Get-PodeWebSocket shows both), the
// recent ones (Get-PodeWebSocketEvent merges them with the core's history), and which to show on
// the host: the first five, then one every 10 s with the number left unshown, so a handler
// failing on every message cannot flood the console.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;

namespace PodeWebSocket
{
    /// <summary>A failure of a handler, pointing at the user's code.</summary>
    public sealed class HandlerError
    {
        public DateTime Time { get; internal set; }
        public string Handler { get; internal set; }
        public string Message { get; internal set; }
        /// <summary>The ErrorRecord's FullyQualifiedErrorId.</summary>
        public string ErrorId { get; internal set; }
        /// <summary>The script file of the failing line (-FilePath, or the script the handler was written in); null when typed interactively.</summary>
        public string ScriptName { get; internal set; }
        /// <summary>The failing line in ScriptName (or in the text typed interactively); 0 when unknown.</summary>
        public int Line { get; internal set; }
        /// <summary>Where, as PowerShell shows it: "At file:line char:column", the line, a marker.</summary>
        public string Position { get; internal set; }
        /// <summary>The error itself (kept for the last failure only).</summary>
        public ErrorRecord ErrorRecord { get; internal set; }

        /// <summary>"file:line", "line N", or null.</summary>
        public string Location
        {
            get
            {
                if (Line <= 0) return null;
                return ScriptName != null ? ScriptName + ":" + Line : "line " + Line;
            }
        }

        public override string ToString() { return Handler + ": " + Message + (Location != null ? " (" + Location + ")" : string.Empty); }

        internal HandlerError WithoutRecord()
        {
            var copy = (HandlerError)MemberwiseClone();
            copy.ErrorRecord = null;
            return copy;
        }
    }

    public sealed class HandlerErrorLog
    {
        /// <summary>Failures kept for the connection's history, newest last.</summary>
        public const int Kept = 100;
        private const int ShownAtOnce = 5;
        private static readonly TimeSpan ShowEvery = TimeSpan.FromSeconds(10);

        private long count;
        private readonly Queue<HandlerError> recent = new Queue<HandlerError>();
        // the throttle: touched by the one dispatcher handling the connection at a time
        private int shown;
        private DateTime lastShownUtc;
        private long suppressed;

        public long Count { get { return Interlocked.Read(ref count); } }
        public HandlerError Last { get; private set; }

        /// <summary>The failures kept (at most Kept, oldest first, without their ErrorRecords).</summary>
        public HandlerError[] Recent()
        {
            lock (recent) return recent.ToArray();
        }

        internal void Record(HandlerError error)
        {
            Interlocked.Increment(ref count);
            Last = error;
            lock (recent)
            {
                if (recent.Count == Kept) recent.Dequeue();
                recent.Enqueue(error.WithoutRecord());
            }
        }

        /// <summary>Whether a failure at this time is shown, and how many were not shown since the last one that was.</summary>
        internal bool TakeShowTurn(DateTime now, out long notShown)
        {
            notShown = 0;
            if (shown >= ShownAtOnce && now - lastShownUtc < ShowEvery)
            {
                suppressed++;
                return false;
            }
            notShown = suppressed;
            suppressed = 0;
            shown++;
            lastShownUtc = now;
            return true;
        }
    }
}
