"""The checks of `bkctl drill rollback|privacy`, in order; each returns what it saw or raises."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bookiji_core.access import Principal, Role, hash_token
from bookiji_core.catalogue import Customer
from bookiji_core.payment_values import IntentStatus
from bookiji_core.ports import Clock, Ids, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_core.privacy import ERASED
from bookiji_core.privacy_queue import PRIORITIES, RequestKind, RequestState
from bookiji_core.usecases.outbox_progress import follow_outbox
from bookiji_core.usecases.privacy_queue import enqueue_request
from bookiji_core.usecases.rollback import roll_back_booking
from bookiji_core.values import CustomerId

Steps = list[tuple[str, Callable[[], str]]]
DRILLER = Principal(Role.ADMIN, "cli:drill")
POLL = 0.2


def _customer(uow: UnitOfWorkFactory, tag: str, *, token: bool) -> tuple[CustomerId, str]:
    """A synthetic customer for this drill (SimCity-tagged: its bookings are synthetic)."""
    cid = CustomerId(f"cus_sim_drill_{tag}")
    secret = f"drill-{secrets.token_urlsafe(18)}"
    with uow() as u:
        u.customers.add(
            Customer(
                cid, f"Drill Customer {tag}", f"drill-{tag}@simcity.invalid", "+1-555-0100", True
            )
        )
        if token:
            u.principals.add(hash_token(secret), Principal(Role.CUSTOMER, cid))
        u.commit()
    return cid, secret


def _until(wait: float, done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + wait
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {wait:g} s")
        time.sleep(POLL)


def rollback_checks(
    http: httpx.Client,
    admin: str,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: Ids,
    gateway: PaymentGateway,
    telemetry: Telemetry,
    tag: str,
    wait: float,
) -> Steps:
    seen: dict[str, Any] = {}

    def customer() -> str:
        seen["customer"], seen["token"] = _customer(uow, tag, token=True)
        return f"synthetic customer {seen['customer']}"

    def quote() -> str:
        day = (clock.now() + timedelta(days=1)).astimezone(UTC)
        at = datetime(day.year, day.month, day.day, 18, tzinfo=UTC) + timedelta(hours=hash(tag) % 3)
        body = {
            "service_type": "haircut",
            "location": {"latitude": 49.2827, "longitude": -123.1207, "radius_km": 10},
            "date_time": at.isoformat().replace("+00:00", "Z"),
            "duration_minutes": 60,
        }
        answer = http.post("/api/quote", json=body, headers=_bearer(seen["token"]))
        _expect(answer, 200, 201)
        seen["quote"] = answer.json()
        candidate = seen["quote"]["candidates"][0]
        seen["provider"] = candidate["provider_id"]
        found = len(seen["quote"]["candidates"])
        quote_id = seen["quote"]["quote_id"]
        return f"POST /api/quote {answer.status_code}: {quote_id}, {found} candidates"

    def confirm() -> str:
        body = {
            "quote_id": seen["quote"]["quote_id"],
            "provider_id": seen["provider"],
            "payment_method": "pm_card_visa",
        }
        headers = {**_bearer(seen["token"]), "Idempotency-Key": f"drill-{tag}"}
        answer = http.post("/api/bookings/confirm", json=body, headers=headers)
        _expect(answer, 201)
        seen["booking"] = answer.json()["booking_id"]
        return f"POST /api/bookings/confirm 201: {seen['booking']} {answer.json()['state']}"

    def hold() -> str:
        def placed() -> bool:
            with uow() as u:
                booking = u.bookings.get(seen["booking"])
            seen["intent"] = booking.payment_intent_id if booking else None
            return seen["intent"] is not None

        _until(wait, placed, "the relay placing the $1 hold")
        status = gateway.retrieve(seen["intent"]).status
        if status is not IntentStatus.REQUIRES_CAPTURE:
            raise AssertionError(f"the provider says {status}, not requires_capture")
        return f"hold {seen['intent']} at the provider: {status}"

    def rollback() -> str:
        began = time.monotonic()
        result = roll_back_booking(
            seen["booking"], DRILLER, "weekly rollback drill", uow(), clock, ids
        )
        progress = follow_outbox(
            uow(), [m.id for m in result.payment_messages], until=began + wait,
            monotonic=time.monotonic, sleep=time.sleep,
        )  # fmt: skip
        telemetry.rollback(time.monotonic() - began)  # bookiji_rollback_duration_seconds
        if progress.pending or progress.dead:
            raise AssertionError(
                f"release not carried: pending {progress.pending}, dlq {progress.dead}"
            )
        return f"bkctl rollback path: {result.booking.state}, release committed by the relay"

    def released() -> str:
        status = gateway.retrieve(seen["intent"]).status
        if status is not IntentStatus.CANCELED:
            raise AssertionError(f"the provider says {status}, not canceled")
        return f"hold {seen['intent']} at the provider: {status} (released)"

    def audit() -> str:
        answer = http.get(f"/api/bookings/{seen['booking']}", headers=_bearer(admin))
        _expect(answer, 200)
        actions = [e["action"] for e in answer.json()["audit"]]
        if "rollback" not in actions:
            raise AssertionError(f"no rollback in the audit trail: {actions}")
        trail, state = " > ".join(actions), answer.json()["state"]
        return f"GET /api/bookings/{{id}} 200, audit: {trail}; state {state}"

    return [
        ("synthetic customer", customer),
        ("quote", quote),
        ("confirm", confirm),
        ("hold placed at the provider", hold),
        ("rollback, release carried by the relay", rollback),
        ("release seen at the provider", released),
        ("audit trail", audit),
    ]


def privacy_checks(
    http: httpx.Client,
    admin: str,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: Ids,
    tag: str,
    wait: float,
) -> Steps:
    seen: dict[str, Any] = {}

    def customer() -> str:
        seen["customer"], _ = _customer(uow, tag, token=False)
        return f"synthetic customer {seen['customer']}"

    def served(kind: RequestKind) -> Callable[[], str]:
        def step() -> str:
            request = enqueue_request(
                kind, seen["customer"], DRILLER, PRIORITIES["normal"], "privacy drill",
                uow(), clock, ids,
            )  # fmt: skip

            def finished() -> bool:
                with uow() as u:
                    now = u.privacy.request(request.id)
                seen[kind.value] = now
                return now is not None and not now.open

            _until(wait, finished, f"a privacy worker serving {request.id}")
            final = seen[kind.value]
            if final.state is not RequestState.DONE:
                raise AssertionError(f"{request.id} is {final.state}: {final.error}")
            took = (final.finished_at - final.requested_at).total_seconds()
            return f"{request.id} {final.kind} done {took:.2f} s after the request"

        return step

    def logged() -> str:
        with uow() as u:
            purposes = [e.purpose for e in u.access_log.for_subject(seen["customer"])]
        if "privacy.export" not in purposes or "privacy.delete" not in purposes:
            raise AssertionError(f"access log holds {purposes}")
        return f"access log: {', '.join(purposes)}"

    def erased() -> str:
        with uow() as u:
            found = u.customers.get(seen["customer"])
            tombstone = u.privacy.tombstone(seen["customer"])
        if found is None or found.name != ERASED or tombstone is None or tombstone.pending:
            raise AssertionError("the customer's personal data is still there")
        return f"profile erased, tombstone {tombstone.state}"

    return [
        ("synthetic customer", customer),
        ("export through the queue", served(RequestKind.EXPORT)),
        ("delete through the queue", served(RequestKind.DELETE)),
        ("export and delete access-logged", logged),
        ("personal data erased", erased),
    ]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _expect(answer: httpx.Response, *statuses: int) -> None:
    if answer.status_code not in statuses:
        raise AssertionError(
            f"{answer.request.method} {answer.request.url.path} {answer.status_code}: "
            f"{answer.text[:200]}"
        )
