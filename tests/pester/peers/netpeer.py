#!/usr/bin/env python3
"""A WebSocket server for the Pester network tests (python `websockets`, compression on by
default as in its releases): redirects, refusals, status answers, a bad extension answer, and a
log of every opening handshake it saw.

Listens on 127.0.0.1, port 0 (the OS picks), and prints "PORT <n>" on stdout once ready; exits
when its stdin closes.
  --log FILE        appends one JSON line per opening handshake: {"path", "headers" (names
                    lower-case; test credentials only), "time" (Unix seconds)}
  --tls CERT KEY    serve wss:// with this certificate
  --drop N          hang up on the first N connections after reading their request (a server
                    that is not ready yet; the client sees a network error, a transient failure)
  --no-compression  do not accept permessage-deflate

Paths:
  /echo                      echo every message; "!extensions" answers the negotiated extensions
                             (a JSON array of names), "!drop" drops the TCP connection
  /redirect?to=URL[&status=302]   answer with that redirect status and Location: URL
  /loop/a, /loop/b           redirect to each other
  /status/CODE[?retryAfter=S]     answer with that HTTP status (and Retry-After: S)
  /bad-extension             accept the upgrade naming an extension nobody offered
  /slow?ms=N                 answer the opening handshake after N ms, then echo (a connect in progress)
Any other path echoes too (a URL provider's fresh paths).
"""
import argparse
import asyncio
import base64
import hashlib
import json
import ssl
import sys
import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
ARGS = None
SEEN = {"connections": 0}


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--drop", type=int, default=0)
    parser.add_argument("--no-compression", action="store_true")
    return parser.parse_args()


def log(request):
    entry = {"path": request.path, "headers": {k.lower(): v for k, v in request.headers.raw_items()},
             "time": time.time()}
    with open(ARGS.log, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def respond(status, headers=()):
    h = Headers()
    for name, value in headers:
        h[name] = value
    body = f"{status} {HTTPStatus(status).phrase}\n".encode()
    h["Content-Length"] = str(len(body))
    h["Connection"] = "close"
    return Response(status, HTTPStatus(status).phrase, h, body)


async def process_request(connection, request):
    SEEN["connections"] += 1
    log(request)
    if SEEN["connections"] <= ARGS.drop:
        connection.transport.abort()
        return respond(503)
    target = urlsplit(request.path)
    query = parse_qs(target.query)
    if target.path == "/redirect":
        status = int(query.get("status", ["302"])[0])
        return respond(status, [("Location", query["to"][0])])
    if target.path in ("/loop/a", "/loop/b"):
        return respond(302, [("Location", "/loop/b" if target.path == "/loop/a" else "/loop/a")])
    if target.path.startswith("/status/"):
        status = int(target.path.split("/")[2])
        extra = [("Retry-After", query["retryAfter"][0])] if "retryAfter" in query else []
        return respond(status, extra)
    if target.path == "/slow":
        await asyncio.sleep(int(query["ms"][0]) / 1000)
        return None
    if target.path == "/bad-extension":
        key = request.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        h = Headers()
        h["Upgrade"] = "websocket"
        h["Connection"] = "Upgrade"
        h["Sec-WebSocket-Accept"] = accept
        h["Sec-WebSocket-Extensions"] = "x-nobody-offered-this"
        return Response(101, "Switching Protocols", h)
    return None


async def handler(ws):
    try:
        async for message in ws:
            if message == "!extensions":
                await ws.send(json.dumps([e.name for e in ws.protocol.extensions]))
            elif message == "!drop":
                ws.transport.abort()
            else:
                await ws.send(message)
    except Exception:
        pass


async def main():
    global ARGS
    ARGS = parse_args()
    context = None
    if ARGS.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ARGS.tls[0], ARGS.tls[1])
    options = {"compression": None} if ARGS.no_compression else {}
    async with serve(handler, "127.0.0.1", 0, ssl=context, process_request=process_request,
                     max_size=None, ping_interval=None, **options) as server:
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
