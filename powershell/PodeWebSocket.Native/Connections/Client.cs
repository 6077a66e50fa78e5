// The managed API the public commands call: connect, send, disconnect, reset, remove, state,
// info, receive. Keeps the registry in step with the native core. Every failure is a
// PodeWebSocketException carrying the ErrorId.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading.Tasks;

namespace PodeWebSocket
{
    /// <summary>A resolved send destination (looked up once per Send-PodeWebSocket call, used per message).</summary>
    public sealed class SendTarget
    {
        internal SendTarget(string name, string contentType)
        {
            Name = name;
            ContentType = contentType;
            NameUtf8 = Utf8.Encode(name);
        }

        public string Name { get; private set; }
        public string ContentType { get; private set; }
        internal byte[] NameUtf8 { get; private set; }
    }

    public static unsafe class Client
    {
        // Try* methods return the failure instead of throwing: a .NET exception caught by a
        // script's try/catch would still reach the caller's -ErrorVariable next to the real error.

        public static PodeWebSocketException TryBeginConnect(ConnectionDefinition definition, string url, string optionsJson, out Task<ulong> task)
        {
            task = null;
            try { task = BeginConnect(definition, url, optionsJson); return null; }
            catch (Exception e) { return Errors.AsError(e, definition.Name); }
        }

        /// <summary>Waits up to ms: true when the task finished (failure is then set when it failed).</summary>
        public static bool TryWait(Task task, int ms, string name, out PodeWebSocketException failure)
        {
            failure = null;
            try
            {
                if (!task.Wait(ms)) return false;
            }
            catch (AggregateException e)
            {
                failure = Errors.AsError(e.InnerException ?? e, name);
            }
            return true;
        }

        public static PodeWebSocketException TryGetSendTarget(string name, out SendTarget target)
        {
            target = null;
            try { target = GetSendTarget(name); return null; }
            catch (Exception e) { return Errors.AsError(e, name); }
        }

        public static PodeWebSocketException TrySend(SendTarget target, object message, int depth, string type, bool typeGiven)
        {
            try { Send(target, message, depth, type, typeGiven); return null; }
            catch (Exception e) { return Errors.AsError(e, target.Name); }
        }

        public static PodeWebSocketException TryDisconnect(string name, int code, string reason)
        {
            try { Disconnect(name, code, reason); return null; }
            catch (Exception e) { return Errors.AsError(e, name); }
        }

        public static PodeWebSocketException TryRemove(string name)
        {
            try { Remove(name); return null; }
            catch (Exception e) { return Errors.AsError(e, name); }
        }

        public static PodeWebSocketException TryReceive(string name, int timeoutMs, int max, out WsEvent[] events, out bool closed)
        {
            events = new WsEvent[0];
            closed = false;
            try { events = Receive(name, timeoutMs, max, out closed); return null; }
            catch (Exception e) { return Errors.AsError(e, name); }
        }

        public static string Version() { return Native.Version(); }

        /// <summary>Starts a connect on a worker thread, so the caller can wait in slices and stay interruptible.</summary>
        public static Task<ulong> BeginConnect(ConnectionDefinition definition, string url, string optionsJson)
        {
            Registry.BeginConnect(definition);
            return Task.Run(() =>
            {
                try
                {
                    ulong id = Native.Connect(definition.Name, url, optionsJson);
                    Registry.CompleteConnect(definition, id);
                    return id;
                }
                catch
                {
                    Registry.AbortConnect(definition);
                    throw;
                }
            });
        }

        /// <summary>Cancels a connect or reset in progress (Ctrl+C): removes the name. Never throws.</summary>
        public static void Cancel(string name)
        {
            try { Remove(name); } catch (Exception) { }
        }

        public static SendTarget GetSendTarget(string name)
        {
            var definition = Registry.Find(name);
            if (Native.State(Utf8.Encode(name)) == ConnectionState.Unknown)
            {
                throw Errors.FromNative(PodeWsResult.UnknownName, "no WebSocket connection is named '" + name + "'", name);
            }
            return new SendTarget(definition != null ? definition.Name : name, definition != null ? definition.ContentType : "application/json");
        }

        /// <summary>
        /// Sends one message: byte[] as binary (when -Type Binary or no -Type was given), anything
        /// else converted by the connection's content type and sent as text (or as its UTF-8 bytes
        /// with -Type Binary).
        /// </summary>
        public static void Send(SendTarget target, object message, int depth, string type, bool typeGiven)
        {
            object input = ContentSupport.Unwrap(message);
            bool binary = string.Equals(type, "Binary", StringComparison.OrdinalIgnoreCase);
            var bytes = input as byte[];
            if (bytes != null && (binary || !typeGiven))
            {
                Native.Send(target.NameUtf8, SendKind.Binary, bytes, target.Name);
                return;
            }
            string text = ContentWriter.ToText(input, target.ContentType, depth);
            Native.Send(target.NameUtf8, binary ? SendKind.Binary : SendKind.Text, text, target.Name);
        }

        public static void Disconnect(string name, int code, string reason) { Native.Disconnect(name, code, reason); }

        /// <summary>Starts a reset (close + connect again, optionally to a new URL) on a worker thread.</summary>
        public static Task BeginReset(string name, string url)
        {
            return Task.Run(() => Reset(name, url));
        }

        /// <summary>Starts a disconnect on a worker thread (a caller showing its close trace polls meanwhile).</summary>
        public static Task BeginDisconnect(string name, int code, string reason)
        {
            return Task.Run(() => Disconnect(name, code, reason));
        }

        /// <summary>Starts a remove on a worker thread (a caller showing its close trace polls meanwhile).</summary>
        public static Task BeginRemove(string name)
        {
            return Task.Run(() => Remove(name));
        }

        public static void Reset(string name, string url)
        {
            Native.Reset(name, url);
            var definition = Registry.Find(name);
            if (definition != null && !string.IsNullOrEmpty(url)) definition.Connection.SetUrl(url);
        }

        /// <summary>Closes (1000) and forgets the connection; its handlers stop.</summary>
        public static void Remove(string name)
        {
            try
            {
                Native.Remove(name);
            }
            finally
            {
                Registry.MarkRemoved(name);
            }
        }

        public static ConnectionState State(string name) { return Native.State(Utf8.Encode(name)); }

        /// <summary>JSON description of one connection (see pode_ws_info).</summary>
        public static string Info(string name) { return Native.Info(name); }

        /// <summary>JSON array describing every connection (see pode_ws_list).</summary>
        public static string List() { return Native.List(); }

        /// <summary>
        /// Takes up to max messages of a connection without handlers, waiting up to timeoutMs for the
        /// first. Lifecycle events update the connection's information; closed is true when a close
        /// was seen or the connection is closed and has nothing queued (it is not coming back).
        /// </summary>
        public static WsEvent[] Receive(string name, int timeoutMs, int max, out bool closed)
        {
            closed = false;
            var definition = Registry.Find(name);
            if (definition != null && definition.HasHandlers)
            {
                throw new PodeWebSocketException("PodeWebSocket.HasHandler", ErrorCategory.InvalidOperation,
                    "the WebSocket connection '" + name + "' has handlers: its messages go to them, not to Receive-PodeWebSocket.", name);
            }
            var connection = definition != null ? definition.Connection : new WsConnection(name, null, "application/json");
            var results = new List<WsEvent>();
            using (var poller = Native.NewPoller())
            {
                int count;
                NativeEvent* events = Native.PollConnection(poller, name, timeoutMs, max, out count);
                for (int i = 0; i < count; i++)
                {
                    ref NativeEvent ev = ref events[i];
                    if (ev.IsMessage) results.Add(EventFactory.Message(connection, Lockables.Current, ref ev));
                    else if (definition != null) definition.Observe(ref ev);
                }
            }
            if (results.Count == 0)
            {
                var state = State(name);
                closed = state == ConnectionState.Closed || state == ConnectionState.Unknown;
            }
            return results.ToArray();
        }
    }
}
