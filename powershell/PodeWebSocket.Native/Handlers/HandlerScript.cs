// A handler compiled to text (HandlerCompiler): what a dispatcher needs to build its pipeline.
namespace PodeWebSocket
{
    public sealed class HandlerScript
    {
        public HandlerKind Kind { get; internal set; }
        /// <summary>The wrapper: `param(...) begin {...} process { foreach ($WsEvent in $_) { ...body } }`.</summary>
        public string WrapperText { get; internal set; }
        /// <summary>The user's script with $using: rewritten (run with `&amp;` per message in fallback mode).</summary>
        public string UserText { get; internal set; }
        /// <summary>True when the body could not be placed in a process block (begin/process/end blocks, [CmdletBinding()], ...).</summary>
        public bool IsFallback { get; internal set; }
    }
}
