"""Two instances of the example service behind a real HAProxy, probed by a
real blackbox_exporter (both from Debian), with wrk as the clients.

- HAProxy checks `GET /health/ready` (`option httpchk`) and balances wrk's
  `/health/live` traffic over both instances.
- One instance's database dies (the relay the test runs in front of
  PostgreSQL stops): HAProxy takes the instance out, blackbox's `http` and
  `grpc` probers see it fail (`probe_success 0`), having seen it succeed.
- A rolling restart: SIGTERM to each instance in turn, each restarted. HAProxy
  sees each leave within 1.5 s of its SIGTERM, while it still answers.
- wrk sees no non-2xx answer and no socket error over the whole run.

Usage: load_balancer_example.py SERVICE HAPROXY BLACKBOX_EXPORTER WRK LOG_DIR
Needs DATABASE_URL (a PostgreSQL the instances reach through relays).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from support import free_port, wait_for_port

SECONDS_OF_TRAFFIC = 40
LEAVE_WITHIN = 1.5
DRAIN_MS = 3000


class Relay:
    """A TCP relay to `upstream` on a port of its own; `stop` closes it and
    every connection through it, as a database that dies would."""

    def __init__(self, port, upstream):
        self.port, self.upstream = port, upstream
        self.listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.sockets, self.lock, self.stopped = [], threading.Lock(), False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=2)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        self.stopped = True
        # Shut down first: closing alone leaves a blocked accept listening.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for end in self.sockets:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                    end.close()
                except OSError:
                    pass


class Instance:
    """One example service: its ports, its relay to PostgreSQL, its process."""

    def __init__(self, name, binary, database, log_dir):
        self.name, self.binary, self.log_dir = name, binary, log_dir
        self.http, self.grpc, self.relay_port = free_port(), free_port(), free_port()
        self.relay = Relay(self.relay_port, (database.hostname or "127.0.0.1", database.port or 5432))
        netloc = database.netloc.rsplit("@", 1)
        credentials = f"{netloc[0]}@" if len(netloc) == 2 else ""
        self.database_url = database._replace(netloc=f"{credentials}127.0.0.1:{self.relay_port}").geturl()
        self.data_dir = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        self.process = None
        self.start()

    def start(self):
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "PORT": str(self.http),
            "GRPC_PORT": str(self.grpc),
            "DATABASE_URL": self.database_url,
            "DRAIN_MS": str(DRAIN_MS),
            "DATA_DIR": self.data_dir,
            "NO_COLOR": "1",
        }
        log = open(os.path.join(self.log_dir, f"service-{self.name}.log"), "a")
        self.process = subprocess.Popen([self.binary], env=environment, stdout=log, stderr=log)
        wait_for_port(self.http, 60)

    def answers(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/health/live", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False


def haproxy_config(front, stats_socket, instances):
    servers = "\n".join(
        f"  server {i.name} 127.0.0.1:{i.http} check" for i in instances
    )
    return f"""global
  stats socket {stats_socket} mode 600 level admin
  maxconn 4096

defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  # No retry-on and no redispatch: the drain alone must cost wrk nothing.

frontend service
  bind 127.0.0.1:{front}
  default_backend instances

backend instances
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  default-server inter 250ms fall 2 rise 2
{servers}
"""


def blackbox_config():
    return """modules:
  http_ready:
    prober: http
    timeout: 2s
    http:
      valid_status_codes: [200]
      preferred_ip_protocol: ip4
  grpc_readiness:
    prober: grpc
    timeout: 2s
    grpc:
      service: readiness
      tls: false
      preferred_ip_protocol: ip4
"""


def server_states(stats_socket):
    """HAProxy's status of each server of the backend, by name."""
    with socket.socket(socket.AF_UNIX) as admin:
        admin.connect(stats_socket)
        admin.sendall(b"show stat\n")
        data = b""
        while chunk := admin.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    status = header.index("status")
    return {
        fields[1]: fields[status]
        for fields in (line.split(",") for line in lines[1:] if line)
        if fields[0] == "instances" and fields[1] not in ("BACKEND", "FRONTEND")
    }


def wait_state(stats_socket, name, prefix, seconds):
    """Seconds until HAProxy's status of `name` starts with `prefix`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if server_states(stats_socket).get(name, "").startswith(prefix):
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"HAProxy never saw {name} {prefix} within {seconds} s: {server_states(stats_socket)}")


def probe(blackbox, module, target):
    """blackbox_exporter's `probe_success` for `target`."""
    query = urllib.parse.urlencode({"module": module, "target": target})
    with urllib.request.urlopen(f"http://127.0.0.1:{blackbox}/probe?{query}", timeout=10) as response:
        body = response.read().decode()
    found = re.search(r"^probe_success (\d)", body, re.MULTILINE)
    assert found, body
    return int(found.group(1))


def main():
    service, haproxy, blackbox_exporter, wrk, log_dir = sys.argv[1:6]
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("SKIPPED: DATABASE_URL is not set; the load-balancer test needs PostgreSQL")
        return
    os.makedirs(log_dir, exist_ok=True)
    database = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((database.hostname or "127.0.0.1", database.port or 5432), timeout=2).close()
    except OSError as error:
        print(f"SKIPPED: PostgreSQL at {database.hostname}:{database.port} does not answer ({error})")
        return
    instances = [Instance(name, service, database, log_dir) for name in ("a", "b")]
    processes = []
    try:
        front, blackbox = free_port(), free_port()
        work = tempfile.mkdtemp()
        stats_socket = os.path.join(work, "admin.sock")
        haproxy_cfg = os.path.join(work, "haproxy.cfg")
        with open(haproxy_cfg, "w") as config:
            config.write(haproxy_config(front, stats_socket, instances))
        with open(os.path.join(work, "blackbox.yml"), "w") as config:
            config.write(blackbox_config())
        haproxy_log = open(os.path.join(log_dir, "haproxy.log"), "w")
        processes.append(subprocess.Popen([haproxy, "-db", "-f", haproxy_cfg], stdout=haproxy_log, stderr=haproxy_log))
        processes.append(subprocess.Popen(
            [blackbox_exporter, f"--config.file={os.path.join(work, 'blackbox.yml')}",
             f"--web.listen-address=127.0.0.1:{blackbox}"],
            stdout=haproxy_log, stderr=haproxy_log))
        wait_for_port(front, 10)
        wait_for_port(blackbox, 10)
        for instance in instances:
            wait_state(stats_socket, instance.name, "UP", 20)
        print(f"HAProxy on {front}: both instances UP")

        a = instances[0]
        # blackbox sees the healthy instance succeed, over HTTP and gRPC.
        assert probe(blackbox, "http_ready", f"http://127.0.0.1:{a.http}/health/ready") == 1
        assert probe(blackbox, "grpc_readiness", f"127.0.0.1:{a.grpc}") == 1
        print("blackbox: http and grpc probe_success 1 for a healthy instance")

        clients = subprocess.Popen(
            [wrk, "-t1", "-c16", f"-d{SECONDS_OF_TRAFFIC}s", f"http://127.0.0.1:{front}/health/live"],
            stdout=subprocess.PIPE, text=True)
        time.sleep(2)

        # A critical dependency of one instance dies.
        a.relay.stop()
        took = wait_state(stats_socket, "a", "DOWN", 10)
        print(f"a's database died: HAProxy took a out after {took:.2f} s")
        assert probe(blackbox, "http_ready", f"http://127.0.0.1:{a.http}/health/ready") == 0
        assert probe(blackbox, "grpc_readiness", f"127.0.0.1:{a.grpc}") == 0
        print("blackbox: http and grpc probe_success 0 once the database died")
        a.relay = Relay(a.relay_port, a.relay.upstream)
        took = wait_state(stats_socket, "a", "UP", 15)
        print(f"a's database is back: HAProxy took a in after {took:.2f} s")

        # A rolling restart: each instance in turn.
        for instance in instances:
            instance.process.send_signal(signal.SIGTERM)
            left = wait_state(stats_socket, instance.name, "DOWN", 5)
            still = instance.process.poll() is None and instance.answers()
            assert left <= LEAVE_WITHIN, f"HAProxy saw {instance.name} leave {left:.2f} s after SIGTERM"
            assert still, f"{instance.name} stopped answering before HAProxy saw it leave"
            assert instance.process.wait(timeout=20) == 0
            instance.start()
            back = wait_state(stats_socket, instance.name, "UP", 15)
            print(f"rolling restart: HAProxy saw {instance.name} leave {left:.2f} s after SIGTERM, "
                  f"while it still answered; back {back:.2f} s after its restart")

        output, _ = clients.communicate(timeout=SECONDS_OF_TRAFFIC + 30)
        print(output.strip().splitlines()[-2:])
        requests = re.search(r"(\d+) requests in", output)
        assert requests and int(requests.group(1)) > 1000, output
        assert "Non-2xx" not in output, output
        assert "Socket errors" not in output, output
        print(f"wrk: {requests.group(1)} requests through HAProxy, 0 non-2xx, 0 socket errors")
    finally:
        for instance in instances:
            instance.relay.stop()
            if instance.process and instance.process.poll() is None:
                instance.process.kill()
                instance.process.wait()
        for process in processes:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
