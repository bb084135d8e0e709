"""Logs follow a booking: the request's X-Request-ID is on the access line, on the relay's line
that places its hold and on the webhook's line that applies the provider's answer; every line
is one JSON object; BOOKIJI_LOG_LEVEL is checked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock
from bookiji_entry.bootstrap import Services, loops
from bookiji_entry.http.observability import access_logger
from bookiji_entry.logs import JsonLines, uvicorn_log_config
from bookiji_entry.settings import Settings, SettingsError

from .conftest import CUSTOMER, bearer, haircut

REQUEST_ID = "req-follow-0001"


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What the JSON formatter of `bkctl`'s processes writes, for the root logger and the
    access log (which has its own handler)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    loggers = [logging.getLogger(), access_logger()]
    previous = loggers[0].level
    loggers[0].setLevel(logging.INFO)
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)
    loggers[0].setLevel(previous)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]  # each line is JSON


def test_one_booking_is_followed_from_request_to_webhook_by_its_request_id(
    client: TestClient, services: Services, clock: ManualClock, written: io.StringIO
) -> None:
    headers = {**bearer(CUSTOMER), "X-Request-ID": REQUEST_ID}
    quote = client.post("/api/quote", headers=headers, json=haircut()).json()
    booked = client.post(
        "/api/bookings/confirm",
        headers={**headers, "Idempotency-Key": "follow-1"},
        json={
            "quote_id": quote["quote_id"],
            "provider_id": quote["candidates"][0]["provider_id"],
            "payment_method": "pm_card_visa",
        },
    )
    assert booked.status_code == 201
    booking = booked.json()["booking_id"]
    relay, webhooks = loops(services, ["outbox", "simcity-webhooks"])
    relay.tick()
    for _ in range(20):  # the simulated provider sends its webhook a little later
        clock.advance(timedelta(seconds=5))
        webhooks.tick()

    followed = [line for line in lines(written) if line.get("correlation_id") == REQUEST_ID]
    by_logger = {line["logger"]: line for line in followed}
    assert by_logger["bookiji.access"]["route"] == "/api/bookings/confirm"
    assert by_logger["bookiji.relay"]["booking_id"] == booking
    assert "committed place_hold" in by_logger["bookiji.relay"]["msg"]
    assert by_logger["bookiji.webhooks"]["booking_id"] == booking
    assert "applied to booking" in by_logger["bookiji.webhooks"]["msg"]


def test_a_logged_exception_stays_on_one_json_line(written: io.StringIO) -> None:
    try:
        raise ConnectionError("database restarting")
    except ConnectionError:
        logging.getLogger("bookiji.test").exception("tick failed")

    (line,) = lines(written)
    assert line["level"] == "error" and "ConnectionError: database restarting" in line["exc"]


def test_uvicorn_s_loggers_write_through_the_json_handler_at_the_chosen_level() -> None:
    config = uvicorn_log_config("warning")

    assert config["root"] == {"handlers": ["stderr"], "level": "WARNING"}
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        assert config["loggers"][name] == {"handlers": [], "level": "WARNING", "propagate": True}


def test_the_log_level_setting_is_checked() -> None:
    assert Settings.from_env({"BOOKIJI_LOG_LEVEL": "DEBUG"}).log_level == "debug"
    assert Settings.from_env({}).log_level == "info"
    with pytest.raises(SettingsError, match="BOOKIJI_LOG_LEVEL must be one of"):
        Settings.from_env({"BOOKIJI_LOG_LEVEL": "loud"})
