// The reading side of a connect trace (the core records it under the option traceId): each call
// returns the lines recorded since the last one, for a command to write with Write-Verbose while
// it waits for a connect, reset or close. A trace outlives a failed connect in the core, so the
// last lines (the failure) can still be read afterwards.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace PodeWebSocket
{
    public sealed class ConnectTrace
    {
        private ulong next;

        public ConnectTrace(string id)
        {
            if (string.IsNullOrEmpty(id)) throw new ArgumentException("a trace needs an id", "id");
            Id = id;
        }

        /// <summary>A trace with a new unique id (one per connection; not New: PowerShell reads ::New as the constructor).</summary>
        public static ConnectTrace Create()
        {
            return new ConnectTrace("pwsh-" + Guid.NewGuid().ToString("N"));
        }

        public string Id { get; private set; }

        /// <summary>The entries recorded since the previous call, as "[connect +12.3 ms] tcp: ..." lines. Never throws.</summary>
        public string[] ReadNew()
        {
            try
            {
                using (var doc = JsonDocument.Parse(Native.TraceRead(Id, next)))
                {
                    var root = doc.RootElement;
                    var lines = new List<string>();
                    if (root.TryGetProperty("dropped", out var dropped) && dropped.GetUInt64() > 0 && next == 0)
                    {
                        lines.Add("(" + dropped.GetUInt64().ToString(CultureInfo.InvariantCulture) + " earlier trace entries were dropped)");
                    }
                    foreach (var entry in root.GetProperty("entries").EnumerateArray())
                    {
                        lines.Add(string.Format(CultureInfo.InvariantCulture, "[{0} +{1:0.0} ms] {2}: {3}",
                            entry.GetProperty("op").GetString(), entry.GetProperty("elapsedMs").GetDouble(),
                            entry.GetProperty("step").GetString(), entry.GetProperty("text").GetString()));
                    }
                    next = root.GetProperty("next").GetUInt64();
                    return lines.ToArray();
                }
            }
            catch (Exception)
            {
                return Array.Empty<string>();
            }
        }
    }
}
