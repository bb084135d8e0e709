"""request_quote: rank nearby free vendors and price the intent, reusing a live quote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from bookiji_core.availability import open_windows, priced_for
from bookiji_core.catalogue import Vendor
from bookiji_core.errors import InvalidInput, NoProvidersAvailable, TimeInPast
from bookiji_core.ports import Clock, Ids, MapProvider, UnitOfWork
from bookiji_core.quoting import (
    Candidate,
    Quote,
    QuotePolicy,
    QuoteRequest,
    price_and_eta,
    rank_candidates,
)
from bookiji_core.values import Area, Interval, QuoteId


@attrs.frozen
class QuoteResult:
    quote: Quote
    reused: bool


def _day_around(interval: Interval) -> Interval:
    start = interval.start.astimezone(UTC)
    day = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return Interval(day, max(day + timedelta(days=1), interval.end))


def _still_open(uow: UnitOfWork, quote: Quote) -> bool:
    """A live quote is reused only while none of its candidates has been booked meanwhile
    (by this customer or anyone): a stale offer would only lead to slot_taken."""
    interval = quote.request.interval
    busy = uow.bookings.busy([c.vendor_id for c in quote.candidates], interval)
    return not any(busy.values())


def _reusable(uow: UnitOfWork, intent: str, now: datetime) -> Quote | None:
    existing = uow.quotes.live_by_intent(intent, now)
    return existing if existing is not None and _still_open(uow, existing) else None


def _ranked(
    uow: UnitOfWork, request: QuoteRequest, policy: QuotePolicy
) -> tuple[list[Vendor], list[Candidate]]:
    area = Area(request.location, request.radius_km)
    # The storage narrows to a box around the circle; the vendors in its corners are dropped
    # here, before their catalogues, windows and bookings are read.
    offering_nearby = uow.vendors.offering(request.service_type, policy.min_rating, area)
    nearby = [v for v in offering_nearby if area.contains(v.location)]
    day = _day_around(request.interval)
    vendor_ids = [v.id for v in nearby]
    # Read on every quote, never cached: a catalogue change is seen by the next quote.
    catalogues = uow.catalogues.for_vendors(vendor_ids)
    offering = priced_for(request.service_type, request.interval.minutes, nearby, catalogues)
    windows = open_windows(vendor_ids, catalogues, uow.vendors.windows(vendor_ids, day), day)
    busy = uow.bookings.busy(vendor_ids, day)
    return nearby, rank_candidates(request, offering, windows, busy, policy)


def _public_zones(
    candidates: list[Candidate], vendors: list[Vendor], maps: MapProvider
) -> list[Candidate]:
    """The zone a customer sees is the map provider's name for the vendor's area, never its
    address. Only the candidates kept (at most `max_candidates`) are looked up."""
    where = {v.id: v.location for v in vendors}
    return [attrs.evolve(c, zone=maps.zone_for(where[c.vendor_id], c.zone)) for c in candidates]


def request_quote(
    request: QuoteRequest,
    uow: UnitOfWork,
    clock: Clock,
    ids: Ids,
    policy: QuotePolicy,
    maps: MapProvider,
) -> QuoteResult:
    request.validate(policy)
    now = clock.now()
    if request.interval.start <= now:
        raise TimeInPast("date_time must be in the future")
    if request.interval.start > now + timedelta(days=policy.max_days_ahead):
        raise InvalidInput(
            "date_time", f"date_time must be within {policy.max_days_ahead} days from now"
        )
    intent = request.intent_hash()
    with uow.read_only():  # ranking only reads: on SQLite it must not hold the write lock
        existing = _reusable(uow, intent, now)
        if existing is not None:
            return QuoteResult(existing, reused=True)
        nearby, candidates = _ranked(uow, request, policy)
    if not candidates:
        raise NoProvidersAvailable(
            f"no {request.service_type} provider rated {policy.min_rating:g}+ is free within "
            f"{request.radius_km:g} km at that time"
        )
    # Zones are looked up with no transaction open: a slow map service must not hold the
    # database (SQLite's write lock, a PostgreSQL connection) while it answers.
    candidates = _public_zones(candidates, nearby, maps)
    price, eta = price_and_eta(candidates)
    quote = Quote(
        id=QuoteId(ids.new("q")),
        request=request,
        candidates=tuple(candidates),
        price=price,
        eta_minutes=eta,
        commitment_fee=policy.commitment_fee,
        created_at=now,
        expires_at=now + policy.ttl,
        intent_hash=intent,
    )
    with uow:
        existing = _reusable(uow, intent, now)
        if existing is not None:  # the same intent was quoted meanwhile (a double submit)
            return QuoteResult(existing, reused=True)
        uow.quotes.add(quote)
        uow.commit()
    return QuoteResult(quote, reused=False)
