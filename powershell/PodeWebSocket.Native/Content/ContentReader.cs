// Receive side of the content conversions: $WsEvent.Data from a message body by the
// connection's ContentType, exactly as Pode's ConvertFrom-PodeRequestContent.
using System;
using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using System.Management.Automation;
using System.Web;
using System.Xml;
using Microsoft.PowerShell.Commands;

namespace PodeWebSocket
{
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
            string media = ContentSupport.MediaType(contentType);
            if (media.Length == 0 || string.IsNullOrWhiteSpace(body)) return ContentSupport.NewTable();
            if (body[0] == '\uFEFF') body = body.Substring(1);

            if (ContentSupport.EndsWith(media, "/json")) return Json(body);
            if (ContentSupport.EndsWith(media, "/xml")) return LanguagePrimitives.ConvertTo(body, typeof(XmlDocument), CultureInfo.InvariantCulture);
            if (ContentSupport.EndsWith(media, "/csv")) return Csv(body);
            if (ContentSupport.EndsWith(media, "/x-www-form-urlencoded")) return Form(body);
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
            return array != null ? ContentSupport.AsAssigned(array) : result;
        }

        public static object Csv(string body)
        {
            var rows = ContentSupport.RunScript("param($c) $c | Microsoft.PowerShell.Utility\\ConvertFrom-Csv", body);
            return ContentSupport.AsAssigned(rows);
        }

        /// <summary>Pode's ConvertFrom-PodeNameValueToHashTable over HttpUtility.ParseQueryString.</summary>
        public static Hashtable Form(string body)
        {
            NameValueCollection values = HttpUtility.ParseQueryString(body);
            var table = ContentSupport.NewTable();
            foreach (string key in values.Keys)
            {
                table[string.IsNullOrEmpty(key) ? string.Empty : key] = values.Get(key);
            }
            return table;
        }
    }
}
