"""Benchmark: ``POST /assets/`` latency at 20 concurrent clients, on PostgreSQL, behind
gunicorn (the example project, production settings: DEBUG off, no throttle).

Each request is a real generation request: validated against the model's capabilities,
budgets checked and reserved, the asset and its queued version written, the task handed
to django-q2's ORM broker on commit; nothing calls the provider (no worker runs). The
requests are spread over 20 client threads (http.client, one connection each, reopened
when the server closes it), after a warm-up round; the figures are the latency
percentiles and the throughput. Then the asset list (``GET /assets/?page_size=20``, full
and ``?fields=`` compact) is timed sequentially.

Needs a PostgreSQL server: ``--database-url`` (default
``$NANOBANANA_BENCH_DATABASE_URL`` or ``postgres://postgres@127.0.0.1:5432/bench_rest``;
the database is created if missing and its tables are reset). ``--write`` puts the
table into ``benchmarks/README.md`` between the ``rest`` markers. Target: p99 < 300 ms.

Run from the repository root::

    python benchmarks/rest.py --write
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from _support import EXAMPLE, MANAGE, example_env, free_port, migrate, wait_until, write_readme

TARGET_P99_MS = 300.0


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:  # a clean slate every run
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    ms = [v * 1000 for v in latencies]
    return {
        "requests": len(ms),
        "p50": percentile(ms, 0.50),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
        "max": max(ms),
        "rps": len(ms) / wall,
    }


def run(
    database_url: str, clients: int, requests: int, workers: int, rounds: int
) -> dict[str, Any]:
    load = os.getloadavg()  # what else the machine was doing before the benchmark began
    ensure_database(database_url)
    media = tempfile.mkdtemp(prefix="nanobanana-bench-rest-")
    env = example_env(
        media,
        DATABASE_URL=database_url,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        NANOBANANA_API_GENERATE_RATE="none",
    )
    migrate(env)
    token = (
        subprocess.run(
            [
                *MANAGE,
                "shell",
                "-c",
                "from django.contrib.auth.models import User;"
                "from rest_framework.authtoken.models import Token;"
                "u = User.objects.create_superuser('bench', 'b@example.com', 'pw');"
                "print(Token.objects.create(user=u).key)",
            ],
            cwd=EXAMPLE,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "example_project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=EXAMPLE,
        env=env,
    )
    path = "/api/nanobanana"
    base = f"http://127.0.0.1:{port}{path}"
    headers = {"Authorization": f"Token {token}"}
    try:

        def answers() -> bool:
            try:
                return httpx.get(f"{base}/models/", headers=headers, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, 60, "gunicorn did not answer", interval=0.2)
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        counter = iter(range(10**9))

        def client(count: int, record: bool) -> None:
            # The standard library's http.client, not httpx: the 20 client threads share
            # the cores with the server, so the load generator should cost as little CPU
            # per request as it can. It reconnects by itself when gunicorn's sync workers
            # close the connection after an answer (they do not keep connections alive).
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            request_headers = {**headers, "Content-Type": "application/json"}
            try:
                for _ in range(count):
                    n = next(counter)
                    body = json.dumps(
                        {"prompt": f"Benchmark poster number {n}", "image_size": "1K"}
                    )
                    started = time.perf_counter()
                    conn.request("POST", f"{path}/assets/", body=body, headers=request_headers)
                    response = conn.getresponse()
                    content = response.read()  # the whole answer is part of its latency
                    elapsed = time.perf_counter() - started
                    with lock:
                        if response.status != 202:
                            failures.append(f"{response.status} {content[:200]!r}")
                        elif record:
                            latencies.append(elapsed)
            finally:
                conn.close()

        def round_of(per_client: int, record: bool) -> float:
            threads = [
                threading.Thread(target=client, args=(per_client, record)) for _ in range(clients)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return time.perf_counter() - started

        round_of(2, record=False)  # warm-up: connections, imports, caches
        measured = []
        walls = 0.0
        for _ in range(rounds):
            latencies.clear()
            wall = round_of(max(1, requests // clients), record=True)
            walls += wall
            measured.append({**summary(latencies, wall), "raw": list(latencies)})
        if failures:
            raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[0]}")
        lists = {}
        with httpx.Client(headers=headers, timeout=30) as sequential:
            for label, query in (("full", ""), ("compact", "&fields=id,title,srcset,src")):
                times, size = [], 0
                for _ in range(10):
                    started = time.perf_counter()
                    response = sequential.get(f"{base}/assets/?page_size=20{query}")
                    times.append(time.perf_counter() - started)
                    size = len(response.content)
                lists[label] = (statistics.median(times) * 1000, size)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(media, ignore_errors=True)
    pooled = [value for row in measured for value in row.pop("raw")]
    return {
        **summary(pooled, walls),
        "rounds": measured,
        "load": load,
        "list_full_ms": lists["full"][0],
        "list_full_bytes": lists["full"][1],
        "list_compact_ms": lists["compact"][0],
        "list_compact_bytes": lists["compact"][1],
    }


def _row(label: str, row: dict[str, float]) -> str:
    ok = "ok" if row["p99"] < TARGET_P99_MS else "OVER"
    return (
        f"| {label} | {row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} "
        f"| {row['max']:.0f} | {row['rps']:.0f} | p99 < {TARGET_P99_MS:.0f} ms ({ok}) |"
    )


def table(row: dict[str, Any], clients: int, workers: int) -> str:
    rounds = row["rounds"]
    return "\n".join(
        [
            f"`POST /assets/`: {len(rounds)} rounds of {int(rounds[0]['requests'])} requests "
            f"from {clients} concurrent clients; gunicorn with {workers} sync workers; "
            f"PostgreSQL on the same machine; Python {platform.python_version()}, "
            f"{os.cpu_count()} CPU(s), shared with other jobs (load average before the "
            f"run: {row['load'][0]:.1f}, {row['load'][1]:.1f}, {row['load'][2]:.1f}).",
            "",
            "| round | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | requests/s | target |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *(_row(str(n), one) for n, one in enumerate(rounds, start=1)),
            _row(f"all {int(row['requests'])}", row),
            "",
            "| `GET /assets/?page_size=20` (sequential, median of 10) | time (ms) | body (bytes) |",
            "|---|---:|---:|",
            f"| full | {row['list_full_ms']:.0f} | {int(row['list_full_bytes'])} |",
            f"| `?fields=id,title,srcset,src` | {row['list_compact_ms']:.0f} "
            f"| {int(row['list_compact_bytes'])} |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "NANOBANANA_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_rest"
        ),
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400, help="per round")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measured rounds (one p99 of 400 is its 4th-slowest request: noisy)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=(os.cpu_count() or 1) + 1,
        help="gunicorn sync workers (default: cores + 1)",
    )
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args(argv)
    row = run(args.database_url, args.clients, args.requests, args.workers, args.rounds)
    text = table(row, args.clients, args.workers)
    print(text)
    if args.write:
        write_readme("rest", text)
    return 0 if row["p99"] < TARGET_P99_MS else 1


if __name__ == "__main__":
    sys.exit(main())
