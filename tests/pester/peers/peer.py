#!/usr/bin/env python3
"""WebSocket peer for the Pester integration tests (python `websockets`).

Listens on 127.0.0.1, port 0 (the OS picks), and prints "PORT <n>" on stdout once ready.
  --tls CERT KEY       serve wss:// with this certificate
  --client-ca PEM      with --tls: require a client certificate issued by (or equal to) PEM
  --subprotocol NAME   accept this subprotocol (repeatable; the first one the client offers wins)
  --greet TEXT         send TEXT to every client right after its connection opens
  --root relay|echo    what the path "/" does (default echo)

Paths:
  /echo                echo every message (text as text, binary as binary)
  /relay/<room>        no echo: a message is forwarded to the other clients of the same room
  /reject/<status>     answer the opening handshake with this HTTP status (e.g. 401)
  /auth                require "Authorization: Basic dXNlcjpwYXNz" (user:pass), else 401
Query ?greet=<text> on any accepted path: send <text> right after the connection opens.

Commands (text messages starting with "!"), on /echo and /relay:
  !send N              send the texts "1" .. "N" in order
  !text <text>         send <text> (no echo of the command itself)
  !binary <hex>        send these bytes as a binary message
  !large N SIZE        send N binary messages of SIZE bytes: message i (1 .. N) starts with i as
                       a big-endian 64-bit number, the rest is zeros
  !close CODE REASON   close with this code and reason
  !drop                drop the TCP connection without a close handshake
  !freeze              stop reading the socket (a peer that never answers a close frame), then
                       send "frozen"
  !headers             send the request headers as a JSON object (names lower-case)
  !subprotocol         send the negotiated subprotocol ("" when none)
  !path                send the request path with its query
"""
import argparse
import asyncio
import json
import ssl
import sys
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve

ROOMS = {}


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--client-ca")
    parser.add_argument("--subprotocol", action="append", default=[])
    parser.add_argument("--greet")
    parser.add_argument("--root", choices=["echo", "relay"], default="echo")
    return parser.parse_args()


ARGS = None


async def process_request(connection, request):
    path = urlsplit(request.path).path
    if path.startswith("/reject/"):
        status = HTTPStatus(int(path.split("/")[2]))
        return connection.respond(status, f"rejected with {status.value}\n")
    if path == "/auth" and request.headers.get("Authorization") != "Basic dXNlcjpwYXNz":
        return connection.respond(HTTPStatus.UNAUTHORIZED, "bad credentials\n")
    return None


def select_subprotocol(accepted):
    def select(connection, offered):
        # the first protocol the client offers that we accept; none → no subprotocol (no failure)
        return next((p for p in offered if p in accepted), None)

    return select


async def command(ws, text):
    verb, _, rest = text[1:].partition(" ")
    if verb == "send":
        for i in range(1, int(rest) + 1):
            await ws.send(str(i))
    elif verb == "text":
        await ws.send(rest)
    elif verb == "binary":
        await ws.send(bytes.fromhex(rest))
    elif verb == "large":
        count, _, size = rest.partition(" ")
        for i in range(1, int(count) + 1):
            await ws.send(i.to_bytes(8, "big") + bytes(int(size) - 8))
    elif verb == "close":
        code, _, reason = rest.partition(" ")
        await ws.close(int(code), reason)
    elif verb == "drop":
        ws.transport.abort()
    elif verb == "freeze":
        ws.transport.pause_reading()
        await ws.send("frozen")
    elif verb == "headers":
        await ws.send(json.dumps({k.lower(): v for k, v in ws.request.headers.raw_items()}))
    elif verb == "subprotocol":
        await ws.send(ws.subprotocol or "")
    elif verb == "path":
        await ws.send(ws.request.path)
    else:
        await ws.send(f"unknown command {verb}")


async def handler(ws):
    target = urlsplit(ws.request.path)
    query = parse_qs(target.query)
    room = None
    if target.path.startswith("/relay/") or (target.path in ("", "/") and ARGS.root == "relay"):
        room = ROOMS.setdefault(target.path or "/", set())
        room.add(ws)
    try:
        if ARGS.greet is not None:
            await ws.send(ARGS.greet)
        for greeting in query.get("greet", []):
            await ws.send(greeting)
        async for message in ws:
            if isinstance(message, str) and message.startswith("!"):
                await command(ws, message)
            elif room is not None:
                for other in list(room):
                    if other is not ws:
                        await other.send(message)
            else:
                await ws.send(message)
    except Exception:
        pass
    finally:
        if room is not None:
            room.discard(ws)


async def main():
    global ARGS
    args = ARGS = parse_args()
    context = None
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        if args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(args.client_ca)
    async with serve(
        handler,
        "127.0.0.1",
        0,
        ssl=context,
        process_request=process_request,
        select_subprotocol=select_subprotocol(args.subprotocol),
        max_size=None,
        ping_interval=None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        # stop when the test closes our stdin (or the process is killed)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
