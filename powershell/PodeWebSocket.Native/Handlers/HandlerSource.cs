// The text of a user's handler placed exactly where it stands in its script: the body of a
// scriptblock literal at line 12, column 40 of bot.ps1 becomes a text whose first 11 lines are
// empty and whose 12th line starts with 39 spaces, parsed under the name bot.ps1. Everything
// PowerShell says about that code (error positions, $_.ScriptStackTrace, the line it shows) then
// names the user's file, line and column, never a generated wrapper.
using System;
using System.Linq;
using System.Management.Automation.Language;
using System.Text;

namespace PodeWebSocket
{
    internal sealed class HandlerSource
    {
        /// <summary>The body, preceded by the blank lines and columns that put it at its place.</summary>
        public string Text { get; private set; }
        /// <summary>The script file the handler was written in (-FilePath, or the script of a literal); null when typed interactively.</summary>
        public string File { get; private set; }
        /// <summary>The line the body starts on, and that whole line as the user wrote it (its
        /// start, e.g. `Connect-PodeWebSocket ... -ScriptBlock {`, is only blank space in Text).</summary>
        public int StartLine { get; private set; }
        public string StartLineText { get; private set; }

        /// <summary>The body of a scriptblock (a literal's braces and a function's header left out), at its place.</summary>
        public static HandlerSource Of(Ast ast, string connectionName)
        {
            var function = ast as FunctionDefinitionAst;
            ScriptBlockAst body = function != null ? function.Body : ast as ScriptBlockAst;
            if (body == null) throw Errors.Invalid("InvalidScript", "the handler of '" + connectionName + "' is not a script block.", connectionName);
            if (function == null) function = body.Parent as FunctionDefinitionAst;

            IScriptExtent extent = body.Extent;
            string text = extent.Text;
            int line = extent.StartLineNumber, column = extent.StartColumnNumber;
            if (body.Parent is ScriptBlockExpressionAst || body.Parent is FunctionDefinitionAst)
            {
                if (text.Length >= 2 && text[0] == '{' && text[text.Length - 1] == '}')
                {
                    text = text.Substring(1, text.Length - 2);
                    column++;
                }
            }

            // function f($a, $b) { ... }: the parameters become a param block in front of the body,
            // on the function's own first line (its header is always longer than the block)
            string parameters = null;
            if (function != null && function.Parameters != null && function.Parameters.Count > 0)
            {
                parameters = "param(" + string.Join(", ", function.Parameters.Select(p => p.Extent.Text)) + ")";
            }

            var sb = new StringBuilder(text.Length + line + column + 16);
            if (parameters != null)
            {
                sb.Append(parameters);
                if (line == 1) sb.Append(' ', Math.Max(1, column - 1 - parameters.Length));
                else sb.Append('\n');
            }
            if (parameters == null || line > 1)
            {
                sb.Append('\n', Math.Max(0, line - 1 - (parameters != null ? 1 : 0)));
                sb.Append(' ', Math.Max(0, column - 1));
            }
            sb.Append(text);
            return new HandlerSource
            {
                Text = sb.ToString(),
                File = string.IsNullOrEmpty(extent.File) ? null : extent.File,
                StartLine = line,
                StartLineText = extent.StartScriptPosition.Line,
            };
        }
    }
}
