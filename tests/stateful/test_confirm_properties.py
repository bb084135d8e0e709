"""Confirm under duplicates, retries and concurrency: one booking per key, never an overlap."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookiji_adapters.maps import GridMapProvider
from bookiji_adapters.memory import InMemoryStorage, ManualClock, SequentialIds
from bookiji_core import Interval, Principal, QuotePolicy, QuoteRequest, Role
from bookiji_core.errors import DomainError
from bookiji_core.ports import UnitOfWork
from bookiji_core.usecases import ConfirmBooking, confirm_booking, request_quote
from tests.unit.conftest import HERE, NOW, make_vendor

CUSTOMERS = ("c1", "c2", "c3")
VENDORS = ("v1", "v2", "v3")
# Three slots, each overlapping its neighbour by 30 minutes.
SLOT_STARTS = tuple(NOW + timedelta(hours=2, minutes=30 * n) for n in range(3))
EXPECTED_REFUSALS = {"slot_taken", "idempotency_key_reused", "idempotency_key_in_progress"}

attempt = st.tuples(
    st.sampled_from(CUSTOMERS),
    st.integers(0, len(SLOT_STARTS) - 1),  # which quote (slot) of that customer
    st.sampled_from(VENDORS),
    st.sampled_from(("k1", "k2", "k3")),
    st.sampled_from(("pm_card_visa", "pm_card_mastercard")),
)
# Attempts in one batch run at the same time on separate threads; batches run one after another.
plans = st.lists(st.lists(attempt, min_size=1, max_size=6), min_size=1, max_size=5)

Storage = Callable[[], UnitOfWork]


def _world() -> tuple[Storage, ManualClock, SequentialIds, dict[tuple[str, int], str]]:
    storage = InMemoryStorage()
    clock, ids = ManualClock(NOW), SequentialIds()
    with storage.unit_of_work() as uow:
        for n, _ in enumerate(VENDORS, start=1):
            vendor = make_vendor(n)
            uow.vendors.add(vendor)
            uow.vendors.add_window(vendor.id, Interval(NOW, NOW + timedelta(days=1)))
        uow.commit()
    quotes = {}
    for customer, slot in itertools.product(CUSTOMERS, range(len(SLOT_STARTS))):
        request = QuoteRequest(
            customer,  # type: ignore[arg-type]
            "haircut",
            HERE,
            10.0,
            Interval.starting(SLOT_STARTS[slot], 60),
        )
        quote = request_quote(
            request, storage.unit_of_work(), clock, ids, QuotePolicy(), GridMapProvider()
        ).quote
        quotes[(customer, slot)] = quote.id
    return storage.unit_of_work, clock, ids, quotes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_any_mix_of_duplicate_retried_and_concurrent_confirms_is_safe(
    plan: list[list[tuple[str, int, str, str, str]]],
) -> None:
    uow_factory, clock, ids, quotes = _world()
    outcomes: dict[tuple[str, str], set[str]] = {}

    def run(step: tuple[str, int, str, str, str]) -> tuple[tuple[str, str], str]:
        customer, slot, vendor, key, method = step
        quote_id = quotes[(customer, slot)]
        cmd = ConfirmBooking(
            Principal(Role.CUSTOMER, customer),
            quote_id,
            vendor,
            method,
            key,
        )
        try:
            return (customer, key), confirm_booking(cmd, uow_factory(), clock, ids).booking.id
        except DomainError as refusal:
            assert refusal.code in EXPECTED_REFUSALS, refusal
            return (customer, key), f"!{refusal.code}"

    with ThreadPoolExecutor(max_workers=6) as pool:
        for batch in plan:
            for scope_key, outcome in pool.map(run, batch):
                outcomes.setdefault(scope_key, set()).add(outcome)

    with uow_factory() as uow:
        bookings = uow.bookings.list_for(limit=10_000)
        holds = {b.id: [m.command.action for m in uow.outbox.for_booking(b.id)] for b in bookings}

    # At most one booking per idempotency key, and every success under a key is that booking.
    made = {key: {o for o in seen if not o.startswith("!")} for key, seen in outcomes.items()}
    assert all(len(ids_) <= 1 for ids_ in made.values()), made
    assert len(bookings) == sum(len(ids_) for ids_ in made.values())
    # Never two overlapping active bookings for one vendor.
    for a, b in itertools.combinations(bookings, 2):
        assert not (a.vendor_id == b.vendor_id and a.interval.overlaps(b.interval)), (a, b)
    # Exactly one hold requested per booking.
    assert all(actions == ["place_hold"] for actions in holds.values()), holds
