// The C ABI as managed calls: UTF-8 names in, SafeHandles and strings out, every failure a
// PodeWebSocketException (LastError.Check). Everything above the interop layer calls this, never
// NativeMethods. Names are passed as UTF-8 bytes where a caller keeps them (per-message paths).
using System;
using System.Text;

namespace PodeWebSocket
{
    internal static unsafe class Native
    {
        private const int StackLimit = 2048;

        public static string Version()
        {
            byte* buf = stackalloc byte[64];
            UIntPtr len;
            LastError.Check(NativeMethods.pode_ws_version(buf, (UIntPtr)64, &len), null);
            return Encoding.UTF8.GetString(buf, (int)len);
        }

        /// <summary>Connects (blocks until open, failed or timed out); returns the connection id.</summary>
        public static ulong Connect(string name, string url, string optionsJson)
        {
            byte[] n = Utf8.Encode(name), u = Utf8.Encode(url), o = Utf8.Encode(optionsJson);
            ulong id;
            fixed (byte* pn = n) fixed (byte* pu = u) fixed (byte* po = o)
            {
                LastError.Check(NativeMethods.pode_ws_connect(pn, (UIntPtr)n.Length, pu, (UIntPtr)u.Length, po, (UIntPtr)o.Length, &id), name);
            }
            return id;
        }

        public static void Send(byte[] name, SendKind kind, byte[] data, string displayName)
        {
            fixed (byte* pn = name) fixed (byte* pd = data)
            {
                LastError.Check(NativeMethods.pode_ws_send(pn, (UIntPtr)name.Length, kind, data.Length == 0 ? null : pd, (UIntPtr)data.Length), displayName);
            }
        }

        /// <summary>Sends text as UTF-8, encoded on the stack when it is small.</summary>
        public static void Send(byte[] name, SendKind kind, string text, string displayName)
        {
            int max = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (max > StackLimit)
            {
                Send(name, kind, Encoding.UTF8.GetBytes(text), displayName);
                return;
            }
            byte* buf = stackalloc byte[max];
            int len;
            fixed (char* chars = text) len = Encoding.UTF8.GetBytes(chars, text.Length, buf, max);
            fixed (byte* pn = name)
            {
                LastError.Check(NativeMethods.pode_ws_send(pn, (UIntPtr)name.Length, kind, buf, (UIntPtr)len), displayName);
            }
        }

        public static void Disconnect(string name, int code, string reason)
        {
            byte[] n = Utf8.Encode(name), r = Utf8.Encode(reason);
            fixed (byte* pn = n) fixed (byte* pr = r)
            {
                LastError.Check(NativeMethods.pode_ws_disconnect(pn, (UIntPtr)n.Length, (uint)code, r.Length == 0 ? null : pr, (UIntPtr)r.Length), name);
            }
        }

        /// <summary>Closes and connects again, to url when it is not empty (blocks like Connect).</summary>
        public static void Reset(string name, string url)
        {
            byte[] n = Utf8.Encode(name), u = Utf8.Encode(url);
            fixed (byte* pn = n) fixed (byte* pu = u)
            {
                LastError.Check(NativeMethods.pode_ws_reset(pn, (UIntPtr)n.Length, u.Length == 0 ? null : pu, (UIntPtr)u.Length), name);
            }
        }

        public static void Remove(string name)
        {
            byte[] n = Utf8.Encode(name);
            fixed (byte* pn = n) LastError.Check(NativeMethods.pode_ws_remove(pn, (UIntPtr)n.Length), name);
        }

        /// <summary>The state of a connection; Unknown when no connection has that name.</summary>
        public static ConnectionState State(byte[] name)
        {
            uint state;
            fixed (byte* pn = name)
            {
                if (NativeMethods.pode_ws_state(pn, (UIntPtr)name.Length, &state) != PodeWsResult.Ok) return ConnectionState.Unknown;
            }
            return (ConnectionState)state;
        }

        /// <summary>JSON description of one connection (see pode_ws_info).</summary>
        public static string Info(string name) { return DescribeByName(name, NativeMethods.pode_ws_info); }

        /// <summary>JSON array describing every connection (see pode_ws_list).</summary>
        public static string List()
        {
            BufferHandle buffer;
            var rc = NativeMethods.pode_ws_list(out buffer);
            using (buffer)
            {
                LastError.Check(rc, null);
                return buffer.ReadUtf8();
            }
        }

        /// <summary>JSON array of the connection's recent lifecycle events, oldest first (see pode_ws_history).</summary>
        public static string History(string name) { return DescribeByName(name, NativeMethods.pode_ws_history); }

        private delegate PodeWsResult NameDescriber(byte* name, UIntPtr nameLen, out BufferHandle outBuffer);

        /// <summary>The JSON a describing call (pode_ws_info, pode_ws_history) writes for one connection.</summary>
        private static string DescribeByName(string name, NameDescriber describe)
        {
            byte[] n = Utf8.Encode(name);
            BufferHandle buffer;
            PodeWsResult rc;
            fixed (byte* pn = n) rc = describe(pn, (UIntPtr)n.Length, out buffer);
            using (buffer)
            {
                LastError.Check(rc, name);
                return buffer.ReadUtf8();
            }
        }

        /// <summary>
        /// Answers a Reconnecting event of a connection with reconnect.awaitTarget: attempt
        /// `attempt` connects to url (null or empty: the current one) with the header changes in
        /// headersJson (a JSON object; null: none). Throws when the answer is refused (stale
        /// attempt, invalid URL or headers: that attempt then fails with the reason).
        /// </summary>
        public static void ReconnectTarget(string name, uint attempt, string url, string headersJson)
        {
            byte[] n = Utf8.Encode(name), u = Utf8.Encode(url), h = Utf8.Encode(headersJson);
            fixed (byte* pn = n) fixed (byte* pu = u) fixed (byte* ph = h)
            {
                LastError.Check(NativeMethods.pode_ws_reconnect_target(pn, (UIntPtr)n.Length, attempt,
                    u.Length == 0 ? null : pu, (UIntPtr)u.Length, h.Length == 0 ? null : ph, (UIntPtr)h.Length), name);
            }
        }

        /// <summary>Answers a Reconnecting event with a failure (the handler threw): that attempt fails with message.</summary>
        public static void ReconnectFail(string name, uint attempt, string message)
        {
            byte[] n = Utf8.Encode(name), m = Utf8.Encode(message);
            fixed (byte* pn = n) fixed (byte* pm = m)
            {
                LastError.Check(NativeMethods.pode_ws_reconnect_fail(pn, (UIntPtr)n.Length, attempt, m.Length == 0 ? null : pm, (UIntPtr)m.Length), name);
            }
        }

        /// <summary>The entries of a connect trace (option traceId) numbered sinceSeq and later, as
        /// JSON {traceId, next, dropped, entries} (see pode_ws_trace_read). Never blocks.</summary>
        public static string TraceRead(string traceId, ulong sinceSeq)
        {
            byte[] t = Utf8.Encode(traceId);
            BufferHandle buffer;
            PodeWsResult rc;
            fixed (byte* pt = t) rc = NativeMethods.pode_ws_trace_read(pt, (UIntPtr)t.Length, sinceSeq, out buffer);
            using (buffer)
            {
                LastError.Check(rc, null);
                return buffer.ReadUtf8();
            }
        }

        public static PollerHandle NewPoller()
        {
            PollerHandle poller;
            var rc = NativeMethods.pode_ws_poller_new(out poller);
            if (rc != PodeWsResult.Ok)
            {
                poller.Dispose();
                LastError.Check(rc, null);
            }
            return poller;
        }

        /// <summary>
        /// A batch of events (valid until the poller's next poll, release or free). Returns Ok,
        /// Closed when the poller was closed, or another code (read LastError) without throwing:
        /// a dispatcher's loop decides what each means.
        /// </summary>
        public static PodeWsResult Poll(PollerHandle poller, uint timeoutMs, uint maxEvents, out NativeEvent* events, out int count)
        {
            NativeEvent* batch;
            UIntPtr len;
            var rc = NativeMethods.pode_ws_poll(poller, timeoutMs, maxEvents, &batch, &len);
            events = rc == PodeWsResult.Ok ? batch : null;
            count = rc == PodeWsResult.Ok ? (int)(ulong)len : 0;
            return rc;
        }

        /// <summary>A batch of one manualReceive connection's events (valid as for Poll); throws on failure.</summary>
        public static NativeEvent* PollConnection(PollerHandle poller, string name, int timeoutMs, int maxEvents, out int count)
        {
            byte[] n = Utf8.Encode(name);
            NativeEvent* batch;
            UIntPtr len;
            fixed (byte* pn = n)
            {
                LastError.Check(NativeMethods.pode_ws_poll_connection(poller, pn, (UIntPtr)n.Length, (uint)Math.Max(0, timeoutMs), (uint)Math.Max(1, maxEvents), &batch, &len), name);
            }
            count = (int)(ulong)len;
            return batch;
        }

        /// <summary>Frees the current batch now (large payloads) instead of at the next poll.</summary>
        public static void Release(PollerHandle poller) { NativeMethods.pode_ws_poller_release(poller); }

        /// <summary>Closes a poller: a poll in progress returns Closed, later polls too. Never throws,
        /// also when the poller is already freed.</summary>
        public static void Close(PollerHandle poller)
        {
            try { NativeMethods.pode_ws_poller_close(poller); }
            catch (ObjectDisposedException) { }
        }

        /// <summary>Closes every connection (1001) and every poller.</summary>
        public static void Shutdown() { NativeMethods.pode_ws_shutdown(); }

        /// <summary>Large binary messages are read into managed arrays from now on (once the library is loaded).</summary>
        public static void StartManagedPayloads() { ManagedPayloads.Register(); }

        /// <summary>No more large messages into managed arrays (process exit).</summary>
        public static void StopManagedPayloads() { ManagedPayloads.Unregister(); }
    }
}
