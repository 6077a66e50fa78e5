// Turns a user's handler scriptblock into the text of a wrapper that HandlerPipeline builds, in a
// dispatcher's runspace, into a steppable pipeline. Each Process() call hands it a run of
// $WsEvents (the consecutive messages of one connection in a poll batch) that its process block
// walks with a foreach: per message that costs a loop iteration, against ~1 µs for a Process()
// call and ~15-30 µs for `& $sb`. Variables the body assigns are reset before each message (fresh
// scope, as in Pode). $using: variables are captured from the caller's scope at connect time.
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
        private static readonly HashSet<string> NeverReset = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "_", "PSItem", "WsEvent", "args", "input", "this", "null", "true", "false", "?", "$", "^",
            "PSCmdlet", "PSBoundParameters", "MyInvocation", "ExecutionContext", "Host", "PID", "PSScriptRoot",
            "PSCommandPath", "Error", "LASTEXITCODE", "foreach", "switch", "Matches", "ConsoleFileName",
            "HOME", "IsCoreCLR", "IsLinux", "IsMacOS", "IsWindows", "PSHOME", "PSVersionTable", "ShellId", "StackTrace",
        };

        /// <summary>
        /// Compiles a handler: rewrites $using: (values read from callerState into usingValues) and
        /// builds the wrapper text. Throws PodeWebSocketException (UsingVariableNotFound, InvalidScript).
        /// </summary>
        public static HandlerScript Compile(ScriptBlock scriptBlock, HandlerKind kind, SessionState callerState, IDictionary usingValues, string connectionName)
        {
            if (scriptBlock == null) throw new ArgumentNullException("scriptBlock");
            string text = SourceText(scriptBlock.Ast, connectionName);
            text = RewriteUsing(text, callerState, usingValues, connectionName);

            Token[] tokens;
            ParseError[] errors;
            ScriptBlockAst ast = Parser.ParseInput(text, out tokens, out errors);
            if (errors != null && errors.Length > 0)
            {
                throw Errors.Invalid("InvalidScript", "the " + kind + " handler of '" + connectionName + "' does not parse: " + errors[0].Message, connectionName);
            }

            var script = new HandlerScript { Kind = kind, UserText = text };
            string reason = FallbackReason(ast);
            if (reason != null)
            {
                HostOutput.Trace("the " + kind + " handler of '" + connectionName + "' runs with & per message: " + reason);
                script.IsFallback = true;
                script.WrapperText = "begin { " + BeginPrologue(usingValues) +
                    "$__pwsUser = $__pwsHandoff.Script; $__pwsArgs = $__pwsHandoff.Arguments; $__pwsHandoff = $null } " +
                    "process { foreach ($WsEvent in $_) { & $__pwsUser @__pwsArgs } }";
                return script;
            }

            var parameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (ast.ParamBlock != null)
            {
                foreach (var p in ast.ParamBlock.Parameters) parameters.Add(p.Name.VariablePath.UserPath);
            }

            var plain = new List<string>();
            var attributed = new List<string>();
            var restored = new List<string>();
            CollectAssigned(ast.EndBlock, parameters, plain, attributed, restored);

            // Lines of the body keep their numbers: the prologue is spliced in right after the param block.
            int split = ast.ParamBlock != null ? ast.ParamBlock.Extent.EndOffset : 0;
            var sb = new StringBuilder(text.Length + 256);
            sb.Append(text, 0, split);
            sb.Append(" begin { ").Append(BeginPrologue(usingValues));
            for (int i = 0; i < restored.Count; i++) sb.Append("$__pwsSaved").Append(i).Append(" = ").Append(Var(restored[i])).Append("; ");
            sb.Append("$__pwsHandoff = $null } process { foreach ($WsEvent in $_) { ");
            for (int i = 0; i < restored.Count; i++) sb.Append(Var(restored[i])).Append(" = $__pwsSaved").Append(i).Append("; ");
            foreach (var v in plain) sb.Append(Var(v)).Append(" = $null; ");
            foreach (var v in attributed) sb.Append("Microsoft.PowerShell.Utility\\Remove-Variable -Name '").Append(v.Replace("'", "''")).Append("' -Scope Local -Force -ErrorAction Ignore; ");
            sb.Append(text, split, text.Length - split);
            sb.Append("\n} }");
            script.WrapperText = sb.ToString();
            return script;
        }

        private static string BeginPrologue(IDictionary usingValues)
        {
            var sb = new StringBuilder("$__pwsHandoff = [PodeWebSocket.HandlerHandoff]::Take(); ");
            foreach (DictionaryEntry entry in usingValues)
            {
                string name = (string)entry.Key;
                sb.Append(Var("__using_" + name)).Append(" = $__pwsHandoff.Using['").Append(name.Replace("'", "''")).Append("']; ");
            }
            return sb.ToString();
        }

        private static string Var(string name)
        {
            foreach (char c in name)
            {
                if (!(char.IsLetterOrDigit(c) || c == '_')) return "${" + name.Replace("`", "``").Replace("}", "`}") + "}";
            }
            return "$" + name;
        }

        /// <summary>The script text of a scriptblock: a literal's braces and a function's header removed.</summary>
        private static string SourceText(Ast ast, string connectionName)
        {
            var function = ast as FunctionDefinitionAst;
            ScriptBlockAst body = function != null ? function.Body : ast as ScriptBlockAst;
            if (body == null) throw Errors.Invalid("InvalidScript", "the handler of '" + connectionName + "' is not a script block.", connectionName);
            string text = body.Extent.Text;
            if (body.Parent is ScriptBlockExpressionAst || body.Parent is FunctionDefinitionAst)
            {
                if (text.Length >= 2 && text[0] == '{' && text[text.Length - 1] == '}') text = text.Substring(1, text.Length - 2);
            }
            if (function != null && function.Parameters != null && function.Parameters.Count > 0)
            {
                text = "param(" + string.Join(", ", function.Parameters.Select(p => p.Extent.Text)) + ")\n" + text;
            }
            return text;
        }

        /// <summary>
        /// Replaces $using:x by $__using_x and stores x's value. A $using: in a nested script block
        /// is replaced only when the caller has the variable (it may refer to the handler's own scope).
        /// </summary>
        private static string RewriteUsing(string text, SessionState callerState, IDictionary usingValues, string connectionName)
        {
            Token[] tokens;
            ParseError[] errors;
            ScriptBlockAst ast = Parser.ParseInput(text, out tokens, out errors);
            if (errors != null && errors.Length > 0)
            {
                throw Errors.Invalid("InvalidScript", "the handler of '" + connectionName + "' does not parse: " + errors[0].Message, connectionName);
            }
            var replacements = new List<KeyValuePair<IScriptExtent, string>>();
            foreach (UsingExpressionAst usingAst in ast.FindAll(a => a is UsingExpressionAst, true))
            {
                VariableExpressionAst variable = UsingExpressionAst.ExtractUsingVariable(usingAst);
                string name = variable.VariablePath.UserPath;
                bool nested = IsInNestedScriptBlock(usingAst, ast);
                if (!usingValues.Contains(name))
                {
                    PSVariable found = callerState == null ? null : (callerState.PSVariable.Get(name) ?? callerState.PSVariable.Get("__using_" + name));
                    if (found == null)
                    {
                        if (nested) continue;
                        throw new PodeWebSocketException("PodeWebSocket.UsingVariableNotFound", ErrorCategory.ObjectNotFound,
                            "the value of $using:" + name + " could not be found in the caller's scope (handler of '" + connectionName + "').", connectionName);
                    }
                    usingValues[name] = found.Value;
                }
                replacements.Add(new KeyValuePair<IScriptExtent, string>(variable.Extent, Var("__using_" + name)));
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
        private static void CollectAssigned(Ast body, HashSet<string> parameters, List<string> plain, List<string> attributed, List<string> restored)
        {
            if (body == null) return;
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var attributedNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var found = new List<string>();

            Action<Ast, bool> visitTarget = null;
            visitTarget = (target, hasAttributes) =>
            {
                var variable = target as VariableExpressionAst;
                if (variable != null)
                {
                    var path = variable.VariablePath;
                    if (!(path.IsUnqualified || path.IsLocal || path.IsPrivate)) return;
                    string name = path.UserPath;
                    int colon = name.IndexOf(':');
                    if (colon >= 0) name = name.Substring(colon + 1);
                    if (NeverReset.Contains(name) || name.StartsWith("__pws", StringComparison.OrdinalIgnoreCase) || name.StartsWith("__using_", StringComparison.OrdinalIgnoreCase)) return;
                    if (hasAttributes) attributedNames.Add(name);
                    if (seen.Add(name)) found.Add(name);
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

            foreach (Ast node in body.FindAll(a => a is AssignmentStatementAst || a is ForEachStatementAst || a is UnaryExpressionAst, false))
            {
                if (InNestedScope(node, body)) continue;
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

            foreach (var name in found)
            {
                if (parameters.Contains(name)) restored.Add(name);
                else if (attributedNames.Contains(name)) attributed.Add(name);
                else plain.Add(name);
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
