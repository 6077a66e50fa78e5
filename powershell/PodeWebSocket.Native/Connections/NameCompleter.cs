// Tab completion of -Name on every command that takes an existing connection: the registered
// names (process-wide) that start with what was typed (wildcards allowed), case-insensitively,
// sorted, quoted when the name needs it (or with the quote the user opened).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace PodeWebSocket
{
    public sealed class NameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string typed = wordToComplete ?? string.Empty;
            char quote = '\0';
            if (typed.Length > 0 && (typed[0] == '\'' || typed[0] == '"'))
            {
                quote = typed[0];
                typed = typed.Substring(1);
                if (typed.Length > 0 && typed[typed.Length - 1] == quote) typed = typed.Substring(0, typed.Length - 1);
            }
            var pattern = new WildcardPattern(typed + "*", WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
            var names = Registry.All().Select(d => d.Name).Where(n => pattern.IsMatch(n)).OrderBy(n => n, StringComparer.OrdinalIgnoreCase);
            foreach (var name in names)
            {
                var state = Native.State(Utf8.Encode(name));
                var definition = Registry.Find(name);
                string url = definition != null && definition.Connection.URL != null ? definition.Connection.URL.OriginalString : null;
                yield return new CompletionResult(Quote(name, quote), name, CompletionResultType.ParameterValue,
                    name + " (" + state + (string.IsNullOrEmpty(url) ? string.Empty : ", " + url) + ")");
            }
        }

        /// <summary>The name as PowerShell reads it back: quoted when it has spaces or special characters.</summary>
        internal static string Quote(string name, char quote)
        {
            if (quote == '"') return "\"" + name.Replace("`", "``").Replace("\"", "`\"").Replace("$", "`$") + "\"";
            bool needs = quote == '\'' || name.Length == 0 || name[0] == '-' ||
                name.Any(c => char.IsWhiteSpace(c) || "`$&(){}[];,'\"|<>@#".IndexOf(c) >= 0);
            return needs ? "'" + name.Replace("'", "''") + "'" : name;
        }
    }
}
