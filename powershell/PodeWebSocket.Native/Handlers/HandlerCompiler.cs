// Turns a user's handler scriptblock into a HandlerScript: the user's text at its place in its file
// and the statements of a wrapper that WrapperBuilder builds, in a dispatcher's runspace, into a
// steppable pipeline. Each Process() call hands it a run of $WsEvents (the consecutive messages of
// one connection in a poll batch) that its process block walks with a foreach: per message that
// costs a loop iteration, against ~1 µs for a Process() call and ~15-30 µs for `& $sb`. Variables
// the body assigns, $script: ones included, are reset before each message (a fresh scope, as in
// Pode); a handler that assigns none pays nothing for it. $using: variables are captured from the
// caller's scope at connect time.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;

namespace PodeWebSocket
{
    public static class HandlerCompiler
    {
        // $using:x becomes $using_x: the same length, so the rest of its line keeps its columns
        private const string UsingPrefix = "using_";
        private const string LongUsingPrefix = "__using_";

        private static readonly HashSet<string> NeverReset = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "_", "PSItem", "WsEvent", "args", "input", "this", "null", "true", "false", "?", "$", "^",
            "PSCmdlet", "PSBoundParameters", "MyInvocation", "ExecutionContext", "Host", "PID", "PSScriptRoot",
            "PSCommandPath", "Error", "LASTEXITCODE", "foreach", "switch", "Matches", "ConsoleFileName",
            "HOME", "IsCoreCLR", "IsLinux", "IsMacOS", "IsWindows", "PSHOME", "PSVersionTable", "ShellId", "StackTrace",
        };

        /// <summary>
        /// Compiles a handler: rewrites $using: (values read from callerState into usingValues) and
        /// writes the statements of its wrapper. Throws PodeWebSocketException (UsingVariableNotFound, InvalidScript).
        /// </summary>
        public static HandlerScript Compile(ScriptBlock scriptBlock, HandlerKind kind, SessionState callerState, IDictionary usingValues, string connectionName)
        {
            if (scriptBlock == null) throw new ArgumentNullException("scriptBlock");
            HandlerSource source = HandlerSource.Of(scriptBlock.Ast, connectionName);
            string prefix;
            string text = RewriteUsing(source.Text, source.File, callerState, usingValues, connectionName, out prefix);
            ScriptBlockAst ast = Parse(text, source.File, kind, connectionName);

            var script = new HandlerScript { Kind = kind, UserText = text, File = source.File, StartLine = source.StartLine, StartLineText = source.StartLineText };
            var plain = new List<string>();
            var attributed = new List<string>();
            var restored = new List<string>();
            var scriptPlain = new List<string>();
            var scriptAttributed = new List<string>();
            CollectScriptScoped(ast, prefix, scriptPlain, scriptAttributed);

            string reason = FallbackReason(ast);
            if (reason != null)
            {
                HostOutput.Trace("the " + kind + " handler of '" + connectionName + "' runs with & per message: " + reason);
                script.IsFallback = true;
            }
            else
            {
                var parameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                if (ast.ParamBlock != null)
                {
                    foreach (var p in ast.ParamBlock.Parameters) parameters.Add(p.Name.VariablePath.UserPath);
                }
                CollectAssigned(ast.EndBlock, prefix, parameters, plain, attributed, restored);
            }

            var begin = new StringBuilder(BeginPrologue(usingValues, prefix));
            for (int i = 0; i < restored.Count; i++) begin.Append("$__pwsSaved").Append(i).Append(" = ").Append(Var(restored[i])).Append("; ");
            for (int i = 0; i < scriptPlain.Count; i++) begin.Append("$__pwsScript").Append(i).Append(" = ").Append(Var("script:" + scriptPlain[i])).Append("; ");
            if (script.IsFallback) begin.Append("$__pwsUser = $__pwsHandoff.Script; $__pwsArgs = $__pwsHandoff.Arguments; ");
            begin.Append("$__pwsHandoff = $null");

            // Before each message: parameters get their bound values back, assigned variables go.
            var reset = new StringBuilder();
            for (int i = 0; i < restored.Count; i++) reset.Append(Var(restored[i])).Append(" = $__pwsSaved").Append(i).Append("; ");
            foreach (var v in plain) reset.Append(Var(v)).Append(" = $null; ");
            foreach (var v in attributed) reset.Append(RemoveVariable(v, "Local"));
            if (script.IsFallback) reset.Append("& $__pwsUser @__pwsArgs");
            // After each message, whatever happened ($script: is the dispatcher runspace's, shared by
            // every handler it runs): its $script: variables are as they were, so the next message,
            // and every other handler, starts fresh, as in Pode.
            var restore = new StringBuilder();
            for (int i = 0; i < scriptPlain.Count; i++) restore.Append(Var("script:" + scriptPlain[i])).Append(" = $__pwsScript").Append(i).Append("; ");
            foreach (var v in scriptAttributed) restore.Append(RemoveVariable(v, "Script"));

            script.BeginText = begin.ToString();
            script.ResetText = reset.ToString();
            script.RestoreText = restore.ToString();
            string body = script.IsFallback ? string.Empty : (ast.EndBlock != null ? ast.EndBlock.Extent.Text.Trim() : string.Empty) + "\n";
            string perMessage = script.RestoreText.Length == 0 ? script.ResetText + body : "try { " + script.ResetText + body + "} finally { " + script.RestoreText + "}";
            script.WrapperText = (script.IsFallback || ast.ParamBlock == null ? string.Empty : ast.ParamBlock.Extent.Text + " ") +
                "begin { " + script.BeginText + " } process { foreach ($WsEvent in $_) { " + perMessage + " } }";

            // a wrapper that does not compile (e.g. a misplaced statement) fails the connect, not each message
            try
            {
                WrapperBuilder.Build(script);
                if (script.IsFallback) WrapperBuilder.UserScript(script);
            }
            catch (ParseException e)
            {
                throw Errors.Invalid("InvalidScript", "the " + kind + " handler of '" + connectionName + "' does not compile: " + e.Message, connectionName);
            }
            return script;
        }

        private static ScriptBlockAst Parse(string text, string file, HandlerKind kind, string connectionName)
        {
            Token[] tokens;
            ParseError[] errors;
            ScriptBlockAst ast = Parser.ParseInput(text, file, out tokens, out errors);
            if (errors != null && errors.Length > 0)
            {
                throw Errors.Invalid("InvalidScript", "the " + kind + " handler of '" + connectionName + "' does not parse: " + errors[0].Message +
                    " (" + (file ?? "line") + ":" + errors[0].Extent.StartLineNumber + ")", connectionName);
            }
            return ast;
        }

        private static string RemoveVariable(string name, string scope)
        {
            return "Microsoft.PowerShell.Utility\\Remove-Variable -Name '" + name.Replace("'", "''") + "' -Scope " + scope + " -Force -ErrorAction Ignore; ";
        }

        private static string BeginPrologue(IDictionary usingValues, string prefix)
        {
            var sb = new StringBuilder("$__pwsHandoff = [PodeWebSocket.HandlerHandoff]::Take(); ");
            foreach (DictionaryEntry entry in usingValues)
            {
                string name = (string)entry.Key;
                sb.Append(Var(prefix + name)).Append(" = $__pwsHandoff.Using['").Append(name.Replace("'", "''")).Append("']; ");
            }
            return sb.ToString();
        }

        private static string Var(string name)
        {
            string path = name.StartsWith("script:", StringComparison.Ordinal) ? name.Substring(7) : name;
            foreach (char c in path)
            {
                if (!(char.IsLetterOrDigit(c) || c == '_')) return "${" + name.Replace("`", "``").Replace("}", "`}") + "}";
            }
            return "$" + name;
        }

        /// <summary>
        /// Replaces $using:x by $using_x (the same length: every position after it stays the user's)
        /// and stores x's value; by $__using_x in the rare handler that has a variable named using_*
        /// of its own. A $using: in a nested script block is replaced only when the caller has the
        /// variable (it may refer to the handler's own scope).
        /// </summary>
        private static string RewriteUsing(string text, string file, SessionState callerState, IDictionary usingValues, string connectionName, out string prefix)
        {
            Token[] tokens;
            ParseError[] errors;
            ScriptBlockAst ast = Parser.ParseInput(text, file, out tokens, out errors);
            if (errors != null && errors.Length > 0)
            {
                throw Errors.Invalid("InvalidScript", "the handler of '" + connectionName + "' does not parse: " + errors[0].Message +
                    " (" + (file ?? "line") + ":" + errors[0].Extent.StartLineNumber + ")", connectionName);
            }
            bool clash = ast.Find(a => a is VariableExpressionAst && !(a.Parent is UsingExpressionAst) &&
                ((VariableExpressionAst)a).VariablePath.UserPath.StartsWith(UsingPrefix, StringComparison.OrdinalIgnoreCase), true) != null;
            prefix = clash ? LongUsingPrefix : UsingPrefix;

            var replacements = new List<KeyValuePair<IScriptExtent, string>>();
            foreach (UsingExpressionAst usingAst in ast.FindAll(a => a is UsingExpressionAst, true))
            {
                VariableExpressionAst variable = UsingExpressionAst.ExtractUsingVariable(usingAst);
                string name = variable.VariablePath.UserPath;
                bool nested = IsInNestedScriptBlock(usingAst, ast);
                if (!usingValues.Contains(name))
                {
                    PSVariable found = callerState == null ? null : (callerState.PSVariable.Get(name) ??
                        callerState.PSVariable.Get(UsingPrefix + name) ?? callerState.PSVariable.Get(LongUsingPrefix + name));
                    if (found == null)
                    {
                        if (nested) continue;
                        throw new PodeWebSocketException("PodeWebSocket.UsingVariableNotFound", ErrorCategory.ObjectNotFound,
                            "the value of $using:" + name + " could not be found in the caller's scope (handler of '" + connectionName + "').", connectionName);
                    }
                    usingValues[name] = found.Value;
                }
                string original = variable.Extent.Text;
                int colon = original.IndexOf(':');
                string replacement = !clash && colon > 0
                    ? original.Substring(0, colon) + "_" + original.Substring(colon + 1)
                    : Var(prefix + name);
                replacements.Add(new KeyValuePair<IScriptExtent, string>(variable.Extent, replacement));
            }
            if (replacements.Count == 0) return text;
            var sb = new StringBuilder(text);
            foreach (var r in replacements.OrderByDescending(r => r.Key.StartOffset))
            {
                sb.Remove(r.Key.StartOffset, r.Key.EndOffset - r.Key.StartOffset);
                sb.Insert(r.Key.StartOffset, r.Value);
            }
            return sb.ToString();
        }

        private static bool IsInNestedScriptBlock(Ast ast, Ast root)
        {
            for (Ast p = ast.Parent; p != null && p != root; p = p.Parent)
            {
                if (p is ScriptBlockAst) return true;
            }
            return false;
        }

        /// <summary>Why the body cannot be the process block of a wrapper (null when it can).</summary>
        private static string FallbackReason(ScriptBlockAst ast)
        {
            if (ast.BeginBlock != null || ast.ProcessBlock != null || ast.DynamicParamBlock != null || ast.CleanBlock != null) return "it has begin/process/clean/dynamicparam blocks";
            if (ast.EndBlock != null && !ast.EndBlock.Unnamed) return "it has an explicit end block";
            if (ast.UsingStatements != null && ast.UsingStatements.Count > 0) return "it has using statements";
            if (ast.ScriptRequirements != null) return "it has #requires";
            if (ast.ParamBlock != null)
            {
                if (ast.ParamBlock.Attributes.Count > 0) return "its param block has attributes ([CmdletBinding()])";
                foreach (var p in ast.ParamBlock.Parameters)
                {
                    foreach (var a in p.Attributes)
                    {
                        var attribute = a as AttributeAst;
                        if (attribute != null && (attribute.TypeName.Name.Equals("Parameter", StringComparison.OrdinalIgnoreCase) ||
                                                  attribute.TypeName.Name.Equals("ParameterAttribute", StringComparison.OrdinalIgnoreCase) ||
                                                  attribute.TypeName.FullName.EndsWith(".ParameterAttribute", StringComparison.OrdinalIgnoreCase)))
                        {
                            return "a parameter has [Parameter()] (an advanced script)";
                        }
                    }
                }
            }
            return null;
        }

        /// <summary>Unqualified variables the body assigns in its own scope (not in nested script blocks or functions).</summary>
        private static void CollectAssigned(Ast body, string usingPrefix, HashSet<string> parameters, List<string> plain, List<string> attributed, List<string> restored)
        {
            if (body == null) return;
            var found = new List<string>();
            var attributedNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            VisitAssigned(body, false, (path, hasAttributes) =>
            {
                if (!(path.IsUnqualified || path.IsLocal || path.IsPrivate)) return;
                string name = path.UserPath;
                int colon = name.IndexOf(':');
                if (colon >= 0) name = name.Substring(colon + 1);
                if (NeverReset.Contains(name) || name.StartsWith("__pws", StringComparison.OrdinalIgnoreCase) || name.StartsWith(usingPrefix, StringComparison.OrdinalIgnoreCase)) return;
                if (hasAttributes) attributedNames.Add(name);
                if (!found.Contains(name, StringComparer.OrdinalIgnoreCase)) found.Add(name);
            });
            foreach (var name in found)
            {
                if (parameters.Contains(name)) restored.Add(name);
                else if (attributedNames.Contains(name)) attributed.Add(name);
                else plain.Add(name);
            }
        }

        /// <summary>$script: variables the handler assigns anywhere, nested script blocks included
        /// (`$items | ForEach-Object { $script:total += $_ }` assigns the handler's script scope too).</summary>
        private static void CollectScriptScoped(Ast ast, string usingPrefix, List<string> plain, List<string> attributed)
        {
            var found = new List<string>();
            var attributedNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            VisitAssigned(ast, true, (path, hasAttributes) =>
            {
                if (!path.IsScript) return;
                string name = path.UserPath.Substring(path.UserPath.IndexOf(':') + 1);
                if (name.Length == 0 || name.StartsWith("__pws", StringComparison.OrdinalIgnoreCase) || name.StartsWith(usingPrefix, StringComparison.OrdinalIgnoreCase)) return;
                if (hasAttributes) attributedNames.Add(name);
                if (!found.Contains(name, StringComparer.OrdinalIgnoreCase)) found.Add(name);
            });
            foreach (var name in found)
            {
                if (attributedNames.Contains(name)) attributed.Add(name);
                else plain.Add(name);
            }
        }

        /// <summary>Calls back with the path of every variable assigned (=, op=, ++, --, foreach) under root,
        /// and whether the assignment gives it a type or attribute; nested scopes only when asked.</summary>
        private static void VisitAssigned(Ast root, bool nested, Action<VariablePath, bool> assigned)
        {
            Action<Ast, bool> visitTarget = null;
            visitTarget = (target, hasAttributes) =>
            {
                var variable = target as VariableExpressionAst;
                if (variable != null)
                {
                    assigned(variable.VariablePath, hasAttributes);
                    return;
                }
                var convert = target as ConvertExpressionAst;
                if (convert != null)
                {
                    // [datetime]$x = $null would fail: typed variables are removed instead of nulled.
                    visitTarget(convert.Child, true);
                    return;
                }
                var attributedAst = target as AttributedExpressionAst;
                if (attributedAst != null) { visitTarget(attributedAst.Child, true); return; }
                var array = target as ArrayLiteralAst;
                if (array != null) { foreach (var e in array.Elements) visitTarget(e, hasAttributes); return; }
                var paren = target as ParenExpressionAst;
                if (paren != null)
                {
                    var pipeline = paren.Pipeline as PipelineAst;
                    if (pipeline != null && pipeline.PipelineElements.Count == 1)
                    {
                        var expression = pipeline.PipelineElements[0] as CommandExpressionAst;
                        if (expression != null) visitTarget(expression.Expression, hasAttributes);
                    }
                }
            };

            foreach (Ast node in root.FindAll(a => a is AssignmentStatementAst || a is ForEachStatementAst || a is UnaryExpressionAst, nested))
            {
                if (!nested && InNestedScope(node, root)) continue;
                var assignment = node as AssignmentStatementAst;
                if (assignment != null) { visitTarget(assignment.Left, false); continue; }
                var loop = node as ForEachStatementAst;
                if (loop != null) { visitTarget(loop.Variable, false); continue; }
                var unary = (UnaryExpressionAst)node;
                if (unary.TokenKind == TokenKind.PlusPlus || unary.TokenKind == TokenKind.MinusMinus ||
                    unary.TokenKind == TokenKind.PostfixPlusPlus || unary.TokenKind == TokenKind.PostfixMinusMinus)
                {
                    visitTarget(unary.Child, false);
                }
            }
        }

        private static bool InNestedScope(Ast node, Ast root)
        {
            for (Ast p = node.Parent; p != null && p != root; p = p.Parent)
            {
                if (p is ScriptBlockAst || p is FunctionDefinitionAst || p is TypeDefinitionAst) return true;
            }
            return false;
        }
    }
}
