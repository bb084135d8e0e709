"""bkctl's conventions (docs/cli.md): with --json a refusal is one JSON object on stderr with
the stable code; a database or network outage is one line and exit 19; BOOKIJI_URL is the
server commands' default; progress frames only on a terminal."""

from __future__ import annotations

import json
import socket
import sys

import attrs
import pytest

from bookiji_core.payments import OutboxState
from bookiji_entry.bootstrap import Services
from bookiji_entry.cli import _common, main
from tests.contract.test_storage_contract import make_message

UNAVAILABLE = 69


@pytest.fixture
def own_process(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """main() as its own process would run it: from the environment."""
    for name in ("BOOKIJI_TOKEN", "BOOKIJI_URL", "BOOKIJI_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nobody listens on it once the socket is closed


def test_with_json_a_refusal_is_one_json_object_on_stderr_with_its_stable_code(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["bookings", "show", "bk_404", "--json", "--token", "nope"], services=services)
    out, err = capsys.readouterr()

    (line,) = err.splitlines()
    problem = json.loads(line)
    assert out == "" and status == 3 == problem["exit_status"]
    assert problem["code"] == "unauthenticated" and problem["message"]


def test_without_json_the_same_refusal_is_one_line_of_text(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["bookings", "show", "bk_404", "--token", "nope"], services=services)

    assert status == 3 and capsys.readouterr().err.startswith("bkctl: unauthenticated: ")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_database_outage_is_one_line_and_exit_69(
    own_process: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    url = f"postgresql+psycopg://bookiji:secret@127.0.0.1:{closed_port()}/bookiji"
    own_process.setenv("BOOKIJI_DATABASE_URL", url)

    argv = ["bookings", "show", "bk_1", "--token", "t", *(["--json"] if as_json else [])]
    status = main(argv)
    (line,) = capsys.readouterr().err.splitlines()

    assert status == UNAVAILABLE
    assert "secret" not in line and "bookiji:***@127.0.0.1" in line
    if as_json:
        assert json.loads(line)["code"] == "database_unavailable"
    else:
        assert line.startswith("bkctl: the database at postgresql+psycopg://") and "refused" in line


def test_slo_report_takes_the_server_from_bookiji_url_and_an_outage_is_exit_69(
    own_process: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    own_process.setenv("BOOKIJI_URL", f"http://127.0.0.1:{port}/")

    status = main(["slo", "report"])

    (line,) = capsys.readouterr().err.splitlines()
    assert status == UNAVAILABLE and f"cannot reach http://127.0.0.1:{port}/metrics" in line


def test_the_server_url_is_the_flag_then_bookiji_url_then_host_and_port(
    own_process: pytest.MonkeyPatch,
) -> None:
    own_process.setenv("BOOKIJI_PORT", "18401")
    assert _common.server_url(None) == "http://127.0.0.1:18401"
    own_process.setenv("BOOKIJI_URL", "https://api.example.test/")
    assert _common.server_url(None) == "https://api.example.test"
    assert _common.server_url("http://10.0.0.5:9000/") == "http://10.0.0.5:9000"
    own_process.setenv("BOOKIJI_URL", "api.example.test")
    assert main(["slo", "report"]) == 2  # configuration: not a URL


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_frames_are_written_only_to_a_terminal(
    services: Services,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    terminal: bool,
) -> None:
    dead = attrs.evolve(make_message(1), state=OutboxState.DLQ, attempts=8, last_error="502")
    with services.uow() as uow:
        uow.outbox.add(dead)
        uow.commit()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)  # capsys: not a terminal

    status = main(["dlq", "drain", "--spacing", "0", "--wait", "0"], services=services)
    out, err = capsys.readouterr()

    assert status == 0 and "requeued 1 message(s)" in out  # the summary, either way
    assert ("\rrequeued 1/1" in err) is terminal


def test_a_reader_that_goes_away_ends_bkctl_quietly_as_sigpipe_would() -> None:
    """`bkctl ... | head`: the pipe's reader is gone before bkctl writes. No traceback, no
    "Exception ignored" at exit, and the status a shell gives a tool ended by SIGPIPE."""
    import os
    import subprocess
    from pathlib import Path

    reader, writer = os.pipe()
    os.close(reader)  # nobody will read: the first write fails with EPIPE
    try:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "bkctl"), "simcity", "scenarios"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
