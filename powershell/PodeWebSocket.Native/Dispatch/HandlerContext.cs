// What a dispatcher thread is doing, for code running inside a handler: the connection whose
// event is being handled (Send-PodeWebSocket and co. without -Name), and whether the thread is a
// dispatcher's at all (their runspaces import the module too, without owning it).
using System;

namespace PodeWebSocket
{
    public static class HandlerContext
    {
        [ThreadStatic] private static string currentName;
        [ThreadStatic] private static bool isDispatcherThread;

        /// <summary>The name of the connection whose event this thread is handling, or null.</summary>
        public static string CurrentName { get { return currentName; } }

        public static bool IsDispatcherThread { get { return isDispatcherThread; } }

        internal static void SetCurrent(string name) { currentName = name; }
        internal static void MarkDispatcherThread() { isDispatcherThread = true; }
    }
}
