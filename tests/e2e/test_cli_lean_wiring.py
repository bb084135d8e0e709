"""A one-shot `bkctl` command that reads the database is wired with what it names and nothing
else: no Starlette, Stripe, prometheus-client, httpx, SimCity or SMTP is imported for it
(bootstrap.command_parts), and its telemetry is made on the first event it reports."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import Mock

import pytest

from bookiji_adapters.memory import InMemoryTelemetry
from bookiji_core.ports import Clock, Telemetry, UnitOfWorkFactory
from bookiji_entry.bootstrap import command_parts
from bookiji_entry.parts import TelemetryOnFirstUse
from bookiji_entry.settings import Settings

# What no command that only reads the database needs (the server's and the workers' parts).
NOT_FOR_READS = (
    "starlette",
    "stripe",
    "prometheus_client",
    "httpx",
    "uvicorn",
    "alembic",
    "bookiji_simcity",
    "smtplib",
)
BKCTL = Path(sys.executable).with_name("bkctl")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("lean")
    env = dict(os.environ, BOOKIJI_DATABASE_URL=f"sqlite:///{folder}/lean.db")
    env.pop("BOOKIJI_TOKEN", None)
    for words in (["db", "upgrade"], ["seed", "--demo", "--fixed-tokens"]):
        subprocess.run([str(BKCTL), *words], env=env, check=True, capture_output=True)
    return env


@pytest.mark.parametrize(
    "words",
    [
        ["flags", "list"],
        ["outbox", "status"],
        ["dlq", "list"],
        ["worker", "status"],
        ["bookings", "list", "--token", "demo-adm_ops"],
    ],
    ids=lambda words: " ".join(words[:2]),
)
def test_a_command_that_reads_the_database_imports_no_server_part(
    migrated: dict[str, str], words: list[str]
) -> None:
    probe = (
        "import json, sys\n"
        "from bookiji_entry.cli import main\n"
        f"status = main({words!r})\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules})\n"
        "print(json.dumps({'status': status, 'loaded': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=migrated, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["status"] in ({0, 1} if words[0] == "worker" else {0})  # 1: no live worker
    assert "sqlalchemy" in result["loaded"]  # it did read the database
    assert sorted(set(result["loaded"]) & set(NOT_FOR_READS)) == []


def test_command_parts_builds_only_what_the_command_names() -> None:
    settings = Settings.from_env({"BOOKIJI_DATABASE_URL": "memory://", "BOOKIJI_PROFILE": "test"})
    seen: dict[str, object] = {}

    def command(flag: str, clock: Clock) -> int:
        seen.update(flag=flag, clock=clock)
        return 7

    with command_parts(settings) as call:
        assert call(command, flag="given") == 7

    assert seen["flag"] == "given" and hasattr(seen["clock"], "now")


def test_a_command_s_units_of_work_count_access_log_writes_into_its_telemetry() -> None:
    settings = Settings.from_env({"BOOKIJI_DATABASE_URL": "memory://", "BOOKIJI_PROFILE": "test"})
    got: dict[str, object] = {}

    def command(uow: UnitOfWorkFactory, telemetry: Telemetry) -> int:
        got.update(uow=uow, telemetry=telemetry)
        return 0

    with command_parts(settings) as call:
        call(command)

    telemetry = got["telemetry"]
    assert isinstance(telemetry, TelemetryOnFirstUse) and telemetry.built is None


def test_telemetry_on_first_use_builds_once_and_hands_every_event_on() -> None:
    real = InMemoryTelemetry()
    made: list[InMemoryTelemetry] = []

    def make() -> Telemetry:
        made.append(real)
        return real

    deferred = TelemetryOnFirstUse(make)
    assert made == [] and deferred.built is None

    deferred.rollback(1.5)
    deferred.access_log_write(True)
    deferred.webhook_outcome("committed")

    assert made == [real] and deferred.built is real
    assert real.counts[("rollback",)] == 1 and real.counts[("access_log", "ok")] == 1
    assert real.counts[("webhook", "committed")] == 1


def test_telemetry_on_first_use_forwards_every_method_of_the_port() -> None:
    port = sorted(name for name in vars(Telemetry) if not name.startswith("_"))
    real = Mock()
    deferred = TelemetryOnFirstUse(lambda: real)

    for name in port:
        arity = len(inspect.signature(getattr(Telemetry, name)).parameters) - 1  # self
        getattr(deferred, name)(*[f"{name}-{i}" for i in range(arity)])

    assert [c[0] for c in real.method_calls] == port
    assert all(c[1] == tuple(f"{c[0]}-{i}" for i in range(len(c[1]))) for c in real.method_calls)
