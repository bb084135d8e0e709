"""One PaymentGateway contract, run against the SimCity gateway (its state in memory, and in
SQLite and PostgreSQL as the local profile keeps it) and against StripePaymentGateway talking
real HTTP to a localstripe server started by the tests; then the outbox relay driving a
booking's fee through each of them.

localstripe ignores Idempotency-Key and does not refuse calls in the wrong state; the tests of
those promises are strict expected failures against it (they start failing, loudly, if
localstripe ever honours them). The SimCity gateway keeps them, as Stripe documents."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
import stripe

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import Fault, SimCityPaymentGateway
from bookiji_adapters.simcity.sql_state import SqlAlchemyProviderState
from bookiji_adapters.simcity.state import ProviderState
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.stripe import StripePaymentGateway
from bookiji_core import Actor, ActorType, BookingState, Customer, CustomerId, PaymentStatus
from bookiji_core.errors import CardDeclined, PermanentPaymentError, RetryablePaymentError
from bookiji_core.notifications import NotificationKind
from bookiji_core.payments import IntentStatus
from bookiji_core.ports import PaymentGateway
from bookiji_core.usecases import outbox_status, reconcile
from bookiji_core.values import BookingId, Money
from tests.payments_world import PaymentWorld

FEE = Money("CAD", 100)
LOCALSTRIPE_ONLY_GAPS = "localstripe ignores Idempotency-Key and does not enforce intent states"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _start_localstripe() -> tuple[subprocess.Popen[bytes], int] | str:
    """localstripe on a free loopback port, once it answers; or why it would not start."""
    exe = Path(sys.executable).with_name("localstripe")
    port = _free_port()
    try:
        proc = subprocess.Popen(
            [str(exe), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except OSError as error:
        return f"cannot start localstripe: {error}"
    deadline = time.monotonic() + 60  # it imports aiohttp: slow on a loaded machine
    while not _answers(port):
        if proc.poll() is not None:  # e.g. another process took the port meanwhile
            return f"localstripe exited with status {proc.returncode}"
        if time.monotonic() > deadline:
            proc.kill()
            return "localstripe did not answer within 60 s"
        time.sleep(0.05)
    return proc, port


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """A localstripe server on a free loopback port for the whole session."""
    for _ in range(3):
        started = _start_localstripe()
        if not isinstance(started, str):
            break
    if isinstance(started, str):
        _unavailable(started)
        return
    proc, port = started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the contract must run against localstripe)")
    pytest.skip(reason)


@attrs.define
class GatewayUnderTest:
    name: str
    gateway: PaymentGateway
    card: str
    declined_card: str
    # Make the next mutating call fail as the network would, before reaching the provider.
    break_next_call: Callable[[], PaymentGateway]
    keeps_stripe_promises: bool


def _localstripe_card(url: str, number: str) -> str:
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": url})
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    return client.v1.payment_methods.create({"type": "card", "card": card}).id


def _simcity(name: str = "simcity", state: ProviderState | None = None) -> GatewayUnderTest:
    gateway = SimCityPaymentGateway(clock=ManualClock(), rng=random.Random(7), state=state)

    def broken() -> PaymentGateway:
        gateway.inject(Fault.GATEWAY_502)
        return gateway

    return GatewayUnderTest(name, gateway, "pm_card_visa", "pm_card_chargeDeclined", broken, True)


def _stripe(url: str) -> GatewayUnderTest:
    def broken() -> PaymentGateway:
        closed = f"http://127.0.0.1:{_free_port()}"
        return StripePaymentGateway("sk_test_x", base_url=closed, timeout=2)

    return GatewayUnderTest(
        "stripe-localstripe",
        StripePaymentGateway("sk_test_x", base_url=url, search_supported=False),
        _localstripe_card(url, "4242424242424242"),
        _localstripe_card(url, "4000000000000341"),
        broken,
        False,
    )


@pytest.fixture(
    params=[
        "simcity",
        "simcity-sqlite",
        pytest.param("simcity-postgres", marks=pytest.mark.postgres),
        "stripe-localstripe",
    ]
)
def under_test(request: pytest.FixtureRequest) -> GatewayUnderTest:
    if request.param == "simcity":
        return _simcity()
    if request.param.startswith("simcity-"):
        database = request.param.removeprefix("simcity-")
        storage: SqlAlchemyStorage = request.getfixturevalue(f"{database}_storage")
        return _simcity(request.param, SqlAlchemyProviderState(storage.engine))
    return _stripe(request.getfixturevalue("localstripe_url"))


@pytest.fixture
def stripe_promise(request: pytest.FixtureRequest, under_test: GatewayUnderTest) -> None:
    """Marks a test of a promise localstripe does not keep as a strict expected failure."""
    if not under_test.keeps_stripe_promises:
        request.applymarker(pytest.mark.xfail(reason=LOCALSTRIPE_ONLY_GAPS, strict=True))


def booking() -> BookingId:
    return BookingId(f"bk_{uuid.uuid4().hex[:12]}")


def key() -> str:
    return f"test:{uuid.uuid4().hex}"


def test_a_hold_is_authorised_but_not_captured(under_test: GatewayUnderTest) -> None:
    booking_id = booking()
    hold = under_test.gateway.place_hold(FEE, under_test.card, booking_id, key())

    assert hold.status is IntentStatus.REQUIRES_CAPTURE
    assert (hold.amount, hold.amount_captured, hold.amount_refunded) == (FEE, 0, 0)
    assert hold.booking_id == booking_id
    assert hold.is_live_hold and hold.net_captured == 0


def test_capturing_a_hold_charges_the_fee_in_full(under_test: GatewayUnderTest) -> None:
    gateway = under_test.gateway
    hold = gateway.place_hold(FEE, under_test.card, booking(), key())
    captured = gateway.capture(hold.id, key())

    assert captured.status is IntentStatus.SUCCEEDED
    assert captured.amount_captured == 100 and captured.net_captured == 100
    assert gateway.retrieve(hold.id) == captured


def test_cancelling_a_hold_releases_it(under_test: GatewayUnderTest) -> None:
    gateway = under_test.gateway
    hold = gateway.place_hold(FEE, under_test.card, booking(), key())
    released = gateway.cancel(hold.id, key())

    assert released.status is IntentStatus.CANCELED
    assert not released.is_live_hold and released.net_captured == 0


def test_refunding_a_capture_gives_the_fee_back(under_test: GatewayUnderTest) -> None:
    gateway = under_test.gateway
    hold = gateway.place_hold(FEE, under_test.card, booking(), key())
    gateway.capture(hold.id, key())
    refund = gateway.refund(hold.id, FEE, key())

    assert (refund.intent_id, refund.amount, refund.status) == (hold.id, FEE, "succeeded")
    after = gateway.retrieve(hold.id)
    assert (after.amount_captured, after.amount_refunded, after.net_captured) == (100, 100, 0)


def test_a_bookings_intents_are_found_by_its_id(under_test: GatewayUnderTest) -> None:
    gateway = under_test.gateway
    booking_id = booking()
    first = gateway.place_hold(FEE, under_test.card, booking_id, key())
    second = gateway.place_hold(FEE, under_test.card, booking_id, key())
    gateway.place_hold(FEE, under_test.card, booking(), key())

    found = gateway.intents_for_booking(booking_id)
    assert sorted(i.id for i in found) == sorted([first.id, second.id])
    assert gateway.intents_for_booking(booking()) == []


def test_a_declined_card_is_a_permanent_error_and_a_decline(under_test: GatewayUnderTest) -> None:
    # CardDeclined: the relay ends the payment as failed instead of dead-lettering it.
    with pytest.raises(CardDeclined, match="declined"):
        under_test.gateway.place_hold(FEE, under_test.declined_card, booking(), key())


def test_an_unknown_intent_is_a_permanent_error(under_test: GatewayUnderTest) -> None:
    with pytest.raises(PermanentPaymentError):
        under_test.gateway.retrieve("pi_does_not_exist")


def test_an_unreachable_provider_is_a_retryable_error(under_test: GatewayUnderTest) -> None:
    with pytest.raises(RetryablePaymentError):
        under_test.break_next_call().place_hold(FEE, under_test.card, booking(), key())


@pytest.mark.usefixtures("stripe_promise")
def test_the_same_key_and_parameters_return_the_same_hold(under_test: GatewayUnderTest) -> None:
    gateway, booking_id, same = under_test.gateway, booking(), key()
    first = gateway.place_hold(FEE, under_test.card, booking_id, same)
    again = gateway.place_hold(FEE, under_test.card, booking_id, same)

    assert again.id == first.id
    assert [i.id for i in gateway.intents_for_booking(booking_id)] == [first.id]


@pytest.mark.usefixtures("stripe_promise")
def test_the_same_key_with_other_parameters_is_refused(under_test: GatewayUnderTest) -> None:
    gateway, booking_id, same = under_test.gateway, booking(), key()
    gateway.place_hold(FEE, under_test.card, booking_id, same)

    with pytest.raises(PermanentPaymentError):
        gateway.place_hold(Money("CAD", 200), under_test.card, booking_id, same)


@pytest.mark.usefixtures("stripe_promise")
def test_capturing_a_released_hold_is_refused(under_test: GatewayUnderTest) -> None:
    gateway = under_test.gateway
    hold = gateway.place_hold(FEE, under_test.card, booking(), key())
    gateway.cancel(hold.id, key())

    with pytest.raises(PermanentPaymentError):
        gateway.capture(hold.id, key())


@pytest.mark.usefixtures("stripe_promise")
def test_refunding_more_than_was_captured_is_refused(under_test: GatewayUnderTest) -> None:
    gateway = under_test.gateway
    hold = gateway.place_hold(FEE, under_test.card, booking(), key())
    gateway.capture(hold.id, key())
    gateway.refund(hold.id, FEE, key())

    with pytest.raises(PermanentPaymentError):
        gateway.refund(hold.id, FEE, key())


class _RecordingClient(stripe.RequestsClient):
    """The SDK's own HTTP client, noting each request's method, path and Idempotency-Key."""

    def __init__(self) -> None:
        super().__init__(timeout=5)
        self.seen: list[tuple[str, str, str | None]] = []

    def request(self, method, url, headers, post_data=None):  # type: ignore[no-untyped-def]
        path = url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
        self.seen.append((method.upper(), f"/{path}", (headers or {}).get("Idempotency-Key")))
        return super().request(method, url, headers, post_data)


def test_every_mutating_stripe_call_carries_the_callers_idempotency_key(
    localstripe_url: str,
) -> None:
    recorder = _RecordingClient()
    gateway = StripePaymentGateway(
        "sk_test_x", base_url=localstripe_url, search_supported=False, http_client=recorder
    )
    card = _localstripe_card(localstripe_url, "4242424242424242")
    hold = gateway.place_hold(FEE, card, booking(), "k-hold")
    gateway.capture(hold.id, "k-capture")
    gateway.refund(hold.id, FEE, "k-refund")
    other = gateway.place_hold(FEE, card, booking(), "k-hold-2")
    gateway.cancel(other.id, "k-cancel")

    posts = [(path, sent) for method, path, sent in recorder.seen if method == "POST"]
    assert posts == [
        ("/v1/payment_intents", "k-hold"),
        (f"/v1/payment_intents/{hold.id}/capture", "k-capture"),
        ("/v1/refunds", "k-refund"),
        ("/v1/payment_intents", "k-hold-2"),
        (f"/v1/payment_intents/{other.id}/cancel", "k-cancel"),
    ]


# -- the relay through each adapter (memory storage, the gateway over HTTP) --------------


@pytest.fixture
def world(under_test: GatewayUnderTest) -> PaymentWorld:
    world = PaymentWorld(prefix=f"bk_{uuid.uuid4().hex[:8]}")  # unique on a shared server
    world.gateway = under_test.gateway  # type: ignore[assignment]
    return world


def settle(world: PaymentWorld) -> None:
    world.relay().drain()
    assert world.unfinished() == []


def test_the_relay_holds_captures_and_refunds_through_the_adapter(
    world: PaymentWorld, under_test: GatewayUnderTest
) -> None:
    booking_id = world.book(payment_method=under_test.card)
    settle(world)
    world.vendor_confirms(booking_id)
    settle(world)
    assert world.booking(booking_id).state is BookingState.RECEIPT_ISSUED

    world._change(
        booking_id,
        lambda b: b.roll_back(Actor(ActorType.ADMIN, "a1"), world.now, "drill"),
    )
    settle(world)

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.REFUNDED,
        PaymentStatus.REFUNDED,
    )
    intent = world.gateway.retrieve(booking.payment_intent_id or "")
    assert (intent.amount_captured, intent.amount_refunded) == (100, 100)
    report = reconcile(
        world.storage.unit_of_work(), world.gateway, world.clock, world.ids, world.telemetry
    )
    assert (report.double_charges, report.mismatches) == (0, ())


def test_an_auto_cancelled_booking_has_its_hold_released_through_the_adapter(
    world: PaymentWorld, under_test: GatewayUnderTest
) -> None:
    booking_id = world.book(payment_method=under_test.card)
    settle(world)
    world.clock.advance(timedelta(minutes=15))
    assert world.auto_cancel() == [booking_id]
    settle(world)

    booking = world.booking(booking_id)
    assert booking.payment_status is PaymentStatus.RELEASED
    assert booking.state is BookingState.CANCELLED
    assert world.gateway.retrieve(booking.payment_intent_id or "").status == "canceled"


def test_a_declined_card_ends_the_payment_frees_the_slot_tells_the_customer_and_no_dlq(
    world: PaymentWorld, under_test: GatewayUnderTest
) -> None:
    n = world._bookings + 1  # the customer and vendor PaymentWorld.book will name
    with world.storage.unit_of_work() as uow:
        uow.customers.add(Customer(CustomerId(f"c{n}"), "Dana Declined", "dana@example.test", ""))
        uow.commit()
    booking_id = world.book(payment_method=under_test.declined_card)

    report = world.relay().drain()

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.CANCELLED,
        PaymentStatus.FAILED,
    )
    assert (report.declined, report.dead) == (1, 0)
    assert outbox_status(world.storage.unit_of_work()).dlq_depth == 0
    with world.storage.unit_of_work() as uow:
        told = [(n.kind, n.recipient.address) for n in uow.notifications.for_booking(booking_id)]
    assert told == [(NotificationKind.PAYMENT_FAILED, "dana@example.test")]
