// A handler compiled (HandlerCompiler): the user's text at its place in its file, plus the
// statements a wrapper runs around it. WrapperBuilder turns it into a scriptblock in each
// dispatcher's runspace.
namespace PodeWebSocket
{
    public sealed class HandlerScript
    {
        public HandlerKind Kind { get; internal set; }
        /// <summary>The user's script with $using: rewritten, preceded by blank lines and spaces so
        /// that it stands at its line and column in File (see HandlerSource).</summary>
        public string UserText { get; internal set; }
        /// <summary>The script file the handler was written in (-FilePath, or the script holding the
        /// scriptblock literal); null for a scriptblock typed interactively.</summary>
        public string File { get; internal set; }
        /// <summary>The line the handler starts on in File, and that line as the user wrote it.</summary>
        public int StartLine { get; internal set; }
        public string StartLineText { get; internal set; }
        /// <summary>Statements of the wrapper's begin block: the $using: values, saved parameters and $script: variables.</summary>
        public string BeginText { get; internal set; }
        /// <summary>Statements run before each message: what makes variables start fresh.</summary>
        public string ResetText { get; internal set; }
        /// <summary>Statements run after each message, in a finally: the $script: variables it assigned put back.</summary>
        public string RestoreText { get; internal set; }
        /// <summary>The wrapper as text, for reading only (the pipeline is built from the user's own
        /// syntax tree, see WrapperBuilder): `param(...) begin {...} process { foreach ($WsEvent in $_) { ...body } }`.</summary>
        public string WrapperText { get; internal set; }
        /// <summary>True when the body could not be placed in a process block (begin/process/end blocks, [CmdletBinding()], ...).</summary>
        public bool IsFallback { get; internal set; }

        /// <summary>Line `line` (1-based) of the user's text as it reads in its file (the first
        /// one whole, with what precedes the handler on it); null outside it.</summary>
        public string SourceLine(int line)
        {
            if (line == StartLine && StartLineText != null) return StartLineText.TrimEnd('\r', '\n');
            if (line < 1 || UserText == null) return null;
            int start = 0;
            for (int i = 1; i < line; i++)
            {
                start = UserText.IndexOf('\n', start);
                if (start < 0) return null;
                start++;
            }
            int end = UserText.IndexOf('\n', start);
            string text = (end < 0 ? UserText.Substring(start) : UserText.Substring(start, end - start)).TrimEnd('\r');
            return text.Trim().Length == 0 ? null : text;
        }
    }
}
