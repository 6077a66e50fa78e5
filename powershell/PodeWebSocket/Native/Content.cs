// Conversions between message text and objects by the connection's ContentType, exactly as
// Pode's ConvertFrom-PodeRequestContent (receive) and ConvertTo-PodeResponseContent (send) do.
using System;
using System.Collections;
using System.Collections.ObjectModel;
using System.Collections.Specialized;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text.RegularExpressions;
using System.Web;
using System.Xml;
using Microsoft.PowerShell.Commands;

namespace PodeWebSocket
{
    public static class ContentType
    {
        /// <summary>The media type without parameters: "application/json; charset=utf-8" → "application/json".</summary>
        public static string MediaType(string contentType)
        {
            if (string.IsNullOrWhiteSpace(contentType)) return string.Empty;
            int semi = contentType.IndexOf(';');
            return (semi < 0 ? contentType : contentType.Substring(0, semi)).Trim();
        }

        internal static bool EndsWith(string mediaType, string suffix)
        {
            return mediaType.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
        }

        internal static Hashtable NewTable()
        {
            // PowerShell's @{} compares keys case-insensitively; so do Pode's hashtables.
            return new Hashtable(StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>Runs a script in the calling thread's runspace (nested) or, off a runspace thread, in a new one.</summary>
        internal static Collection<PSObject> RunScript(string script, params object[] arguments)
        {
            bool nested = Runspace.DefaultRunspace != null;
            using (var ps = nested ? PowerShell.Create(RunspaceMode.CurrentRunspace) : PowerShell.Create())
            {
                ps.AddScript(script, true);
                foreach (var a in arguments) ps.AddArgument(a);
                var output = ps.Invoke();
                if (ps.HadErrors && ps.Streams.Error.Count > 0)
                {
                    throw new RuntimeException(ps.Streams.Error[0].ToString(), ps.Streams.Error[0].Exception, ps.Streams.Error[0]);
                }
                return output;
            }
        }

        /// <summary>What `$x = (pipeline)` stores: nothing → null, one item → the item, more → object[].</summary>
        internal static object AsAssigned(IList items)
        {
            if (items == null || items.Count == 0) return null;
            if (items.Count == 1) return Unwrap(items[0]);
            var result = new object[items.Count];
            for (int i = 0; i < items.Count; i++) result[i] = items[i];
            return result;
        }

        internal static object Unwrap(object value)
        {
            var pso = value as PSObject;
            if (pso != null && !(pso.BaseObject is PSCustomObject)) return pso.BaseObject;
            return value;
        }
    }

    /// <summary>Receive side: the $WsEvent.Data of a message.</summary>
    public static class ContentReader
    {
        /// <summary>
        /// Parses a message body by content type as Pode does: no content type or a blank body →
        /// @{}; */json → ConvertFrom-Json -AsHashtable; */xml → [xml]; */csv → ConvertFrom-Csv;
        /// */x-www-form-urlencoded → hashtable; anything else → the string. A leading BOM is ignored.
        /// </summary>
        public static object Parse(string contentType, string body)
        {
            string media = ContentType.MediaType(contentType);
            if (media.Length == 0 || string.IsNullOrWhiteSpace(body)) return ContentType.NewTable();
            if (body[0] == '\uFEFF') body = body.Substring(1);

            if (ContentType.EndsWith(media, "/json")) return Json(body);
            if (ContentType.EndsWith(media, "/xml")) return LanguagePrimitives.ConvertTo(body, typeof(XmlDocument), CultureInfo.InvariantCulture);
            if (ContentType.EndsWith(media, "/csv")) return Csv(body);
            if (ContentType.EndsWith(media, "/x-www-form-urlencoded")) return Form(body);
            return body;
        }

        /// <summary>ConvertFrom-Json -AsHashtable (same parser and depth), with the cmdlet's array unrolling.</summary>
        public static object Json(string body)
        {
            ErrorRecord error;
            object result = JsonObject.ConvertFromJson(body, true, 1024, out error);
            if (error != null)
            {
                throw new PodeWebSocketException("PodeWebSocket.InvalidJson", ErrorCategory.InvalidData,
                    "the message is not valid JSON: " + error.Exception.Message, null);
            }
            var array = result as object[];
            return array != null ? ContentType.AsAssigned(array) : result;
        }

        public static object Csv(string body)
        {
            var rows = ContentType.RunScript("param($c) $c | Microsoft.PowerShell.Utility\\ConvertFrom-Csv", body);
            return ContentType.AsAssigned(rows);
        }

        /// <summary>Pode's ConvertFrom-PodeNameValueToHashTable over HttpUtility.ParseQueryString.</summary>
        public static Hashtable Form(string body)
        {
            NameValueCollection values = HttpUtility.ParseQueryString(body);
            var table = ContentType.NewTable();
            foreach (string key in values.Keys)
            {
                table[string.IsNullOrEmpty(key) ? string.Empty : key] = values.Get(key);
            }
            return table;
        }
    }

    /// <summary>Send side: the text of a message object.</summary>
    public static class ContentWriter
    {
        private static readonly Regex JsonType = new Regex(@"^(.*\/)?(.*\+)?json$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        private static readonly Regex YamlType = new Regex(@"^(.*\/)?(.*\+)?yaml$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        private static readonly Regex XmlType = new Regex(@"^(.*\/)?(.*\+)?xml$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>
        /// Converts a message as Pode's ConvertTo-PodeResponseContent: strings go as they are (a blank
        /// string becomes {} for JSON, empty for XML/CSV/HTML); other objects become compact JSON
        /// (ConvertTo-Json -Depth -Compress), XML, CSV or HTML by content type; else [string].
        /// </summary>
        public static string ToText(object message, string contentType, int depth)
        {
            object input = ContentType.Unwrap(message);
            string media = ContentType.MediaType(contentType);
            if (media.Length == 0) return AsString(input);

            string text = input as string;
            bool isString = text != null;

            if (JsonType.IsMatch(media))
            {
                if (!isString) return Json(input, depth);
                if (string.IsNullOrWhiteSpace(text)) return "{}";
            }
            if (YamlType.IsMatch(media))
            {
                if (!isString)
                {
                    throw new PodeWebSocketException("PodeWebSocket.UnsupportedContentType", ErrorCategory.NotImplemented,
                        "objects cannot be converted to YAML (Pode's internal YAML writer is not available); send a string instead.", null);
                }
                if (string.IsNullOrWhiteSpace(text)) return "[]";
            }
            if (XmlType.IsMatch(media))
            {
                if (!isString)
                {
                    return Joined(ContentType.RunScript(
                        "param($InputObject, $Depth) @(foreach ($item in $InputObject) { [pscustomobject]$item }) | ConvertTo-Xml -Depth $Depth -As String -NoTypeInformation",
                        input, depth));
                }
                if (string.IsNullOrWhiteSpace(text)) return string.Empty;
            }
            if (ContentType.EndsWith(media, "/csv"))
            {
                if (!isString)
                {
                    return Joined(ContentType.RunScript(
                        "param($InputObject) @(foreach ($item in $InputObject) { [pscustomobject]$item }) | ConvertTo-Csv -Delimiter ',' -IncludeTypeInformation:$false",
                        input));
                }
                if (string.IsNullOrWhiteSpace(text)) return string.Empty;
            }
            if (ContentType.EndsWith(media, "/html"))
            {
                if (!isString) return Joined(ContentType.RunScript("param($InputObject) $InputObject | ConvertTo-Html", input));
                if (string.IsNullOrWhiteSpace(text)) return string.Empty;
            }
            return isString ? text : AsString(input);
        }

        /// <summary>ConvertTo-Json -InputObject $x -Depth $depth -Compress (cmdlet default depth 2 when depth ≤ 0).</summary>
        public static string Json(object input, int depth)
        {
            var context = new JsonObject.ConvertToJsonContext(depth <= 0 ? 2 : depth, false, true);
            return JsonObject.ConvertToJson(input, in context);
        }

        private static string AsString(object input)
        {
            if (input == null) return string.Empty;
            return (string)LanguagePrimitives.ConvertTo(input, typeof(string), CultureInfo.InvariantCulture);
        }

        private static string Joined(Collection<PSObject> lines)
        {
            var parts = new string[lines.Count];
            for (int i = 0; i < lines.Count; i++) parts[i] = lines[i] == null ? string.Empty : lines[i].ToString();
            return string.Join(Environment.NewLine, parts);
        }
    }
}
