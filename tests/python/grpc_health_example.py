"""The example service's gRPC health, called by grpcio-health-checking (PyPI).

Usage: python grpc_health_example.py <example service binary> [<its log file>]

Twice: with the example's checks run on request (its default), then in the
background every 200 ms. Each time it starts a Redis of its own and the
example pointed at it, then asserts: Check of "", readiness, liveness, a
component and an unknown name; a Watch that sees the cache turn NOT_SERVING
when that Redis is killed, with no other traffic (on request, within the
monitor's 5 s refresh of watched names and the check's timeout); a Watch of
an unknown name yielding SERVICE_UNKNOWN; and, after SIGTERM, a Watch of
readiness seeing NOT_SERVING before the process exits, while liveness and
the components keep being measured.
"""

import queue
import signal
import subprocess
import sys
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from support import example_environment, free_port, start_redis, wait_for_port

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


class Watch:
    """A Watch call read by a thread, so that the test can wait with a timeout."""

    def __init__(self, stub, service):
        self.messages = queue.Queue()
        self.call = stub.Watch(health_pb2.HealthCheckRequest(service=service))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for response in self.call:
                self.messages.put(response.status)
            self.messages.put("ended")
        except grpc.RpcError as error:
            self.messages.put(error.code())

    def next(self, seconds=20):
        return self.messages.get(timeout=seconds)


def check(stub, service):
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status


# On request, the example's monitor refreshes watched names every 5 s; the
# cache check times out after 500 ms. What a Watch may take to see the cache
# fail, with slack for a loaded machine.
WATCH_REFRESH_S = 5.0
CACHE_TIMEOUT_S = 0.5
SLACK_S = 2.5


def scenario(binary, log_path, refresh_ms):
    mode = "on request" if refresh_ms is None else f"in the background every {refresh_ms} ms"
    print(f"--- checks run {mode}")
    redis, redis_port = start_redis()
    http_port, grpc_port = free_port(), free_port()
    service = None
    try:
        environment = example_environment(http_port, grpc_port, redis_port, drain_ms=2000, refresh_ms=refresh_ms)
        log = open(log_path, "a") if log_path else None
        service = subprocess.Popen([binary], env=environment, stdout=log, stderr=log)
        wait_for_port(grpc_port, 30)
        channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        grpc.channel_ready_future(channel).result(timeout=10)
        stub = health_pb2_grpc.HealthStub(channel)

        for name in ["", "readiness", "liveness", "cache", "storage"]:
            assert check(stub, name) == SERVING, name
        try:
            check(stub, "orders.v1.Orders")
            raise AssertionError("an unknown name must fail")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND, error
        print("Check: '', readiness, liveness, cache, storage SERVING; unknown NOT_FOUND")

        unknown = Watch(stub, "orders.v1.Orders")
        assert unknown.next() == SERVICE_UNKNOWN
        print("Watch of an unknown name: SERVICE_UNKNOWN")

        cache = Watch(stub, "cache")
        assert cache.next() == SERVING
        redis.kill()
        redis.wait()
        killed = time.monotonic()
        # Nothing else is asked meanwhile: the monitor's own refresh runs the check.
        bound = WATCH_REFRESH_S + CACHE_TIMEOUT_S + SLACK_S
        assert cache.next(bound) == NOT_SERVING
        seen_after = time.monotonic() - killed
        assert check(stub, "cache") == NOT_SERVING
        # The cache is not critical: readiness is degraded, which still serves.
        assert check(stub, "readiness") == SERVING
        print(f"Watch of the cache: SERVING, then NOT_SERVING {seen_after:.2f} s after its Redis was killed")

        readiness = Watch(stub, "readiness")
        assert readiness.next() == SERVING
        service.send_signal(signal.SIGTERM)
        assert readiness.next(10) == NOT_SERVING
        assert service.poll() is None, "NOT_SERVING must be seen before the process exits"
        assert check(stub, "") == NOT_SERVING
        # Liveness and the components keep being measured while draining.
        assert check(stub, "liveness") == SERVING
        assert check(stub, "storage") == SERVING
        assert check(stub, "cache") == NOT_SERVING
        print("after SIGTERM: readiness and '' NOT_SERVING while the process drains; liveness, components measured")
        assert readiness.next(15) == "ended"
        assert service.wait(timeout=20) == 0
        print("the watch ended and the process exited cleanly")
    finally:
        for process in [service, redis]:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def main(binary, log_path=None):
    if log_path:
        open(log_path, "w").close()
    scenario(binary, log_path, refresh_ms=None)
    scenario(binary, log_path, refresh_ms=200)


if __name__ == "__main__":
    # A timeout's SIGTERM still stops the servers this test started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main(*sys.argv[1:3])
