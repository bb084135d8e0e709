"""`bkctl catalogue`: the same operations as the HTTP routes, refusals as one-line messages."""

from __future__ import annotations

import json

import pytest

from bookiji_entry.bootstrap import Services
from bookiji_entry.seed import fixed_token
from tests.e2e.test_bkctl_commands import quote_args, run

KITS = "ven_kits_barber"
TOKEN = ["--token", fixed_token(KITS)]


def test_a_vendor_sets_hours_services_and_exceptions_from_the_command_line(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    hours = ["--time-zone", "America/Toronto", "--mon", "08:00-12:00,13:00-18:00"]
    assert run(capsys, services, "catalogue", "hours", KITS, *hours, *TOKEN)[0] == 0
    service = ["beard_trim", "--rate", "2500", "--durations", "15,30"]
    assert run(capsys, services, "catalogue", "service", KITS, *service, *TOKEN)[0] == 0
    assert run(capsys, services, "catalogue", "close", KITS, "2030-01-14", *TOKEN)[0] == 0

    status, out, _ = run(capsys, services, "catalogue", "show", KITS, *TOKEN, "--json")

    body = json.loads(out)
    assert status == 0 and body["time_zone"] == "America/Toronto"
    assert body["weekly"]["mon"] == ["08:00-12:00", "13:00-18:00"] and body["weekly"]["tue"] == []
    assert body["exceptions"] == [{"date": "2030-01-14", "closed": True, "hours": []}]
    assert [s["durations"] for s in body["services"]] == [[15, 30], []]


def test_bad_hours_and_a_foreign_token_are_one_line_refusals(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    bad = run(capsys, services, "catalogue", "hours", KITS, "--time-zone", "UTC",
              "--mon", "12:00-09:00", *TOKEN)  # fmt: skip
    other = run(capsys, services, "catalogue", "show", KITS,
                "--token", fixed_token("ven_gastown_cuts"))  # fmt: skip

    assert bad[0] == 2 and bad[2].count("\n") == 1 and "invalid_input (hours)" in bad[2]
    assert other[0] == 3 and "forbidden" in other[2]


def test_removing_the_only_service_takes_the_vendor_out_of_quotes(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    assert run(capsys, services, "catalogue", "remove-service", KITS, "haircut", *TOKEN)[0] == 0

    status, out, _ = run(capsys, services, *quote_args("--json"))

    assert status == 0 and KITS not in out
