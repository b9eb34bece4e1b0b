"""What the example service's client tests share: free ports, and waiting for them."""

import socket
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


def start_redis():
    """A Redis of the test's own, on a free port, without persistence: (process, port)."""
    import shutil
    import subprocess

    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is needed: the test starts and kills it"
    port = free_port()
    process = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port, 10)
    return process, port


def example_environment(http_port, grpc_port, redis_port, drain_ms, refresh_ms=200):
    """The example service's environment: its ports, that Redis, checks every
    `refresh_ms` in the background, or on request when it is None."""
    import os
    import tempfile

    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PORT": str(http_port),
        "GRPC_PORT": str(grpc_port),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}",
        "DRAIN_MS": str(drain_ms),
        # The storage check measures this disk's real free space; a build
        # machine's disk may be nearly full, memory (/dev/shm) is not.
        "DATA_DIR": tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None),
        "NO_COLOR": "1",
    }
    if refresh_ms is not None:
        environment["REFRESH_MS"] = str(refresh_ms)
    return environment
