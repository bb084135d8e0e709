"""The A/B harness's servers: a fresh database and a fresh server process per run.

`floor` is `bench/floor.py`; `bookiji` is `bkctl serve` (its loops in the process, as a user
runs it). The server's CPU is read from /proc/<pid>/stat for the process and every descendant
(the workers of `--workers N`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BKCTL = Path(sys.executable).parent / "bkctl"
ADMIN_TOKEN = "demo-adm_ops"
TICKS = os.sysconf("SC_CLK_TCK")


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of one process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu(root: int) -> float:
    """CPU seconds of `root` and all its descendants that are alive now."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    wanted, total, frontier = {root}, 0.0, [root]
    while frontier:
        pid = frontier.pop()
        for child, (parent, _cpu) in stats.items():
            if parent == pid and child not in wanted:
                wanted.add(child)
                frontier.append(child)
    for pid in wanted:
        if pid in stats:
            total += stats[pid][1]
    return total


def backend_cpu(pg_url: str, name: str) -> dict[int, float]:
    """CPU seconds per PostgreSQL backend serving database `name` (same machine), by pid."""
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        pids = [
            row[0]
            for row in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
        ]
    return {pid: stat[1] for pid in pids if (stat := _stat(pid)) is not None}


@contextmanager
def database(kind: str, name: str, pg_url: str) -> Iterator[tuple[str, Path]]:
    """A fresh database: (URL, scratch directory). PostgreSQL: created and dropped here."""
    scratch = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    if kind == "sqlite":
        try:
            yield f"sqlite:///{scratch / 'bench.db'}", scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{pg_url}/{name}", scratch
    finally:
        with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)


def _post(url: str, body: Any, token: str = ADMIN_TOKEN) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def _wait_healthy(port: int, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")


def _command(system: str, url: str, port: int, workers: int, layout: str, bkctl: Path) -> list[str]:
    if system == "floor":
        return [sys.executable, "-m", "bench.floor", "--db", url, "--port", str(port)]
    serve = [str(bkctl), "serve", "--port", str(port), "--workers", str(workers)]
    return serve if layout == "inprocess" else [*serve, "--no-workers"]


def _prepare_bookiji(url: str, env: dict[str, str], scratch: Path, bkctl: Path) -> None:
    """PostgreSQL is not migrated nor seeded by `bkctl serve` (SQLite is)."""
    if url.startswith("sqlite"):
        return
    for args in (["db", "upgrade"], ["seed", "--demo", "--fixed-tokens"]):
        subprocess.run(
            [str(bkctl), *args], env=env, cwd=scratch, check=True, stdout=subprocess.DEVNULL
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def server(
    system: str,
    url: str,
    scratch: Path,
    port: int,
    *,
    workers: int = 1,
    layout: str = "inprocess",
    src: str | None = None,
    python: str | None = None,
    extra_env: dict[str, str],
) -> Iterator[tuple[list[int], dict[str, Any]]]:
    """Start the server (and, in the `worker` layout, `bkctl worker all` beside a
    `bkctl serve --no-workers`); yield (their pids, the population answer); stop them."""
    # `src` runs another checkout's code (its src/ first on the path): old against new;
    # `python` another virtual environment's interpreter (its bkctl), e.g. older dependencies.
    bkctl = Path(python).parent / "bkctl" if python else BKCTL
    path = f"{src}{os.pathsep}{ROOT}" if src else str(ROOT)
    env = {**os.environ, "BOOKIJI_DATABASE_URL": url, "PYTHONPATH": path, **extra_env}
    if system == "bookiji":
        _prepare_bookiji(url, env, scratch, bkctl)
    log = (scratch / f"{system}.log").open("wb")
    process = subprocess.Popen(
        _command(system, url, port, workers, layout, bkctl),
        env=env,
        cwd=ROOT if system == "floor" else scratch,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    background: subprocess.Popen[bytes] | None = None
    try:
        _wait_healthy(port, process)
        if system == "bookiji" and layout == "worker":  # after serve migrated and seeded
            background = subprocess.Popen(
                [str(bkctl), "worker", "all"],
                env=env,
                cwd=scratch,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        audience = _post(f"http://127.0.0.1:{port}/api/simcity/population", {"tokens": 50})
        yield [process.pid] + ([background.pid] if background else []), audience
    finally:
        for running in (background, process):
            if running is not None:
                _stop(running)
        log.close()
