#!/usr/bin/env python3
"""permessage-deflate peers for tests/compression_interop.rs: python `websockets` servers on
127.0.0.1, port 0, one per compression setting. Prints one JSON line {name: port, ...} once all
listen, and exits when its stdin closes (the test process ended).

Every server echoes each message with its type. A text message "fragments:N:TEXT" is answered
with TEXT sent as a fragmented message of N-byte frames (websockets compresses each frame of a
message with RSV1 on the first only).
"""

import asyncio
import json
import sys

from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

SETTINGS = {
    # websockets' own default: asks the client for client_max_window_bits=12 as well.
    "default": None,
    "no-context-takeover": dict(server_no_context_takeover=True, client_no_context_takeover=True),
    # Compression off on the server side: the client's offer is declined.
    "plain": False,
}
for bits in range(9, 16):
    SETTINGS[f"bits{bits}"] = dict(server_max_window_bits=bits, client_max_window_bits=bits)


async def echo(ws):
    async for message in ws:
        if isinstance(message, str) and message.startswith("fragments:"):
            _, size, text = message.split(":", 2)
            size = int(size)
            await ws.send([text[i : i + size] for i in range(0, len(text), size)])
        else:
            await ws.send(message)


async def main():
    ports = {}
    servers = []
    for name, setting in SETTINGS.items():
        if setting is None:
            kwargs = {}
        elif setting is False:
            kwargs = {"compression": None}
        else:
            kwargs = {"extensions": [ServerPerMessageDeflateFactory(**setting)], "compression": None}
        server = await serve(echo, "127.0.0.1", 0, max_size=64 << 20, ping_interval=None, **kwargs)
        servers.append(server)
        ports[name] = server.sockets[0].getsockname()[1]
    print(json.dumps(ports), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
