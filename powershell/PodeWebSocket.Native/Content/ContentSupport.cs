// Helpers shared by the content conversions (ContentReader, ContentWriter): media types,
// PowerShell-style tables and values, running a conversion script in the right runspace.
using System;
using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace PodeWebSocket
{
    public static class ContentSupport
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
}
