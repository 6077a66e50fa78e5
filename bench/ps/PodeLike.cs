// Peer P: a .NET ClientWebSocket client shaped like Pode's own (Badgerati/Pode,
// src/Listener/PodeReceiver.cs, PodeWebSocket.cs, PodeWebSocketRequest.cs, PodeItemQueue.cs).
// Written for the benchmark, not copied: it keeps the costs Pode pays per message and per
// connection so the comparison is with what a Pode user runs today:
//   - one receive loop per connection (started LongRunning after ConnectAsync), reading into a
//     1 KiB client buffer, copying each chunk (ToArray) into a MemoryStream, and queueing one
//     request object per message (RawBody = stream.ToArray());
//   - a shared BlockingCollection queue with a "processing" list under a lock;
//   - the PowerShell side takes one request per Task.Factory.StartNew(Take) (GetRequestAsync);
//   - Body decodes RawBody as UTF-8 on every read;
//   - Send encodes the string and awaits one SendAsync per message;
//   - disconnect = CloseOutputAsync(Empty) then CloseAsync(NormalClosure), then Dispose.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace PodeLike
{
    public class RequestQueue
    {
        private readonly BlockingCollection<Request> _items = new BlockingCollection<Request>();
        private readonly List<Request> _processing = new List<Request>();

        public int Count { get { return _items.Count; } }

        public Request Get(CancellationToken token)
        {
            var item = _items.Take(token);
            lock (_processing) { _processing.Add(item); }
            return item;
        }

        public Task<Request> GetAsync(CancellationToken token)
        {
            return Task.Factory.StartNew(() => Get(token), token);
        }

        public void Add(Request item)
        {
            lock (_items) { _items.Add(item); }
        }

        public void RemoveProcessing(Request item)
        {
            lock (_processing) { _processing.Remove(item); }
        }
    }

    public class Receiver : IDisposable
    {
        private readonly Dictionary<string, Socket> _sockets = new Dictionary<string, Socket>();
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();

        public RequestQueue Requests { get; private set; }
        public CancellationToken CancellationToken { get { return _cts.Token; } }

        public Receiver() { Requests = new RequestQueue(); }

        public async Task ConnectWebSocket(string name, string url, string contentType)
        {
            Socket socket;
            lock (_sockets)
            {
                if (_sockets.ContainsKey(name))
                    throw new Exception("WebSocket connection with name " + name + " already defined");
                socket = new Socket(name, url, contentType, this);
                _sockets.Add(name, socket);
            }
            await socket.Connect().ConfigureAwait(false);
        }

        public Socket GetWebSocket(string name)
        {
            Socket socket;
            return _sockets.TryGetValue(name, out socket) ? socket : null;
        }

        public void DisconnectWebSocket(string name)
        {
            lock (_sockets)
            {
                Socket socket;
                if (_sockets.TryGetValue(name, out socket)) socket.Dispose();
            }
        }

        public void RemoveWebSocket(string name)
        {
            lock (_sockets)
            {
                Socket socket;
                if (!_sockets.TryGetValue(name, out socket)) return;
                socket.Dispose();
                _sockets.Remove(name);
            }
        }

        public void AddWebSocketRequest(Request request) { Requests.Add(request); }

        public Task<Request> GetWebSocketRequestAsync(CancellationToken token)
        {
            return Requests.GetAsync(token);
        }

        public void Dispose()
        {
            _cts.Cancel();
            lock (_sockets)
            {
                foreach (var socket in _sockets.Values) socket.Dispose();
                _sockets.Clear();
            }
        }
    }

    public class Socket : IDisposable
    {
        private ClientWebSocket _ws;

        public Receiver Receiver { get; private set; }
        public string Name { get; private set; }
        public Uri URL { get; private set; }
        public string ContentType { get; private set; }
        public bool IsConnected { get { return _ws != null && _ws.State == WebSocketState.Open; } }

        public Socket(string name, string url, string contentType, Receiver receiver)
        {
            Name = name;
            URL = new Uri(url);
            Receiver = receiver;
            ContentType = string.IsNullOrWhiteSpace(contentType) ? "application/json" : contentType;
        }

        public async Task Connect()
        {
            if (IsConnected) return;
            _ws = new ClientWebSocket();
            _ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(60);
            await _ws.ConnectAsync(URL, Receiver.CancellationToken).ConfigureAwait(false);
            await Task.Factory.StartNew(Receive, Receiver.CancellationToken,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }

        public async Task Receive()
        {
            var buffer = WebSocket.CreateClientBuffer(1024, 1024);
            var stream = new MemoryStream();
            try
            {
                while (!Receiver.CancellationToken.IsCancellationRequested && IsConnected)
                {
                    WebSocketReceiveResult result;
                    do
                    {
                        result = await _ws.ReceiveAsync(buffer, Receiver.CancellationToken).ConfigureAwait(false);
                        if (result.MessageType != WebSocketMessageType.Close)
                            stream.Write(buffer.ToArray(), 0, result.Count);
                    }
                    while (!result.EndOfMessage && IsConnected);

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await Disconnect(false).ConfigureAwait(false);
                        break;
                    }
                    stream.Position = 0;
                    if (stream.Length > 0)
                        Receiver.AddWebSocketRequest(new Request(this, stream));
                    stream.Dispose();
                    stream = new MemoryStream();
                }
            }
            catch (OperationCanceledException) { }
            catch (IOException) { }
            catch (WebSocketException) { }
            catch (ObjectDisposedException) { }
            finally { stream.Dispose(); }
        }

        public async Task Send(string message, WebSocketMessageType type = WebSocketMessageType.Text)
        {
            if (!IsConnected) return;
            await _ws.SendAsync(new ArraySegment<byte>(Encoding.UTF8.GetBytes(message)), type, true,
                Receiver.CancellationToken).ConfigureAwait(false);
        }

        /// byClient: this side starts the close (Disconnect/Remove); else the server did.
        public async Task Disconnect(bool byClient)
        {
            var ws = _ws;
            if (ws == null) return;
            if (ws.State == WebSocketState.Open)
            {
                try
                {
                    if (byClient)
                        await ws.CloseOutputAsync(WebSocketCloseStatus.Empty, string.Empty, CancellationToken.None).ConfigureAwait(false);
                    await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None).ConfigureAwait(false);
                }
                catch (WebSocketException) { }
                catch (InvalidOperationException) { }
                // the receive loop may close the same socket at the same moment (a server's close
                // answered there): ClientWebSocket then fails inside, as Pode's own Disconnect
                // does (ps/Peer.Pode.ps1); the socket is closed either way
                catch (NullReferenceException) { }
            }
            ws.Dispose();
            _ws = null;
        }

        public void Dispose() { Disconnect(true).Wait(); }
    }

    public class Request : IDisposable
    {
        public Socket WebSocket { get; private set; }
        public byte[] RawBody { get; private set; }
        public int ContentLength { get { return RawBody == null ? 0 : RawBody.Length; } }

        private string _body = string.Empty;
        public string Body
        {
            get
            {
                if (RawBody != null && RawBody.Length > 0) _body = Encoding.UTF8.GetString(RawBody);
                return _body;
            }
        }

        public Request(Socket socket, MemoryStream bytes)
        {
            WebSocket = socket;
            RawBody = bytes.ToArray();
        }

        public void Dispose()
        {
            WebSocket.Receiver.Requests.RemoveProcessing(this);
            RawBody = null;
            _body = string.Empty;
        }
    }
}
