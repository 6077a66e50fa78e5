// A handler failed: record it for Get-PodeWebSocket and show it on the host (throttled by the
// connection's HandlerErrorLog), pointing at the handler's own line. Never fatal.
using System;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Text.RegularExpressions;

namespace PodeWebSocket
{
    internal static class HandlerErrorReport
    {
        /// <summary>Show failures on the host (they are always recorded); Dispatcher.ShowHandlerErrors sets it.</summary>
        internal static volatile bool Show = true;

        private static readonly Regex LineOfStack = new Regex(@"line (\d+)", RegexOptions.CultureInvariant);

        /// <summary>Reports a thrown exception or a written ErrorRecord of a handler.</summary>
        public static void Report(ConnectionDefinition definition, HandlerKind kind, Exception exception, ErrorRecord record, PSHost host)
        {
            if (record == null)
            {
                var container = exception as IContainsErrorRecord;
                record = container != null ? container.ErrorRecord
                    : new ErrorRecord(exception, "PodeWebSocket.HandlerFailed", ErrorCategory.OperationStopped, definition.Name);
            }
            string message = record.Exception != null ? record.Exception.Message : record.ToString();
            var now = DateTime.UtcNow;
            var log = definition.HandlerErrors;
            log.Record(new HandlerError
            {
                Time = now,
                Handler = HandlerKinds.Describe(kind),
                Message = message,
                ErrorRecord = record,
            });
            long notShown;
            if (!Show || !log.TakeShowTurn(now, out notShown)) return;

            string suppressed = notShown > 0 ? " (" + notShown + " similar errors not shown)" : string.Empty;
            string position = record.InvocationInfo != null ? record.InvocationInfo.PositionMessage : null;
            if (position != null && position.Contains("$__pwsW"))
            {
                // an error written (not thrown) points at the wrapper's call: give the handler's line instead
                var line = LineOfStack.Match(record.ScriptStackTrace ?? string.Empty);
                position = line.Success ? "(line " + line.Groups[1].Value + " of the handler)" : null;
            }
            HostOutput.ShowError(host, "PodeWebSocket: the " + HandlerKinds.Describe(kind) + " of '" + definition.Name + "' failed: " + message + suppressed +
                (string.IsNullOrEmpty(position) ? string.Empty : Environment.NewLine + position));
        }
    }
}
