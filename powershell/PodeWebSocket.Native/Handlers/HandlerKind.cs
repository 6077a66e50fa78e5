// The handlers a connection can have. Everything that holds one per kind sizes itself by
// HandlerKinds.Count: a new kind is one more enum member and its Describe text.
using System;

namespace PodeWebSocket
{
    /// <summary>-ScriptBlock/-FilePath (Message), -OnOpen, -OnClose, -OnError, -OnReconnecting.</summary>
    public enum HandlerKind { Message = 0, Open = 1, Close = 2, Error = 3, Reconnecting = 4 }

    public static class HandlerKinds
    {
        /// <summary>Every kind, in enum order (0 .. Count-1: usable as array indexes).</summary>
        public static readonly HandlerKind[] All = (HandlerKind[])Enum.GetValues(typeof(HandlerKind));

        public static int Count { get { return All.Length; } }

        /// <summary>How messages name the handler: "message handler", "-OnOpen handler", ...</summary>
        public static string Describe(HandlerKind kind)
        {
            return kind == HandlerKind.Message ? "message handler" : "-On" + kind + " handler";
        }
    }
}
