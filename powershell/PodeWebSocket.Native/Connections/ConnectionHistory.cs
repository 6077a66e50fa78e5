// A connection's recent life for Get-PodeWebSocketEvent: the core's history (pode_ws_history:
// opens, closes with code and cause, reconnect attempts with delay and cause, errors, giving up;
// bounded by the option historySize, default 100) merged by time with the module's handler
// failures (the last HandlerErrorLog.Kept of them), oldest first. Both outlive reconnects and
// resets, and go with Remove-PodeWebSocket.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace PodeWebSocket
{
    /// <summary>One entry of a connection's history.</summary>
    public sealed class ConnectionEvent
    {
        /// <summary>When it happened (UTC).</summary>
        public DateTime Time { get; internal set; }
        public string Name { get; internal set; }
        /// <summary>Opened, Closed, Reconnecting, Error, GaveUp or HandlerError.</summary>
        public string Event { get; internal set; }
        /// <summary>What happened, in one line.</summary>
        public string Message { get; internal set; }
        /// <summary>Closed: the close code.</summary>
        public int? Code { get; internal set; }
        /// <summary>Error, GaveUp: PodeWebSocket.&lt;Reason&gt;; HandlerError: the ErrorRecord's FullyQualifiedErrorId.</summary>
        public string ErrorId { get; internal set; }
        /// <summary>Closed: the close reason.</summary>
        public string Reason { get; internal set; }
        /// <summary>Closed: Local, Remote or Lost.</summary>
        public string ClosedBy { get; internal set; }
        /// <summary>Closed: the failure that closed it; Reconnecting: why it reconnects.</summary>
        public string Cause { get; internal set; }
        /// <summary>Reconnecting: the attempt; Error: the reconnect attempt that failed (0: none).</summary>
        public int? Attempt { get; internal set; }
        /// <summary>Reconnecting: the delay before the attempt.</summary>
        public TimeSpan? Delay { get; internal set; }
        /// <summary>Opened: where; Reconnecting: where the attempt goes.</summary>
        public string Url { get; internal set; }
        public string SubProtocol { get; internal set; }
        /// <summary>HandlerError: which handler (message handler, -OnOpen handler, ...).</summary>
        public string Handler { get; internal set; }
        /// <summary>HandlerError: the failing line of the user's code ("file:line" or "line N").</summary>
        public string Location { get; internal set; }

        public override string ToString() { return Time.ToString("u", CultureInfo.InvariantCulture) + " " + Event + ": " + Message; }
    }

    public static class ConnectionHistory
    {
        /// <summary>Read, returning the failure instead of throwing (see Client).</summary>
        public static PodeWebSocketException TryRead(string name, int last, out ConnectionEvent[] events)
        {
            events = new ConnectionEvent[0];
            try { events = Read(name, last); return null; }
            catch (Exception e) { return Errors.AsError(e, name); }
        }

        /// <summary>The connection's history, oldest first; the newest `last` entries only when last > 0.
        /// Throws PodeWebSocketException (UnknownName).</summary>
        public static ConnectionEvent[] Read(string name, int last)
        {
            var core = new List<ConnectionEvent>();
            using (var doc = JsonDocument.Parse(Native.History(name)))
            {
                foreach (var entry in doc.RootElement.EnumerateArray())
                {
                    var e = FromCore(name, entry);
                    if (e != null) core.Add(e);
                }
            }
            var definition = Registry.Find(name);
            var handler = new List<ConnectionEvent>();
            if (definition != null)
            {
                foreach (var failure in definition.HandlerErrors.Recent()) handler.Add(FromHandler(definition.Name, failure));
            }

            // both lists are oldest first: merge them (a tie keeps the core's entry first)
            var merged = new List<ConnectionEvent>(core.Count + handler.Count);
            int i = 0, j = 0;
            while (i < core.Count || j < handler.Count)
            {
                if (j >= handler.Count || (i < core.Count && core[i].Time <= handler[j].Time)) merged.Add(core[i++]);
                else merged.Add(handler[j++]);
            }
            if (last > 0 && merged.Count > last) merged.RemoveRange(0, merged.Count - last);
            return merged.ToArray();
        }

        private static ConnectionEvent FromCore(string name, JsonElement entry)
        {
            var e = new ConnectionEvent { Name = name, Time = ConnectionInfo.Time(ConnectionInfo.Number(entry, "atMs")) };
            string message = ConnectionInfo.Text(entry, "message");
            switch (ConnectionInfo.Text(entry, "event"))
            {
                case "opened":
                    e.Event = "Opened";
                    e.Url = ConnectionInfo.Text(entry, "url");
                    e.SubProtocol = ConnectionInfo.Text(entry, "subprotocol");
                    e.Message = "opened " + e.Url + (string.IsNullOrEmpty(e.SubProtocol) ? string.Empty : " (subprotocol " + e.SubProtocol + ")");
                    break;
                case "closed":
                    e.Event = "Closed";
                    e.Code = (int)ConnectionInfo.Number(entry, "code");
                    e.Reason = ConnectionInfo.Text(entry, "reason");
                    e.ClosedBy = ConnectionInfo.Text(entry, "closedBy");
                    e.Cause = ConnectionInfo.Text(entry, "cause");
                    e.Message = "closed " + e.Code + " by " + e.ClosedBy +
                        (string.IsNullOrEmpty(e.Reason) ? string.Empty : ": " + e.Reason) +
                        (string.IsNullOrEmpty(e.Cause) ? string.Empty : " (" + e.Cause + ")");
                    break;
                case "reconnecting":
                    e.Event = "Reconnecting";
                    e.Attempt = (int)ConnectionInfo.Number(entry, "attempt");
                    e.Delay = TimeSpan.FromMilliseconds(ConnectionInfo.Number(entry, "delayMs"));
                    e.Cause = ConnectionInfo.Text(entry, "cause");
                    e.Url = ConnectionInfo.Text(entry, "url");
                    e.Message = string.Format(CultureInfo.InvariantCulture, "attempt {0} in {1:0.0} s to {2}", e.Attempt, e.Delay.Value.TotalSeconds, e.Url) +
                        (string.IsNullOrEmpty(e.Cause) ? string.Empty : ", after: " + e.Cause);
                    break;
                case "error":
                case "gaveUp":
                    bool gaveUp = ConnectionInfo.Text(entry, "event") == "gaveUp";
                    e.Event = gaveUp ? "GaveUp" : "Error";
                    e.ErrorId = Errors.FromNative((PodeWsResult)ConnectionInfo.Number(entry, "code"), message, name).ErrorId;
                    int attempt = (int)ConnectionInfo.Number(entry, "attempt");
                    if (!gaveUp) e.Attempt = attempt;
                    e.Message = (attempt > 0 && !gaveUp ? "attempt " + attempt + " failed: " : string.Empty) + message;
                    break;
                default:
                    return null;
            }
            return e;
        }

        private static ConnectionEvent FromHandler(string name, HandlerError failure)
        {
            return new ConnectionEvent
            {
                Name = name,
                Time = failure.Time,
                Event = "HandlerError",
                Handler = failure.Handler,
                ErrorId = failure.ErrorId,
                Location = failure.Location,
                Message = "the " + failure.Handler + " failed: " + failure.Message + (failure.Location != null ? " (at " + failure.Location + ")" : string.Empty),
            };
        }
    }
}
