"""The example service's health metrics, checked by Prometheus' own tools.

Usage: python prometheus_example.py <example binary> <prometheus> <promtool> <log directory>

Starts a Redis of its own and the example pointed at it, then:
- `promtool check metrics` on the example's `/metrics`;
- a real Prometheus scraping it every second, queried through its HTTP API:
  `health_check_status{component="storage",status="UP"} == 1`;
- the Redis killed: the query shows the cache DOWN within two scrape
  intervals of the kill.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from support import example_environment, free_port, start_redis, wait_for_port

# Longer than what the cache check takes to see a dead Redis: its cached
# result (2 s), its timeout (500 ms) and the example's refresh (200 ms).
SCRAPE_SECONDS = 5


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def query(prometheus_port, promql):
    """The value of an instant query's single series, or None (also while Prometheus starts)."""
    url = f"http://127.0.0.1:{prometheus_port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        answer = json.loads(get(url))
    except (urllib.error.URLError, ConnectionError):
        return None
    assert answer["status"] == "success", answer
    results = answer["data"]["result"]
    return float(results[0]["value"][1]) if results else None


def wait_until(description, condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {description}")


def ready(prometheus_port):
    try:
        return get(f"http://127.0.0.1:{prometheus_port}/-/ready") is not None
    except (urllib.error.URLError, ConnectionError):
        return False


def exported(http_port, series):
    """Whether the example's /metrics has `series` (name and labels) at 1."""
    return any(line == f"{series} 1" for line in get(f"http://127.0.0.1:{http_port}/metrics").splitlines())


def main(binary, prometheus, promtool, log_directory):
    http_port, grpc_port, prometheus_port = free_port(), free_port(), free_port()
    processes = []
    logs = lambda name: open(os.path.join(log_directory, name), "w")
    try:
        redis, redis_port = start_redis()
        processes.append(redis)
        environment = example_environment(http_port, grpc_port, redis_port, drain_ms=100)
        service_log = logs("service-metrics.log")
        processes.append(subprocess.Popen([binary], env=environment, stdout=service_log, stderr=service_log))
        wait_for_port(http_port, 30)
        wait_until("the first refresh", lambda: exported(http_port, 'health_check_status{component="cache",status="UP"}'), 10)

        text = get(f"http://127.0.0.1:{http_port}/metrics")
        checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        print(checked.stdout + checked.stderr, end="")
        assert checked.returncode == 0, "promtool check metrics found problems"
        print(f"promtool check metrics: {len(text.splitlines())} lines, no problems")

        directory = tempfile.mkdtemp()
        config = os.path.join(directory, "prometheus.yml")
        with open(config, "w") as f:
            f.write(
                "global:\n"
                f"  scrape_interval: {SCRAPE_SECONDS}s\n"
                "scrape_configs:\n"
                "  - job_name: example\n"
                f"    static_configs: [{{ targets: ['127.0.0.1:{http_port}'] }}]\n"
            )
        prometheus_log = logs("prometheus.log")
        processes.append(
            subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={os.path.join(directory, 'data')}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                ],
                stdout=prometheus_log,
                stderr=prometheus_log,
            )
        )
        wait_for_port(prometheus_port, 30)
        wait_until("Prometheus ready", lambda: ready(prometheus_port), 60)
        storage_up = 'health_check_status{component="storage",status="UP"}'
        wait_until(f"{storage_up} == 1 in Prometheus", lambda: query(prometheus_port, storage_up) == 1.0, 30)
        cache_up = 'health_check_status{component="cache",status="UP"}'
        assert query(prometheus_port, cache_up) == 1.0
        print(f"Prometheus: {storage_up} == 1, and the cache UP")

        killed = time.monotonic()
        redis.kill()
        redis.wait()
        cache_down = 'health_check_status{component="cache",status="DOWN"}'
        seen_by_exporter = wait_until("the cache DOWN at /metrics", lambda: exported(http_port, cache_down), 20)
        seen_by_prometheus = wait_until(
            f"{cache_down} == 1 in Prometheus", lambda: query(prometheus_port, cache_down) == 1.0, 30
        )
        print(
            f"the cache was DOWN at /metrics {seen_by_exporter - killed:.2f} s after the kill, "
            f"in Prometheus {seen_by_prometheus - killed:.2f} s after (scrapes every {SCRAPE_SECONDS} s)"
        )
        assert seen_by_prometheus - killed <= 2 * SCRAPE_SECONDS, "more than two scrape intervals"
        assert query(prometheus_port, cache_up) == 0.0
        assert query(prometheus_port, 'health_check_runs_total{component="cache",result="down"}') >= 1
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.kill()
                process.wait()


if __name__ == "__main__":
    # A timeout's SIGTERM still stops the servers this test started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main(*sys.argv[1:5])
