// Builds a handler's wrapper scriptblock from syntax trees rather than from text: the user's
// statements (parsed from HandlerScript.UserText under its file name, so their positions are the
// user's own) go into `process { foreach ($WsEvent in $_) { <resets> <user statements> } }` of a
// new tree (inside `try { ... } finally { <restores> }` when it assigns $script: variables), next
// to a begin block parsed from the generated text. A wrapper made from text would
// put generated code in front of the user's first line, and every error would point there.
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace PodeWebSocket
{
    internal static class WrapperBuilder
    {
        /// <summary>The user's script alone (fallback handlers run it with & per message), positioned as in its file.</summary>
        public static ScriptBlock UserScript(HandlerScript script)
        {
            return Parse(script.UserText, script.File).GetScriptBlock();
        }

        /// <summary>The wrapper, ready for GetSteppablePipeline. Throws ParseException when it does not compile.</summary>
        public static ScriptBlock Build(HandlerScript script)
        {
            bool restores = !string.IsNullOrEmpty(script.RestoreText);
            string perMessage = restores ? "try { " + script.ResetText + " } finally { " + script.RestoreText + " }" : script.ResetText;
            ScriptBlockAst generated = Parse("begin { " + script.BeginText + " } process { foreach ($WsEvent in $_) { " + perMessage + " } }", null);
            if (script.IsFallback) return generated.GetScriptBlock();

            ScriptBlockAst user = Parse(script.UserText, script.File);
            var loop = (ForEachStatementAst)generated.ProcessBlock.Statements[0];
            // the block the user's statements join: the loop's body, or the try inside it
            var attempt = restores ? (TryStatementAst)loop.Body.Statements[0] : null;
            StatementBlockAst target = restores ? attempt.Body : loop.Body;
            var statements = new List<StatementAst>();
            foreach (var statement in target.Statements) statements.Add((StatementAst)statement.Copy());
            var traps = new List<TrapStatementAst>();
            if (user.EndBlock != null)
            {
                foreach (var statement in user.EndBlock.Statements) statements.Add((StatementAst)statement.Copy());
                if (user.EndBlock.Traps != null) foreach (var trap in user.EndBlock.Traps) traps.Add((TrapStatementAst)trap.Copy());
            }

            IScriptExtent extent = user.Extent;
            var body = new StatementBlockAst(extent, statements, traps);
            if (restores)
            {
                var withRestore = new TryStatementAst(attempt.Extent, body, new CatchClauseAst[0], (StatementBlockAst)attempt.Finally.Copy());
                body = new StatementBlockAst(extent, new StatementAst[] { withRestore }, null);
            }
            var foreachAst = new ForEachStatementAst(extent, null, ForEachFlags.None,
                (VariableExpressionAst)loop.Variable.Copy(), (PipelineBaseAst)loop.Condition.Copy(), body);
            var process = new NamedBlockAst(extent, TokenKind.Process, new StatementBlockAst(extent, new StatementAst[] { foreachAst }, null), false);
            var wrapper = new ScriptBlockAst(extent,
                user.ParamBlock == null ? null : (ParamBlockAst)user.ParamBlock.Copy(),
                (NamedBlockAst)generated.BeginBlock.Copy(), process, null, null);
            return wrapper.GetScriptBlock();
        }

        private static ScriptBlockAst Parse(string text, string file)
        {
            Token[] tokens;
            ParseError[] errors;
            ScriptBlockAst ast = Parser.ParseInput(text, file, out tokens, out errors);
            if (errors != null && errors.Length > 0) throw new ParseException(errors);
            return ast;
        }
    }
}
