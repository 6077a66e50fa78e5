// What an -OnReconnecting handler's output means, answered to the core's Reconnecting event
// (reconnect.awaitTarget): nothing = connect as before; a string or [uri] = that URL; a hashtable
// @{ Url = ...; Headers = @{ Name = 'value' or $null } } = that URL and/or those header changes.
// The last object the handler outputs counts. A handler that threw, or an answer of another shape,
// fails the attempt (pode_ws_reconnect_fail): the backoff goes on.
using System;
using System.Collections;
using System.IO;
using System.Management.Automation;
using System.Text;
using System.Text.Json;

namespace PodeWebSocket
{
    internal static class ReconnectAnswer
    {
        /// <summary>
        /// Answers attempt `attempt` of a connection from its handler's output, or with failed's
        /// message when the handler failed. Returns the problem to record as a handler error (an
        /// answer of the wrong shape, or one the core refused), else null. Never throws.
        /// </summary>
        public static PodeWebSocketException Send(string name, uint attempt, Array output, string failed)
        {
            try
            {
                if (failed != null)
                {
                    Native.ReconnectFail(name, attempt, failed.Length > 0 ? failed : "the -OnReconnecting handler failed");
                    return null;
                }
                string url, headersJson, wrong;
                if (!TryRead(Last(output), out url, out headersJson, out wrong))
                {
                    string message = "the -OnReconnecting handler of '" + name + "' " + wrong +
                        ": it may return nothing, a URL (a string or [uri]) or @{ Url = ...; Headers = @{ ... } }";
                    Native.ReconnectFail(name, attempt, message);
                    return Errors.Invalid("InvalidArgument", message, name);
                }
                Native.ReconnectTarget(name, attempt, url, headersJson);
                return null;
            }
            catch (Exception e)
            {
                return PodeWebSocketException.Find(e) ?? Errors.Invalid("InvalidArgument", e.Message, name);
            }
        }

        private static object Last(Array output)
        {
            if (output == null) return null;
            for (int i = output.Length - 1; i >= 0; i--)
            {
                object item = Unwrap(output.GetValue(i));
                if (item != null) return item;
            }
            return null;
        }

        private static object Unwrap(object value)
        {
            var ps = value as PSObject;
            return ps != null ? ps.BaseObject : value;
        }

        private static string UrlText(object value)
        {
            var uri = value as Uri;
            if (uri != null) return uri.IsAbsoluteUri ? uri.AbsoluteUri : uri.OriginalString;
            return value as string;
        }

        private static bool TryRead(object answer, out string url, out string headersJson, out string wrong)
        {
            url = null;
            headersJson = null;
            wrong = null;
            if (answer == null) return true;
            if (answer is string || answer is Uri)
            {
                url = UrlText(answer);
                if (string.IsNullOrWhiteSpace(url)) { wrong = "returned an empty URL"; return false; }
                return true;
            }
            var table = answer as IDictionary;
            if (table == null)
            {
                wrong = "returned a [" + answer.GetType().FullName + "]";
                return false;
            }
            foreach (DictionaryEntry entry in table)
            {
                string key = Convert.ToString(entry.Key);
                object value = Unwrap(entry.Value);
                if (string.Equals(key, "Url", StringComparison.OrdinalIgnoreCase))
                {
                    if (value == null) continue;
                    url = UrlText(value);
                    if (url == null) { wrong = "returned a Url of type [" + value.GetType().FullName + "]"; return false; }
                    if (string.IsNullOrWhiteSpace(url)) { wrong = "returned an empty Url"; return false; }
                }
                else if (string.Equals(key, "Headers", StringComparison.OrdinalIgnoreCase))
                {
                    if (value == null) continue;
                    var headers = value as IDictionary;
                    if (headers == null) { wrong = "returned Headers of type [" + value.GetType().FullName + "] (a hashtable is needed)"; return false; }
                    headersJson = HeadersJson(headers);
                }
                else
                {
                    wrong = "returned the unknown key '" + key + "'";
                    return false;
                }
            }
            return true;
        }

        /// <summary>Header changes as the core takes them: name → string value, or null to remove the header.</summary>
        private static string HeadersJson(IDictionary headers)
        {
            using (var stream = new MemoryStream())
            {
                using (var w = new Utf8JsonWriter(stream))
                {
                    w.WriteStartObject();
                    foreach (DictionaryEntry h in headers)
                    {
                        object value = Unwrap(h.Value);
                        if (value == null) w.WriteNull(Convert.ToString(h.Key));
                        else w.WriteString(Convert.ToString(h.Key), LanguagePrimitives.ConvertTo<string>(value));
                    }
                    w.WriteEndObject();
                }
                return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
            }
        }
    }
}
