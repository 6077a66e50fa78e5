// A run of events handed to a handler pipeline in one Process() call: the consecutive messages of
// one connection in a poll batch (each $WsEvent built from native memory only when the handler's
// foreach reaches it), or a single lifecycle event. It remembers how far the handler got, so a
// handler that stops early (break, return, an error) is resumed at the next message.
// With -ReuseRawBody, a large binary message's array is taken from its $WsEvent as soon as the
// handler has moved on (when it asks for the next event, or the run ends), and goes back for reuse
// (RecycledArrays.Return) once the dispatcher released the batch: until then the core still owns
// the buffer it read the message into, and nothing may write it.
using System;
using System.Collections;
using System.Collections.Generic;

namespace PodeWebSocket
{
    public sealed unsafe class EventRun : IEnumerable, IEnumerator
    {
        private NativeEvent* events;
        private int next;
        private int end;
        private WsConnection connection;
        private object lockable;
        private WsEvent single;
        private WsEvent current;
        private volatile bool abandoned;
        private bool reuseRawBody;
        // the Request of the message being handled, while its array is to be handed back
        private WsRequest lending;
        // arrays taken from handled messages, to go back once the batch is released
        private readonly List<byte[]> handedBack = new List<byte[]>();

        /// <summary>Messages events[from..to) of one connection (valid until the next poll);
        /// reuseRawBody: hand large binary arrays back once handled (-ReuseRawBody).</summary>
        internal void SetNative(WsConnection connection, object lockable, NativeEvent* events, int from, int to, bool reuseRawBody)
        {
            GiveBack();
            this.reuseRawBody = reuseRawBody;
            this.connection = connection;
            this.lockable = lockable;
            this.events = events;
            next = from;
            end = to;
            single = null;
            current = null;
        }

        /// <summary>One prepared event of a connection (lifecycle handlers).</summary>
        internal void SetSingle(WsConnection connection, WsEvent e)
        {
            GiveBack();
            reuseRawBody = false;
            this.connection = connection;
            events = null;
            single = e;
            next = 0;
            end = 1;
            current = null;
        }

        /// <summary>How many events were handed out so far.</summary>
        public int Position { get { return next; } }

        public bool Done { get { return next >= end || abandoned; } }

        /// <summary>Stops handing out events (the dispatcher is stopping): the handler's loop ends
        /// after the message it is handling. Any thread.</summary>
        internal void Abandon() { abandoned = true; }

        /// <summary>After the batch was released: hands the arrays of the handled messages back
        /// for reuse; returns the bytes the free list kept (they need no collection:
        /// LargeMessageGarbage does not count them).</summary>
        internal long ReturnHandedBack()
        {
            long kept = 0;
            foreach (var bytes in handedBack) if (RecycledArrays.Return(bytes)) kept += bytes.Length;
            handedBack.Clear();
            return kept;
        }

        /// <summary>Ends the run: drops what is left (the handler cannot run, or it is done) and
        /// hands back the array of the message handled last.</summary>
        internal void Clear()
        {
            GiveBack();
            next = end;
            current = null;
            events = null;
            single = null;
        }

        public IEnumerator GetEnumerator() { return this; }

        public object Current { get { return current; } }

        public bool MoveNext()
        {
            GiveBack();
            if (next >= end || abandoned)
            {
                current = null;
                HandlerContext.SetCurrent(null);
                return false;
            }
            if (single != null)
            {
                next++;
                current = single;
            }
            else
            {
                ref NativeEvent ev = ref events[next++];
                WsRequest request;
                current = EventFactory.Message(connection, lockable, ref ev, out request);
                if (reuseRawBody && ev.Kind == EventKind.Binary && (ulong)ev.DataLen >= (ulong)ManagedPayloads.MinimumBytes) lending = request;
            }
            HandlerContext.SetCurrent(connection.Name);
            return true;
        }

        /// <summary>Does nothing: a run is walked once, and resumed where it stopped.</summary>
        public void Reset() { }

        private void GiveBack()
        {
            var request = lending;
            if (request == null) return;
            lending = null;
            var bytes = request.TakeRawBody();
            if (bytes != null) handedBack.Add(bytes);
        }
    }
}
