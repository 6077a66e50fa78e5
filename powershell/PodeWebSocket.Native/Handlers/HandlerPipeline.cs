// Builds the steppable pipeline of a compiled handler (its wrapper from WrapperBuilder) in the
// calling thread's runspace (a dispatcher's) and runs its begin block, which takes the
// connection's $using: values and arguments from a HandlerHandoff.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace PodeWebSocket
{
    /// <summary>Hands values from the dispatcher to a wrapper's begin block on the same thread.</summary>
    public sealed class HandlerHandoff
    {
        [ThreadStatic] private static HandlerHandoff current;

        public IDictionary Using { get; internal set; }
        public ScriptBlock Script { get; internal set; }
        public object[] Arguments { get; internal set; }

        /// <summary>Called by a wrapper's begin block (HandlerCompiler writes the call).</summary>
        public static HandlerHandoff Take()
        {
            var h = current;
            current = null;
            return h ?? new HandlerHandoff { Using = new Hashtable(), Arguments = new object[0] };
        }

        internal static void Set(HandlerHandoff handoff) { current = handoff; }
    }

    public static class HandlerPipeline
    {
        // Runs a wrapper with the connection's arguments splatted (a List: a one-element array
        // handed to GetSteppablePipeline would be unrolled).
        private const string DriverText = "param($__pwsW, $__pwsA) & $__pwsW @__pwsA";

        /// <summary>
        /// The steppable pipeline of a handler, begun (arguments bound, $using: values set). Feed
        /// it $WsEvents with Process(): one event, an array of them, or an EventRun.
        /// </summary>
        public static SteppablePipeline Create(HandlerScript script, IDictionary usingValues, object[] arguments)
        {
            if (script == null) throw new ArgumentNullException("script");
            var driver = ScriptBlock.Create(DriverText);
            var wrapper = WrapperBuilder.Build(script);
            HandlerHandoff.Set(new HandlerHandoff
            {
                Using = usingValues,
                Arguments = arguments,
                Script = script.IsFallback ? WrapperBuilder.UserScript(script) : null,
            });
            try
            {
                var pipeline = driver.GetSteppablePipeline(CommandOrigin.Internal,
                    new object[] { wrapper, new List<object>(script.IsFallback ? new object[0] : arguments) });
                pipeline.Begin(true);
                return pipeline;
            }
            finally
            {
                HandlerHandoff.Set(null);
            }
        }
    }
}
