// A handler failed: record it for Get-PodeWebSocket and Get-PodeWebSocketEvent and show it on the
// host (throttled by the connection's HandlerErrorLog), pointing at the user's own code: the file
// and line of a -FilePath handler or of a scriptblock written in a script, the line of a
// scriptblock typed interactively. Never fatal.
using System;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Text;
using System.Text.RegularExpressions;

namespace PodeWebSocket
{
    internal static class HandlerErrorReport
    {
        /// <summary>Show failures on the host (they are always recorded); Dispatcher.ShowHandlerErrors sets it.</summary>
        internal static volatile bool Show = true;

        // "at <ScriptBlock>, /home/me/bot.ps1: line 12" or "at f, <No file>: line 3"
        private static readonly Regex Frame = new Regex(@"^at .*?, (?<file>.*): line (?<line>\d+)\s*$", RegexOptions.CultureInvariant | RegexOptions.Multiline);
        // the generated code's variables: a position naming one is the wrapper's, not the user's
        private const string GeneratedMarker = "$__pws";
        // longest source line shown; longer ones are cut around the failing column
        private const int MaxLine = 120;

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
            var error = new HandlerError
            {
                Time = now,
                Handler = HandlerKinds.Describe(kind),
                Message = message,
                ErrorId = record.FullyQualifiedErrorId,
                ErrorRecord = record,
            };
            Locate(record, definition.GetHandler(kind), error);
            var log = definition.HandlerErrors;
            log.Record(error);
            long notShown;
            if (!Show || !log.TakeShowTurn(now, out notShown)) return;

            string suppressed = notShown > 0 ? " (" + notShown + " similar errors not shown)" : string.Empty;
            HostOutput.ShowError(host, "PodeWebSocket: the " + HandlerKinds.Describe(kind) + " of '" + definition.Name + "' failed: " + message + suppressed +
                (string.IsNullOrEmpty(error.Position) ? string.Empty : Environment.NewLine + error.Position));
        }

        /// <summary>
        /// Where in the user's code the error arose. A thrown error carries that position itself (the
        /// wrapper is built from the user's own syntax tree); an error written with Write-Error points
        /// at the call of the handler, so its first stack frame is taken instead.
        /// </summary>
        private static void Locate(ErrorRecord record, HandlerScript script, HandlerError error)
        {
            var info = record.InvocationInfo;
            string position = info != null ? info.PositionMessage : null;
            int column = 0, width = 0;
            string text = null;
            if (!string.IsNullOrEmpty(position) && !position.Contains(GeneratedMarker))
            {
                text = info.Line;
                error.ScriptName = string.IsNullOrEmpty(info.ScriptName) ? null : info.ScriptName;
                error.Line = info.ScriptLineNumber;
                column = info.OffsetInLine;
                // the marker line of PowerShell's own message gives the width of what failed
                int lastLine = position.LastIndexOf('\n');
                width = lastLine < 0 ? 0 : position.Substring(lastLine).Count(c => c == '~');
            }
            else
            {
                var frame = Frame.Match(record.ScriptStackTrace ?? string.Empty);
                if (!frame.Success) return;
                string file = frame.Groups["file"].Value;
                error.ScriptName = file == "<No file>" ? null : file;
                error.Line = int.Parse(frame.Groups["line"].Value, CultureInfo.InvariantCulture);
            }
            if (error.Line <= 0) return;
            // the handler's own lines read as the user wrote them (PowerShell's copy of its first
            // line starts with blanks where the handler's text began)
            bool inHandler = script != null && string.Equals(script.File, error.ScriptName, StringComparison.Ordinal);
            error.Position = Render(error.ScriptName, error.Line, column, width, (inHandler ? script.SourceLine(error.Line) : null) ?? text);
        }

        /// <summary>PowerShell's way: "At file:line char:column", "+ the line", "+ ~~~~" under what failed.</summary>
        private static string Render(string file, int line, int column, int width, string text)
        {
            var sb = new StringBuilder("At ").Append(file ?? "line").Append(':').Append(line.ToString(CultureInfo.InvariantCulture));
            if (column > 0) sb.Append(" char:").Append(column.ToString(CultureInfo.InvariantCulture));
            if (string.IsNullOrWhiteSpace(text)) return sb.ToString();

            string trimmed = text.TrimStart();
            int indent = text.Length - trimmed.Length;
            trimmed = trimmed.TrimEnd();
            int markerAt = Math.Max(0, column - 1 - indent);
            // a long line is shown around what failed
            if (trimmed.Length > MaxLine && markerAt > MaxLine / 3)
            {
                int cut = markerAt - MaxLine / 3;
                trimmed = "…" + trimmed.Substring(cut);
                markerAt = markerAt - cut + 1;
            }
            if (trimmed.Length > MaxLine) trimmed = trimmed.Substring(0, MaxLine) + "…";
            sb.Append(Environment.NewLine).Append("+ ").Append(trimmed);
            if (column > 0 && markerAt < trimmed.Length)
            {
                int marked = Math.Max(1, Math.Min(width, trimmed.Length - markerAt));
                sb.Append(Environment.NewLine).Append("+ ").Append(' ', markerAt).Append('~', marked);
            }
            return sb.ToString();
        }
    }
}
