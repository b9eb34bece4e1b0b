"""Clients that hang up mid-response, for bench/soak.sh: COUNT times, opens a
connection to HOST:PORT, asks for PATH and closes the connection at once
(with a reset), while the server is still running the report.

Usage: disconnect.py HOST PORT PATH COUNT. Prints how many it sent.
"""

import socket
import struct
import sys

host, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
request = f"GET {path} HTTP/1.1\r\nHost: soak\r\n\r\n".encode()
sent = 0
for _ in range(count):
    try:
        with socket.create_connection((host, port)) as connection:
            # Linger 0: close sends a reset, as a client that gives up does.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.sendall(request)
        sent += 1
    except OSError:
        pass
print(f"{sent} hung up mid-response")
