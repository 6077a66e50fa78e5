// $WsEvent.Lockable: a process-wide synchronized hashtable, or Pode's global lockable while the
// dispatchers run for a Pode server (the dispatcher sets Current when it starts for one).
using System;
using System.Collections;

namespace PodeWebSocket
{
    public static class Lockables
    {
        /// <summary>The lockable of handlers outside Pode: one per process.</summary>
        public static readonly Hashtable Standalone = Hashtable.Synchronized(new Hashtable(StringComparer.OrdinalIgnoreCase));

        private static volatile object current = Standalone;

        /// <summary>The lockable events get now (Receive-PodeWebSocket's too).</summary>
        public static object Current
        {
            get { return current; }
            internal set { current = value ?? Standalone; }
        }
    }
}
