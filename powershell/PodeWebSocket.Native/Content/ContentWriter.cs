// Send side of the content conversions: the text of a message object by the connection's
// ContentType, exactly as Pode's ConvertTo-PodeResponseContent.
using System;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;
using Microsoft.PowerShell.Commands;

namespace PodeWebSocket
{
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
            object input = ContentSupport.Unwrap(message);
            string media = ContentSupport.MediaType(contentType);
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
                    return Joined(ContentSupport.RunScript(
                        "param($InputObject, $Depth) @(foreach ($item in $InputObject) { [pscustomobject]$item }) | ConvertTo-Xml -Depth $Depth -As String -NoTypeInformation",
                        input, depth));
                }
                if (string.IsNullOrWhiteSpace(text)) return string.Empty;
            }
            if (ContentSupport.EndsWith(media, "/csv"))
            {
                if (!isString)
                {
                    return Joined(ContentSupport.RunScript(
                        "param($InputObject) @(foreach ($item in $InputObject) { [pscustomobject]$item }) | ConvertTo-Csv -Delimiter ',' -IncludeTypeInformation:$false",
                        input));
                }
                if (string.IsNullOrWhiteSpace(text)) return string.Empty;
            }
            if (ContentSupport.EndsWith(media, "/html"))
            {
                if (!isString) return Joined(ContentSupport.RunScript("param($InputObject) $InputObject | ConvertTo-Html", input));
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
