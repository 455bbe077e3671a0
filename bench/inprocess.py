"""Profile endpoints in-process (no HTTP server): queries, CPU ms per request, costliest functions.

Used by ``cases_bench.py --profile`` and ``customers_bench.py --profile``. It runs ``frontline
shell`` against the benchmark's database with Django's test client signed in as ``username``;
CPU time (``time.process_time``) is what one request costs the web process, whatever else the
machine is doing - the number to compare before and after a change.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FRONTLINE = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "frontline")

CODE = """
import cProfile, io, pstats, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.contrib.auth import get_user_model
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username=%(username)r))
for label, path, *rest in %(paths)r:
    headers = rest[0] if rest else {}
    get = lambda: client.get(path, headers=headers)
    get()
    get()
    with CaptureQueriesContext(connection) as queries:
        status = get().status_code
    captured = list(queries.captured_queries)  # read now: the next requests clear the log
    started = time.process_time()
    for _ in range(%(repeat)d):
        get()
    cpu = (time.process_time() - started) / %(repeat)d * 1000
    print(f"== {label}  {path}  status {status}  queries {len(captured)}  cpu {cpu:.2f} ms/request")
    if %(details)r:
        for q in captured:
            print("   ", f"{float(q['time']) * 1000:6.2f} ms", q["sql"][:150])
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(%(repeat)d):
            get()
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
        lines = [line for line in text.getvalue().splitlines() if line.strip()]
        start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
        print("\\n".join("    " + line[:150] for line in lines[start : start + 16]))
"""


def profile(
    env: dict[str, str],
    paths: list[tuple[str, str]] | list[tuple[str, str, dict[str, str]]],
    *,
    repeat: int = 50,
    username: str,
    cwd: Path,
    details: bool = True,
) -> str:
    code = CODE % {"username": username, "paths": paths, "repeat": repeat, "details": details}
    result = subprocess.run(
        [FRONTLINE, "shell", "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return "\n".join(
        line
        for line in result.stdout.splitlines()
        if not line.endswith("imported automatically (use -v 2 for details).")
    )
