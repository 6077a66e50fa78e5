// The managed API over the C ABI used by the public commands: connect, send, disconnect, reset,
// remove, state, info, receive. Every failure is a PodeWebSocketException carrying the ErrorId.
using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading.Tasks;

namespace PodeWebSocket
{
    public enum ConnectionState { Unknown = 0, Connecting = 1, Open = 2, Reconnecting = 3, Closed = 4 }

    /// <summary>A resolved send destination (looked up once per Send-PodeWebSocket call, used per message).</summary>
    public sealed class SendTarget
    {
        internal SendTarget(string name, string contentType)
        {
            Name = name;
            ContentType = contentType;
            NameUtf8 = Encoding.UTF8.GetBytes(name);
        }

        public string Name { get; private set; }
        public string ContentType { get; private set; }
        internal byte[] NameUtf8 { get; private set; }
    }

    public static unsafe class Client
    {
        private const int StackLimit = 2048;

        // Try* methods return the failure instead of throwing: a .NET exception caught by a
        // script's try/catch would still reach the caller's -ErrorVariable next to the real error.

        /// <summary>Any exception as the module's error (conversion failures become ConversionFailed).</summary>
        public static PodeWebSocketException AsError(Exception e, string name)
        {
            var found = PodeWebSocketException.Find(e);
            if (found != null) return found;
            var inner = e is System.Management.Automation.MethodInvocationException && e.InnerException != null ? e.InnerException : e;
            return new PodeWebSocketException("PodeWebSocket.ConversionFailed", System.Management.Automation.ErrorCategory.InvalidData,
                "the message could not be converted: " + inner.Message, name);
        }

        public static PodeWebSocketException TryBeginConnect(ConnectionDefinition definition, string url, string optionsJson, out Task<ulong> task)
        {
            task = null;
            try { task = BeginConnect(definition, url, optionsJson); return null; }
            catch (Exception e) { return AsError(e, definition.Name); }
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
                failure = AsError(e.InnerException ?? e, name);
            }
            return true;
        }

        public static PodeWebSocketException TryGetSendTarget(string name, out SendTarget target)
        {
            target = null;
            try { target = GetSendTarget(name); return null; }
            catch (Exception e) { return AsError(e, name); }
        }

        public static PodeWebSocketException TrySend(SendTarget target, object message, int depth, string type, bool typeGiven)
        {
            try { Send(target, message, depth, type, typeGiven); return null; }
            catch (Exception e) { return AsError(e, target.Name); }
        }

        public static PodeWebSocketException TryDisconnect(string name, int code, string reason)
        {
            try { Disconnect(name, code, reason); return null; }
            catch (Exception e) { return AsError(e, name); }
        }

        public static PodeWebSocketException TryRemove(string name)
        {
            try { Remove(name); return null; }
            catch (Exception e) { return AsError(e, name); }
        }

        public static PodeWebSocketException TryReceive(string name, int timeoutMs, int max, out WsEvent[] events, out bool closed)
        {
            events = new WsEvent[0];
            closed = false;
            try { events = Receive(name, timeoutMs, max, out closed); return null; }
            catch (Exception e) { return AsError(e, name); }
        }

        public static string Version()
        {
            byte* buf = stackalloc byte[64];
            UIntPtr len;
            LastError.Check(NativeMethods.pode_ws_version(buf, (UIntPtr)64, &len), null);
            return Encoding.UTF8.GetString(buf, (int)len);
        }

        /// <summary>Starts a connect on a worker thread, so the caller can wait in slices and stay interruptible.</summary>
        public static Task<ulong> BeginConnect(ConnectionDefinition definition, string url, string optionsJson)
        {
            Registry.BeginConnect(definition);
            return Task.Run(() =>
            {
                try
                {
                    ulong id = Connect(definition.Name, url, optionsJson);
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

        /// <summary>Waits up to ms for a task; rethrows its failure unwrapped.</summary>
        public static bool Wait(Task task, int ms)
        {
            try
            {
                return task.Wait(ms);
            }
            catch (AggregateException e)
            {
                ExceptionDispatchInfo.Capture(e.InnerException ?? e).Throw();
                throw;
            }
        }

        public static ulong Connect(string name, string url, string optionsJson)
        {
            byte[] n = Encoding.UTF8.GetBytes(name), u = Encoding.UTF8.GetBytes(url ?? string.Empty), o = Encoding.UTF8.GetBytes(optionsJson ?? string.Empty);
            ulong id;
            fixed (byte* pn = n) fixed (byte* pu = u) fixed (byte* po = o)
            {
                LastError.Check(NativeMethods.pode_ws_connect(pn, (UIntPtr)n.Length, pu, (UIntPtr)u.Length, po, (UIntPtr)o.Length, &id), name);
            }
            return id;
        }

        /// <summary>Cancels a connect or reset in progress (Ctrl+C): removes the name. Never throws.</summary>
        public static void Cancel(string name)
        {
            try { Remove(name); } catch (Exception) { }
        }

        public static SendTarget GetSendTarget(string name)
        {
            var definition = Registry.Find(name);
            if (StateOf(Encoding.UTF8.GetBytes(name)) == ConnectionState.Unknown)
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
            object input = ContentType.Unwrap(message);
            bool binary = string.Equals(type, "Binary", StringComparison.OrdinalIgnoreCase);
            var bytes = input as byte[];
            if (bytes != null && (binary || !typeGiven))
            {
                SendBytes(target.NameUtf8, 2, bytes, target.Name);
                return;
            }
            string text = ContentWriter.ToText(input, target.ContentType, depth);
            SendString(target.NameUtf8, binary ? 2u : 1u, text, target.Name);
        }

        public static void SendText(string name, string text)
        {
            SendString(Encoding.UTF8.GetBytes(name), 1, text ?? string.Empty, name);
        }

        public static void SendBinary(string name, byte[] data)
        {
            SendBytes(Encoding.UTF8.GetBytes(name), 2, data ?? new byte[0], name);
        }

        private static void SendString(byte[] name, uint kind, string text, string displayName)
        {
            int max = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (max <= StackLimit)
            {
                byte* buf = stackalloc byte[max];
                int len;
                fixed (char* chars = text) len = Encoding.UTF8.GetBytes(chars, text.Length, buf, max);
                fixed (byte* pn = name)
                {
                    LastError.Check(NativeMethods.pode_ws_send(pn, (UIntPtr)name.Length, kind, buf, (UIntPtr)len), displayName);
                }
                return;
            }
            SendBytes(name, kind, Encoding.UTF8.GetBytes(text), displayName);
        }

        private static void SendBytes(byte[] name, uint kind, byte[] data, string displayName)
        {
            fixed (byte* pn = name) fixed (byte* pd = data)
            {
                LastError.Check(NativeMethods.pode_ws_send(pn, (UIntPtr)name.Length, kind, data.Length == 0 ? null : pd, (UIntPtr)data.Length), displayName);
            }
        }

        public static void Disconnect(string name, int code, string reason)
        {
            byte[] n = Encoding.UTF8.GetBytes(name), r = Encoding.UTF8.GetBytes(reason ?? string.Empty);
            fixed (byte* pn = n) fixed (byte* pr = r)
            {
                LastError.Check(NativeMethods.pode_ws_disconnect(pn, (UIntPtr)n.Length, (uint)code, r.Length == 0 ? null : pr, (UIntPtr)r.Length), name);
            }
        }

        /// <summary>Starts a reset (close + connect again, optionally to a new URL) on a worker thread.</summary>
        public static Task BeginReset(string name, string url)
        {
            return Task.Run(() => Reset(name, url));
        }

        public static void Reset(string name, string url)
        {
            byte[] n = Encoding.UTF8.GetBytes(name), u = Encoding.UTF8.GetBytes(url ?? string.Empty);
            fixed (byte* pn = n) fixed (byte* pu = u)
            {
                LastError.Check(NativeMethods.pode_ws_reset(pn, (UIntPtr)n.Length, u.Length == 0 ? null : pu, (UIntPtr)u.Length), name);
            }
            var definition = Registry.Find(name);
            if (definition != null && !string.IsNullOrEmpty(url)) definition.Connection.Url = url;
        }

        /// <summary>Closes (1000) and forgets the connection; its handlers stop.</summary>
        public static void Remove(string name)
        {
            byte[] n = Encoding.UTF8.GetBytes(name);
            try
            {
                fixed (byte* pn = n) LastError.Check(NativeMethods.pode_ws_remove(pn, (UIntPtr)n.Length), name);
            }
            finally
            {
                Registry.MarkRemoved(name);
            }
        }

        public static ConnectionState State(string name)
        {
            return StateOf(Encoding.UTF8.GetBytes(name));
        }

        internal static ConnectionState StateOf(byte[] name)
        {
            uint state;
            fixed (byte* pn = name)
            {
                if (NativeMethods.pode_ws_state(pn, (UIntPtr)name.Length, &state) != 0) return ConnectionState.Unknown;
            }
            return (ConnectionState)state;
        }

        /// <summary>JSON description of one connection (see pode_ws_info).</summary>
        public static string Info(string name)
        {
            byte[] n = Encoding.UTF8.GetBytes(name);
            NativeBuffer* buffer;
            fixed (byte* pn = n) LastError.Check(NativeMethods.pode_ws_info(pn, (UIntPtr)n.Length, &buffer), name);
            return TakeBuffer(buffer);
        }

        /// <summary>JSON array describing every connection (see pode_ws_list).</summary>
        public static string List()
        {
            NativeBuffer* buffer;
            LastError.Check(NativeMethods.pode_ws_list(&buffer), null);
            return TakeBuffer(buffer);
        }

        private static string TakeBuffer(NativeBuffer* buffer)
        {
            try
            {
                return buffer == null ? "null" : Utf8.Decode(buffer->Data, buffer->Len);
            }
            finally
            {
                NativeMethods.pode_ws_buffer_free(buffer);
            }
        }

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
                throw new PodeWebSocketException("PodeWebSocket.HasHandler", System.Management.Automation.ErrorCategory.InvalidOperation,
                    "the WebSocket connection '" + name + "' has handlers: its messages go to them, not to Receive-PodeWebSocket.", name);
            }
            byte[] n = Encoding.UTF8.GetBytes(name);
            var results = new List<WsEvent>();
            IntPtr poller;
            LastError.Check(NativeMethods.pode_ws_poller_new(&poller), name);
            try
            {
                NativeEvent* events;
                UIntPtr count;
                int rc;
                fixed (byte* pn = n)
                {
                    rc = NativeMethods.pode_ws_poll_connection(poller, pn, (UIntPtr)n.Length, (uint)Math.Max(0, timeoutMs), (uint)Math.Max(1, max), &events, &count);
                }
                LastError.Check(rc, name);
                for (int i = 0; i < (int)(ulong)count; i++)
                {
                    ref NativeEvent ev = ref events[i];
                    if (ev.Kind == EventKind.Text || ev.Kind == EventKind.Binary)
                    {
                        var connection = definition != null ? definition.Connection : new WsConnection(name, null, "application/json");
                        var request = new WsRequest(connection, Utf8.Copy(ev.Data, ev.DataLen), ev.Kind == EventKind.Binary);
                        results.Add(WsEvent.ForMessage(request, connection.ContentType, Dispatcher.Lockable, Utf8.Time(ev.TimestampMs)));
                    }
                    else
                    {
                        if (definition != null) definition.Observe(ref ev);
                    }
                }
                if (results.Count == 0)
                {
                    var state = StateOf(n);
                    closed = state == ConnectionState.Closed || state == ConnectionState.Unknown;
                }
            }
            finally
            {
                NativeMethods.pode_ws_poller_free(poller);
            }
            return results.ToArray();
        }
    }
}
