// A connection's handler failures: how many, the last one (Get-PodeWebSocket shows both), and
// which to show on the host: the first five, then one every 10 s with the number left unshown,
// so a handler failing on every message cannot flood the console.
using System;
using System.Management.Automation;
using System.Threading;

namespace PodeWebSocket
{
    /// <summary>The last failure of a handler, as Get-PodeWebSocket shows it.</summary>
    public sealed class HandlerError
    {
        public DateTime Time { get; internal set; }
        public string Handler { get; internal set; }
        public string Message { get; internal set; }
        public ErrorRecord ErrorRecord { get; internal set; }
        public override string ToString() { return Handler + ": " + Message; }
    }

    public sealed class HandlerErrorLog
    {
        private const int ShownAtOnce = 5;
        private static readonly TimeSpan ShowEvery = TimeSpan.FromSeconds(10);

        private long count;
        // the throttle: touched by the one dispatcher handling the connection at a time
        private int shown;
        private DateTime lastShownUtc;
        private long suppressed;

        public long Count { get { return Interlocked.Read(ref count); } }
        public HandlerError Last { get; private set; }

        internal void Record(HandlerError error)
        {
            Interlocked.Increment(ref count);
            Last = error;
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
