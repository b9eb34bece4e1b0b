"""Slow-loris clients for bench/slowloris.sh: COUNT connections to HOST:PORT,
each sending half a request head and then nothing; a connection the server
closes is opened again at once, so COUNT stay open or opening throughout.

Usage: slowloris.py HOST PORT COUNT SECONDS. Prints, once a second,
`open=<n> reopened=<n>`, and at the end the totals.
"""

import asyncio
import sys

HEAD = b"GET /health/live HTTP/1.1\r\nHost: bench\r\nX-Slow: "


async def loris(host, port, state, stop):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            state["failed"] += 1
            await asyncio.sleep(0.05)
            continue
        state["open"] += 1
        try:
            writer.write(HEAD)
            await writer.drain()
            # Nothing more: wait for the server to close it, or for the end.
            closed = asyncio.ensure_future(reader.read(1))
            waiting = asyncio.ensure_future(stop.wait())
            await asyncio.wait({closed, waiting}, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            waiting.cancel()
        except OSError:
            pass
        finally:
            state["open"] -= 1
            writer.close()
        if not stop.is_set():
            state["reopened"] += 1


async def main(host, port, count, seconds):
    state = {"open": 0, "reopened": 0, "failed": 0}
    stop = asyncio.Event()
    tasks = []
    for _ in range(count):
        tasks.append(asyncio.ensure_future(loris(host, port, state, stop)))
        if len(tasks) % 500 == 0:
            await asyncio.sleep(0.05)
    for _ in range(int(seconds)):
        await asyncio.sleep(1)
        print(f"open={state['open']} reopened={state['reopened']} failed={state['failed']}", flush=True)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(f"total reopened={state['reopened']} failed={state['failed']}", flush=True)


if __name__ == "__main__":
    host, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    asyncio.run(main(host, port, count, seconds))
