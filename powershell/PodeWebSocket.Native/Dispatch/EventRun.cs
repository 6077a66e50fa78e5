// A run of events handed to a handler pipeline in one Process() call: the consecutive messages of
// one connection in a poll batch (each $WsEvent built from native memory only when the handler's
// foreach reaches it), or a single lifecycle event. It remembers how far the handler got, so a
// handler that stops early (break, return, an error) is resumed at the next message.
using System;
using System.Collections;

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

        /// <summary>Messages events[from..to) of one connection (valid until the next poll).</summary>
        internal void SetNative(WsConnection connection, object lockable, NativeEvent* events, int from, int to)
        {
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

        /// <summary>Drops what is left (the handler cannot run).</summary>
        internal void Clear()
        {
            next = end;
            current = null;
            events = null;
            single = null;
        }

        public IEnumerator GetEnumerator() { return this; }

        public object Current { get { return current; } }

        public bool MoveNext()
        {
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
                current = EventFactory.Message(connection, lockable, ref events[next++]);
            }
            HandlerContext.SetCurrent(connection.Name);
            return true;
        }

        /// <summary>Does nothing: a run is walked once, and resumed where it stopped.</summary>
        public void Reset() { }
    }
}
