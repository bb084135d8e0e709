"""bkctl: help everywhere, the quote -> book flow from a terminal, clear refusals, exit codes."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bookiji_entry.bootstrap import Services
from bookiji_entry.cli import build_parser, main

from .conftest import CUSTOMER, DOWNTOWN, TOMORROW_10AM

BKCTL = str(Path(sys.executable).with_name("bkctl"))


def run(capsys: pytest.CaptureFixture[str], services: Services, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv), services=services)
    out, err = capsys.readouterr()
    return status, out, err


def quote_args(*extra: str, at: str = TOMORROW_10AM, token: str = CUSTOMER) -> list[str]:
    lat, lon = str(DOWNTOWN["latitude"]), str(DOWNTOWN["longitude"])
    return [
        "quote", "--service", "haircut", "--lat", lat, "--lon", lon, "--at", at,
        "--token", token, *extra,
    ]  # fmt: skip


def book_args(quote_id: str, provider: str, key: str = "k-1", *extra: str) -> list[str]:
    return [
        "book", "--quote", quote_id, "--provider", provider, "--payment-method", "pm_card_visa",
        "--idempotency-key", key, "--token", CUSTOMER, *extra,
    ]  # fmt: skip


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(build_parser()), ids=lambda c: " ".join(c) or "bkctl")
def test_every_command_has_help(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])

    assert exited.value.code == 0
    assert "usage: bkctl" in capsys.readouterr().out


def test_the_commands_the_readme_promises_exist() -> None:
    commands = {" ".join(c) for c in _commands(build_parser())}

    assert {"serve", "db upgrade", "seed", "quote", "book", "bookings show"} <= commands


def test_quote_then_book_then_retry_returns_the_same_booking(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, services, *quote_args("--json"))
    assert status == 0
    quoted = json.loads(out)
    provider = quoted["candidates"][0]["provider_id"]

    first = run(capsys, services, *book_args(quoted["quote_id"], provider, "k-1", "--json"))
    again = run(capsys, services, *book_args(quoted["quote_id"], provider, "k-1", "--json"))

    assert first[0] == again[0] == 0
    booked, replayed = json.loads(first[1]), json.loads(again[1])
    assert booked["state"] == "hold_placed"
    assert (booked["replayed"], replayed["replayed"]) == (False, True)
    assert replayed["booking_id"] == booked["booking_id"]
    status, out, _ = run(
        capsys, services, "bookings", "show", booked["booking_id"], "--token", CUSTOMER
    )
    assert status == 0
    assert booked["booking_id"] in out
    assert "quoted -> hold_placed" in out


def test_human_output_lists_the_candidates_with_their_zones(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, services, *quote_args())

    assert status == 0
    # No map service in the test profile: the offline provider answers with the catalogue label.
    assert "ven_kits_barber" in out and "Vancouver – Kitsilano" in out


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (quote_args(at="next tuesday"), 2, "invalid_input (date_time)"),
        (quote_args(at="2030-01-08T10:00:00"), 2, "offset"),
        (quote_args("--duration", "0"), 2, "invalid_input (duration_minutes)"),
        (quote_args(token="demo-nobody"), 3, "unauthenticated"),
        (quote_args(token="demo-adm_ops"), 3, "forbidden"),
        (quote_args(at="2030-01-07T07:00:00Z"), 2, "time_in_past"),
        (book_args("q_missing", "ven_kits_barber"), 4, "quote_not_found"),
        (book_args("q_x", "ven_kits_barber", "  "), 2, "Idempotency-Key"),
        (["bookings", "show", "bk_missing", "--token", CUSTOMER], 4, "booking_not_found"),
        (["serve", "--workers", "0"], 2, "--workers"),
    ],
)
def test_a_refusal_exits_non_zero_with_the_reason_on_stderr(
    services: Services,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    status: int,
    message: str,
) -> None:
    code, out, err = run(capsys, services, *argv)

    assert code == status
    assert message in err
    assert err.startswith("bkctl: ")
    assert out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["quote", "--service", "haircut"],
        [*quote_args()[:4], "north", *quote_args()[5:]],
        ["book", "--quote", "q_1"],
        ["seed"],
        ["frobnicate"],
    ],
    ids=[
        "missing flags",
        "latitude not a number",
        "book missing flags",
        "seed without --demo",
        "unknown",
    ],
)
def test_malformed_arguments_exit_2_with_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)

    assert exited.value.code == 2
    assert "usage: bkctl" in capsys.readouterr().err


def bkctl(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BKCTL, *argv], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    return env


def test_the_installed_bkctl_migrates_seeds_quotes_and_books_a_sqlite_file(
    sqlite_env: dict[str, str],
) -> None:
    assert bkctl(sqlite_env, "db", "upgrade").returncode == 0
    seeded = bkctl(sqlite_env, "seed", "--demo", "--json")
    assert seeded.returncode == 0, seeded.stderr
    tokens = {t["subject_id"]: t["token"] for t in json.loads(seeded.stdout)}
    assert tokens["cus_01"].startswith("bkj_")  # random unless --fixed-tokens
    at = (datetime.now(UTC) + timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    stamp = at.isoformat().replace("+00:00", "Z")

    quoted = bkctl(sqlite_env, *quote_args("--json", at=stamp, token=tokens["cus_01"]))
    assert quoted.returncode == 0, quoted.stderr
    q = json.loads(quoted.stdout)
    book = [*book_args(q["quote_id"], q["candidates"][0]["provider_id"], "cli-1", "--json")]
    book[book.index("--token") + 1] = tokens["cus_01"]
    first, retry = bkctl(sqlite_env, *book), bkctl(sqlite_env, *book)

    assert first.returncode == retry.returncode == 0, first.stderr + retry.stderr
    assert json.loads(first.stdout)["booking_id"] == json.loads(retry.stdout)["booking_id"]
    assert json.loads(retry.stdout)["replayed"] is True


def test_seeding_twice_is_refused_and_changes_nothing(sqlite_env: dict[str, str]) -> None:
    bkctl(sqlite_env, "db", "upgrade")
    first = bkctl(sqlite_env, "seed", "--demo", "--fixed-tokens")
    second = bkctl(sqlite_env, "seed", "--demo", "--fixed-tokens")

    assert first.returncode == 0
    assert "demo-cus_01" in first.stdout
    assert "Vancouver" in first.stdout
    assert second.returncode == 1
    assert "already" in second.stderr


def test_the_production_profile_refuses_demo_data(sqlite_env: dict[str, str]) -> None:
    production = {
        **sqlite_env,
        "BOOKIJI_PROFILE": "production",
        "BOOKIJI_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "BOOKIJI_STRIPE_API_KEY": "sk_test_x",
        "BOOKIJI_STRIPE_WEBHOOK_SECRET": "whsec_x",
        "BOOKIJI_AUDIT_KEY": "audit-key-x",
    }

    refused = bkctl(production, "seed", "--demo", "--fixed-tokens")

    assert refused.returncode == 2
    assert "production profile refuses demo data" in refused.stderr


def test_a_half_configured_production_exits_2_naming_what_is_missing(
    sqlite_env: dict[str, str],
) -> None:
    refused = bkctl({**sqlite_env, "BOOKIJI_PROFILE": "production"}, "db", "upgrade")

    assert refused.returncode == 2
    assert "BOOKIJI_STRIPE_API_KEY" in refused.stderr
