"""The floor for ``bench/live_broadcast.py``: a plain ``websockets`` server in one process. Every
text a connection sends is broadcast, the same bytes, to every open connection
(``websockets.broadcast``: encoded once, written to each socket at once, no queue, no task).
A new connection gets one small frame first, so that the benchmark can time a join.

    .venv/bin/python bench/raw_broadcast_server.py --port 8765

Nothing is stored, nobody is signed in; compression is negotiated as the client asks (the
websockets default, whose window and memory settings uvicorn uses too)."""

import argparse
import asyncio
import contextlib
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve

WELCOME = '{"type":"welcome"}'


async def main(host: str, port: int) -> None:
    connections: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        connections.add(connection)
        try:
            await connection.send(WELCOME)
            async for message in connection:
                broadcast(connections, message)
        finally:
            connections.discard(connection)

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler,
        host,
        port,
        compression="deflate",  # window 12 bits, memLevel 5: uvicorn's settings too
        max_size=64 * 1024,
        ping_interval=20,
        backlog=2048,
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop  # the event loop uvicorn runs on, for a like-for-like floor
    except ImportError:
        asyncio.run(main(args.host, args.port))
    else:
        with contextlib.suppress(KeyboardInterrupt):
            uvloop.run(main(args.host, args.port))
