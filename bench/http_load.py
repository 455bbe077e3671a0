"""A small closed-loop HTTP load generator for benchmarks against 127.0.0.1 only.

Each of ``concurrency`` threads keeps one keep-alive connection and sends requests back to back
for ``seconds``; the run is bounded in time and stops by itself. Reports requests/s, latency
percentiles and non-2xx responses.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ALLOWED_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class LoadResult:
    label: str
    requests: int
    seconds: float
    errors: int
    latencies_ms: list[float] = field(repr=False)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def line(self) -> str:
        median = statistics.median(self.latencies_ms) if self.latencies_ms else 0.0
        return (
            f"{self.label:<34} {self.rps:8.1f} req/s  p50 {median:6.1f} ms  p95 {self.percentile(95):6.1f} ms"
            f"  p99 {self.percentile(99):6.1f} ms  n={self.requests} errors={self.errors}"
        )


def run(
    label: str,
    urls: list[str],
    *,
    seconds: float = 10.0,
    concurrency: int = 8,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    parts = urlsplit(urls[0])
    if parts.hostname not in ALLOWED_HOSTS:
        raise ValueError("benchmarks only target loopback addresses")
    paths = [urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in urls]
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    counters = {"requests": 0, "errors": 0}

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        local_lat: list[float] = []
        done = errors = 0
        index = offset
        while time.monotonic() < deadline:
            path = paths[index % len(paths)]
            index += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                response.read()
                if response.status >= 300:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            local_lat.append((time.perf_counter() - started) * 1000)
            done += 1
        conn.close()
        with lock:
            latencies.extend(local_lat)
            counters["requests"] += done
            counters["errors"] += errors

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - started
    return LoadResult(label, counters["requests"], elapsed, counters["errors"], latencies)
