"""Privacy requests on memory storage: export completeness, soft delete, and the shredder."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import attrs
import pytest

from bookiji_adapters.maps import GridMapProvider
from bookiji_adapters.memory import InMemoryStorage, ManualClock, SequentialIds
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_core import Customer, CustomerId, Interval, Location, QuotePolicy, QuoteRequest
from bookiji_core.access import Principal, Role, hash_token
from bookiji_core.booking import BookingState
from bookiji_core.errors import (
    Forbidden,
    InvalidInput,
    NoProvidersAvailable,
    NotFound,
    Unauthenticated,
)
from bookiji_core.payments import PaymentStatus
from bookiji_core.privacy import ERASED, SubjectKind, Tombstone, TombstoneState
from bookiji_core.usecases import (
    ConfirmBooking,
    OutboxRelay,
    authenticate,
    cancel_booking,
    confirm_booking,
    request_quote,
)
from bookiji_core.usecases import privacy as privacy_usecases
from bookiji_core.usecases.privacy import (
    export_subject,
    pending_deletions,
    privacy_status,
    request_deletion,
    shred_due,
)
from tests.unit.conftest import NOW, make_vendor

ALICE = CustomerId("c1")
ALICE_PII = ("Alice Example", "alice@example.test", "+1 604 555 0199")
ASKED_FROM = Location(49.28271, -123.12069)
ADMIN = Principal(Role.ADMIN, "adm_privacy")


class RecordingTelemetry:
    """Keeps the privacy durations it is told about; ignores the rest."""

    def __init__(self) -> None:
        self.privacy: list[tuple[str, float]] = []

    def privacy_request(self, kind: str, seconds: float) -> None:
        self.privacy.append((kind, seconds))

    def __getattr__(self, _name: str) -> Any:
        return lambda *args, **kwargs: None


@attrs.define
class PrivacyWorld:
    storage: InMemoryStorage = attrs.field(factory=InMemoryStorage)
    clock: ManualClock = attrs.field(factory=lambda: ManualClock(NOW))
    ids: SequentialIds = attrs.field(factory=SequentialIds)
    telemetry: RecordingTelemetry = attrs.field(factory=RecordingTelemetry)
    gateway: SimCityPaymentGateway = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.gateway = SimCityPaymentGateway(clock=self.clock, rng=random.Random(1))
        day = Interval(NOW.replace(hour=0), NOW.replace(hour=0) + timedelta(days=7))
        with self.uow() as uow:
            for vendor in (make_vendor(1), make_vendor(2), make_vendor(3)):
                uow.vendors.add(vendor)
                uow.vendors.add_window(vendor.id, day)
                uow.principals.add(hash_token(f"tok-{vendor.id}"), vendor_principal(vendor.id))
            uow.customers.add(Customer(ALICE, *ALICE_PII))
            uow.principals.add(hash_token("tok-alice"), alice())
            uow.commit()

    def uow(self) -> Any:
        return self.storage.unit_of_work()

    def book(self, hours_ahead: int = 2, key: str = "k1") -> str:
        request = QuoteRequest(
            customer_id=ALICE,
            service_type="haircut",
            location=ASKED_FROM,
            radius_km=10,
            interval=Interval.starting(NOW + timedelta(hours=hours_ahead), 60),
        )
        result = request_quote(
            request, self.uow(), self.clock, self.ids, QuotePolicy(), GridMapProvider()
        )
        quote = result.quote
        command = ConfirmBooking(
            alice(), quote.id, quote.candidates[0].vendor_id, "pm_card_visa", key
        )
        return confirm_booking(command, self.uow(), self.clock, self.ids).booking.id

    def relay(self) -> None:
        OutboxRelay(self.uow(), self.gateway, self.clock, self.telemetry, owner="r1").drain()

    def export(self, principal: Principal | None = None, subject: str = ALICE) -> dict[str, Any]:
        return export_subject(subject, principal or ADMIN, self.uow(), self.clock, self.telemetry)

    def delete(self, principal: Principal | None = None, subject: str = ALICE) -> Tombstone:
        return request_deletion(subject, principal or ADMIN, "GDPR art. 17", self.uow(), self.clock)

    def shred(self) -> Any:
        return shred_due(self.uow(), self.clock, self.telemetry)

    def access_log(self, subject: str = ALICE) -> list[tuple[str, str]]:
        with self.uow() as uow:
            return [(e.purpose, e.actor_id) for e in uow.access_log.for_subject(subject)]


def alice() -> Principal:
    return Principal(Role.CUSTOMER, ALICE)


def vendor_principal(vendor_id: str) -> Principal:
    return Principal(Role.VENDOR, vendor_id)


@pytest.fixture
def world() -> PrivacyWorld:
    return PrivacyWorld()


def strings_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {s for v in value.values() for s in strings_in(v)}
    if isinstance(value, list):
        return {s for v in value for s in strings_in(v)}
    return {value} if isinstance(value, str) else set()


# --- export -----------------------------------------------------------------------------------


def test_an_export_holds_every_record_about_the_customer_across_the_schema(
    world: PrivacyWorld,
) -> None:
    booking_id = world.book()
    world.relay()  # the hold is placed: the outbox message commits, the ledger records it

    export = world.export()

    assert export["subject"] == {"id": ALICE, "kind": "customer"}
    assert export["profile"] == {
        "id": ALICE,
        "name": ALICE_PII[0],
        "email": ALICE_PII[1],
        "phone": ALICE_PII[2],
    }
    assert export["logins"] == [{"role": "customer", "subject_id": ALICE}]
    [quote] = export["quotes"]
    assert quote["location"]["latitude"] == ASKED_FROM.latitude
    [booking] = export["bookings"]
    assert booking["booking_id"] == booking_id
    assert booking["payment_method"] == "pm_card_visa"
    assert [a["action"] for a in booking["audit"]] == ["confirm"]
    assert [(m["action"], m["state"]) for m in booking["payment_messages"]] == [
        ("place_hold", "committed")
    ]
    assert [e["kind"] for e in booking["ledger"]] == ["hold"]
    assert [k["booking_id"] for k in export["idempotency_keys"]] == [booking_id]
    assert [e["purpose"] for e in export["access_log"]] == ["booking.confirm"]
    assert export["deletion"] is None


def test_an_export_is_access_logged_and_its_duration_reported(world: PrivacyWorld) -> None:
    world.export(alice())

    assert world.access_log()[-1] == ("privacy.export", ALICE)
    assert [kind for kind, _ in world.telemetry.privacy] == ["export"]


def test_an_export_names_no_other_customer(world: PrivacyWorld) -> None:
    world.book()
    with world.uow() as uow:
        uow.customers.add(Customer(CustomerId("c2"), "Bob Other", "bob@example.test", "+1 555"))
        uow.commit()

    assert not strings_in(world.export()) & {"Bob Other", "bob@example.test", "c2"}


def test_a_vendor_export_leaves_out_the_customers_card_and_payment_trail(
    world: PrivacyWorld,
) -> None:
    world.book()
    vendor_id = world.export()["bookings"][0]["provider_id"]

    export = world.export(vendor_principal(vendor_id), subject=vendor_id)

    assert export["subject"]["kind"] == "vendor"
    assert export["profile"]["address"].endswith("Main St")
    assert export["profile"]["open_windows"]
    [booking] = export["bookings"]
    assert "payment_method" not in booking
    assert "ledger" not in booking and "payment_messages" not in booking


@pytest.mark.parametrize(
    "principal",
    [Principal(Role.CUSTOMER, "c2"), Principal(Role.VENDOR, "v1")],
    ids=["another customer", "a vendor"],
)
def test_only_the_person_or_a_privacy_officer_may_export_or_delete(
    world: PrivacyWorld, principal: Principal
) -> None:
    with pytest.raises(Forbidden):
        world.export(principal)
    with pytest.raises(Forbidden):
        world.delete(principal)
    assert world.access_log() == []


def test_an_unknown_subject_is_not_found(world: PrivacyWorld) -> None:
    with pytest.raises(NotFound):
        world.export(subject="nobody")
    with pytest.raises(NotFound):
        world.delete(subject="nobody")


# --- delete -----------------------------------------------------------------------------------


def test_a_deletion_request_tombstones_the_person_and_revokes_their_logins_at_once(
    world: PrivacyWorld,
) -> None:
    tombstone = world.delete(alice())

    assert tombstone.state is TombstoneState.PENDING
    assert (tombstone.requested_by, tombstone.requested_at) == (ALICE, NOW)
    with pytest.raises(Unauthenticated):
        authenticate("tok-alice", world.uow())
    assert world.access_log()[-1] == ("privacy.delete", ALICE)
    status = privacy_status(ALICE, ADMIN, world.uow())
    assert status.kind is SubjectKind.CUSTOMER and status.tombstone == tombstone


def test_asking_twice_returns_the_first_tombstone(world: PrivacyWorld) -> None:
    first = world.delete(alice())
    world.clock.advance(timedelta(seconds=5))

    assert world.delete() == first
    assert len(pending_deletions(world.uow())) == 1


def test_a_deleted_vendor_is_no_longer_a_candidate_for_quotes(world: PrivacyWorld) -> None:
    for vendor_id in ("v1", "v2", "v3"):
        world.delete(subject=vendor_id)

    with pytest.raises(NoProvidersAvailable):
        world.book()
    with pytest.raises(Unauthenticated):
        authenticate("tok-v1", world.uow())


def test_a_deletion_needs_a_reason(world: PrivacyWorld) -> None:
    with pytest.raises(InvalidInput):
        request_deletion(ALICE, ADMIN, "  ", world.uow(), world.clock)


# --- shred ------------------------------------------------------------------------------------


def test_the_shredder_erases_the_customer_and_keeps_bookings_and_ledger_amounts(
    world: PrivacyWorld,
) -> None:
    booking_id = world.book()
    world.relay()
    world.delete()
    world.clock.advance(timedelta(seconds=3))

    report = world.shred()

    assert report.shredded == (ALICE,)
    export = world.export()
    assert not strings_in(export) & set(ALICE_PII)
    assert export["profile"] == {"id": ALICE, "name": ERASED, "email": ERASED, "phone": ERASED}
    [booking] = export["bookings"]
    assert booking["booking_id"] == booking_id and booking["payment_method"] == ERASED
    assert booking["commitment_fee"] == {"amount": 100, "currency": "CAD"}
    assert [(e["kind"], e["amount"]["amount"]) for e in booking["ledger"]] == [("hold", 100)]
    assert export["deletion"]["state"] == "shredded"
    assert ("delete", 3.0) in world.telemetry.privacy


def test_a_shredded_quote_no_longer_locates_the_customer(world: PrivacyWorld) -> None:
    world.book()
    with world.uow() as uow:
        [before] = uow.privacy.quotes_of(ALICE)
    world.delete()

    world.shred()

    with world.uow() as uow:
        [after] = uow.privacy.quotes_of(ALICE)
    assert after.request.location == Location(49.3, -123.1)
    assert {(c.distance_km, c.score) for c in after.candidates} == {(0.0, 0.0)}
    assert after.intent_hash != before.intent_hash
    assert [c.vendor_id for c in after.candidates] == [c.vendor_id for c in before.candidates]


def test_the_shredder_waits_for_a_card_hold_still_to_be_placed(world: PrivacyWorld) -> None:
    booking_id = world.book()
    world.delete()

    first = world.shred()

    assert first.waiting == (ALICE,) and first.shredded == ()
    with world.uow() as uow:
        booking = uow.bookings.get(booking_id)
        assert booking is not None and booking.payment_method == "pm_card_visa"
        assert uow.customers.get(ALICE) == Customer(ALICE, ERASED, ERASED, ERASED)
    world.relay()  # the hold is placed with the card reference
    assert world.shred().shredded == (ALICE,)
    with world.uow() as uow:
        booking = uow.bookings.get(booking_id)
    assert booking is not None and booking.payment_method == ERASED
    assert booking.payment_status is PaymentStatus.HELD
    assert world.gateway.retrieve(booking.payment_intent_id).was_held  # type: ignore[arg-type]


def test_the_reason_a_customer_typed_when_cancelling_is_erased(world: PrivacyWorld) -> None:
    booking_id = world.book()
    world.relay()
    cancel_booking(
        booking_id, alice(), world.uow(), world.clock, world.ids, "call me on 604 555 0199"
    )
    world.delete()

    world.shred()

    with world.uow() as uow:
        audit = uow.audit.for_booking(booking_id)
        booking = uow.bookings.get(booking_id)
    assert [(e.action, e.reason) for e in audit] == [("confirm", ERASED), ("cancel", ERASED)]
    assert booking is not None and booking.state is BookingState.CANCELLED


def test_shredding_twice_changes_nothing_and_logs_once(world: PrivacyWorld) -> None:
    world.book()
    world.relay()
    world.delete()

    world.shred()
    again = world.shred()

    assert again.shredded == () and again.waiting == ()
    purposes = [p for p, _ in world.access_log()]
    assert purposes.count("privacy.delete") == 2  # the request, and the shred
    assert [kind for kind, _ in world.telemetry.privacy] == ["delete"]


def test_a_shredded_vendor_keeps_only_its_zone_and_a_coarse_position(
    world: PrivacyWorld,
) -> None:
    world.delete(subject="v1")

    world.shred()

    with world.uow() as uow:
        vendor = uow.vendors.get("v1")
    assert vendor is not None
    assert (vendor.name, vendor.email, vendor.phone, vendor.address) == (ERASED,) * 4
    assert vendor.location == Location(49.3, -123.1)
    assert vendor.zone == "Vancouver – Downtown" and vendor.services == frozenset()


class CommitCounting:
    """A unit of work that counts its commits (how many transactions the shredder used)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.commits = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> Any:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def commit(self) -> None:
        self.commits += 1
        self._inner.commit()


def test_a_long_history_is_shredded_in_short_transactions_in_one_pass(
    world: PrivacyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        world.book(hours_ahead=2 + 2 * n, key=f"k{n}")
    world.relay()
    world.delete()
    monkeypatch.setattr(privacy_usecases, "SHRED_BATCH", 2)
    uow = CommitCounting(world.uow())

    report = shred_due(uow, world.clock, world.telemetry)  # type: ignore[arg-type]

    assert report.shredded == (ALICE,)
    # 3 quotes and 3 bookings to rewrite: 3 batches of 2, then the profile and the tombstone.
    assert uow.commits == 4
    with world.uow() as check:
        bookings = check.bookings.list_for(customer_id=ALICE)
        quotes = check.privacy.quotes_of(ALICE)
    assert {b.payment_method for b in bookings} == {ERASED}
    assert all(q.request.location == Location(49.3, -123.1) for q in quotes)
    assert [p for p, _ in world.access_log()].count("privacy.delete") == 2
