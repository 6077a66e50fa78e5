// The one place native events become $WsEvent: messages (for handlers and for
// Receive-PodeWebSocket alike) and the lifecycle events of -OnOpen, -OnClose and -OnError.
using System;
using System.Collections;

namespace PodeWebSocket
{
    internal static class EventFactory
    {
        /// <summary>
        /// A Text or Binary event as $WsEvent, made of one managed copy of the message (the batch
        /// is freed later): a binary message's bytes, a text message's text. A large binary
        /// message the library read into a managed array (ManagedPayloads) is that array.
        /// </summary>
        public static WsEvent Message(WsConnection connection, object lockable, ref NativeEvent ev)
        {
            WsRequest request;
            return Message(connection, lockable, ref ev, out request);
        }

        /// <summary>Message, also giving the event's Request as built (before a handler could replace it).</summary>
        public static WsEvent Message(WsConnection connection, object lockable, ref NativeEvent ev, out WsRequest request)
        {
            request = ev.Kind == EventKind.Binary
                ? new WsRequest(connection, ManagedPayloads.Claim(ref ev) ?? Utf8.Copy(ev.Data, ev.DataLen), true)
                : WsRequest.ForText(connection, Utf8.Decode(ev.Data, ev.DataLen), (int)(ulong)ev.DataLen);
            return WsEvent.ForMessage(request, connection.ContentType, lockable, ev.TimestampMs);
        }

        /// <summary>
        /// An Opened, Closed, Error or Reconnecting event as $WsEvent, Data holding its details:
        /// @{ Url; SubProtocol }, @{ Code; Reason; ClosedBy }, @{ Message; ErrorId } or @{ Attempt;
        /// Delay (seconds); Cause; ErrorId (null after a clean close by the server); Url }. Null for
        /// other kinds.
        /// </summary>
        public static WsEvent Lifecycle(WsConnection connection, object lockable, ref NativeEvent ev)
        {
            var data = ContentSupport.NewTable();
            switch (ev.Kind)
            {
                case EventKind.Opened:
                    data["Url"] = Utf8.Decode(ev.Data, ev.DataLen);
                    data["SubProtocol"] = Utf8.Decode(ev.Extra, ev.ExtraLen);
                    break;
                case EventKind.Closed:
                    data["Code"] = (int)ev.Code;
                    data["Reason"] = Utf8.Decode(ev.Data, ev.DataLen);
                    data["ClosedBy"] = CloserName(ev.ClosedBy);
                    break;
                case EventKind.Error:
                    var error = Errors.FromNative((PodeWsResult)ev.Code, Utf8.Decode(ev.Data, ev.DataLen), connection.Name);
                    data["Message"] = error.Message;
                    data["ErrorId"] = error.ErrorId;
                    break;
                case EventKind.Reconnecting:
                    string cause = Utf8.Decode(ev.Data, ev.DataLen);
                    data["Attempt"] = (int)ev.Attempt;
                    data["Delay"] = ev.DelayMs / 1000.0;
                    data["Cause"] = cause;
                    data["ErrorId"] = ev.Code == 0 ? null : Errors.FromNative((PodeWsResult)ev.Code, cause, connection.Name).ErrorId;
                    data["Url"] = Utf8.Decode(ev.Extra, ev.ExtraLen);
                    break;
                default:
                    return null;
            }
            var request = new WsRequest(connection, null, false);
            return WsEvent.ForLifecycle(request, data, lockable, Timestamp(ev.TimestampMs));
        }

        /// <summary>Local, Remote, Lost or None.</summary>
        public static string CloserName(Closer closer)
        {
            switch (closer)
            {
                case Closer.Local: return "Local";
                case Closer.Remote: return "Remote";
                case Closer.Lost: return "Lost";
                default: return "None";
            }
        }

        /// <summary>An event's time as UTC (now when the core gave none).</summary>
        public static DateTime Timestamp(long unixMs)
        {
            return unixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime : DateTime.UtcNow;
        }
    }
}
