"""A WebSocket echo server on 127.0.0.1, port chosen by the OS, for the C smoke test.

Prints the port on the first line of stdout, then echoes every text and binary message
until killed.
"""

import asyncio

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main():
    async with serve(echo, "127.0.0.1", 0) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()


asyncio.run(main())
