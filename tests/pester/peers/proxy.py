#!/usr/bin/env python3
"""A real proxy for the Pester network tests (standard library only).

Listens on 127.0.0.1, port 0 (the OS picks), and prints "PORT <n>" on stdout once ready; exits
when its stdin closes.
  --kind connect       an HTTP proxy that tunnels with CONNECT (answers 405 to anything else)
  --kind socks5        a SOCKS5 proxy (RFC 1928, no authentication; CONNECT only)
  --log FILE           appends one JSON line per tunnel: {"kind", "target": "host:port",
                       "auth": true when a Proxy-Authorization header came (its value is never logged)};
                       without it nothing is logged
"""
import argparse
import asyncio
import ipaddress
import json
import sys


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["connect", "socks5"], required=True)
    parser.add_argument("--log")
    return parser.parse_args()


ARGS = None


def log(kind, target, auth=False):
    if ARGS.log is None:
        return
    with open(ARGS.log, "a", encoding="utf-8") as f:
        f.write(json.dumps({"kind": kind, "target": target, "auth": auth}) + "\n")


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def refuse(writer, answer):
    writer.write(answer)
    await writer.drain()
    writer.close()


async def tunnel(reader, writer, host, port, refusal, established):
    """Opens host:port and pipes both ways; answers `refusal` when it cannot be reached."""
    try:
        server_reader, server_writer = await asyncio.open_connection(host, port)
    except OSError:
        await refuse(writer, refusal)
        return
    writer.write(established)
    await writer.drain()
    await asyncio.gather(pipe(reader, server_writer), pipe(server_reader, writer))


async def handle_connect(reader, writer):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    auth = any(line.lower().startswith("proxy-authorization:") for line in lines[1:])
    if method != "CONNECT":
        await refuse(writer, b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        return
    host, _, port = target.rpartition(":")
    log("connect", target, auth)
    await tunnel(reader, writer, host.strip("[]"), int(port),
                 b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
                 b"HTTP/1.1 200 Connection established\r\n\r\n")


async def handle_socks5(reader, writer):
    version, count = await reader.readexactly(2)
    methods = await reader.readexactly(count)
    if version != 5 or 0 not in methods:
        await refuse(writer, b"\x05\xff")
        return
    writer.write(b"\x05\x00")
    _, command, _, kind = await reader.readexactly(4)
    if kind == 1:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif kind == 4:
        host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
    else:
        length = (await reader.readexactly(1))[0]
        host = (await reader.readexactly(length)).decode("ascii")
    port = int.from_bytes(await reader.readexactly(2), "big")
    if command != 1:
        await refuse(writer, b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
        return
    log("socks5", f"{host}:{port}")
    await tunnel(reader, writer, host, port,
                 b"\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00",
                 b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")


async def handle(reader, writer):
    try:
        if ARGS.kind == "connect":
            await handle_connect(reader, writer)
        else:
            await handle_socks5(reader, writer)
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        writer.close()


async def main():
    global ARGS
    ARGS = parse_args()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
