"""Quote rules: candidates near the customer, ranked, priced by the median of the top three."""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import attrs

from bookiji_core.catalogue import Vendor
from bookiji_core.errors import InvalidInput, ProviderNotCandidate, QuoteExpired
from bookiji_core.values import CustomerId, Interval, Location, Money, QuoteId, VendorId, is_slug

WEIGHT_RATING = 0.4
WEIGHT_DISTANCE = 0.3
WEIGHT_RESPONSE = 0.2
WEIGHT_AVAILABILITY = 0.1
# A vendor answering in this many minutes or more gets no response-time score.
RESPONSE_HORIZON_MINUTES = 120
ETA_PADDING_MINUTES = 15


@attrs.frozen
class QuotePolicy:
    """The pilot's commercial knobs; one instance per deployment."""

    currency: str = "CAD"
    commitment_fee_minor: int = 100
    ttl: timedelta = timedelta(minutes=15)
    max_candidates: int = 5
    min_rating: float = 4.0
    max_radius_km: float = 100.0
    max_duration_minutes: int = 12 * 60
    # How far ahead a customer may book; also keeps date arithmetic inside the calendar.
    max_days_ahead: int = 365
    # What a request that names no radius or duration asks for.
    default_radius_km: float = 10.0
    default_duration_minutes: int = 60

    @property
    def commitment_fee(self) -> Money:
        return Money(self.currency, self.commitment_fee_minor)


def _service_type(_inst: object, _attr: object, value: str) -> None:
    if not is_slug(value):
        raise InvalidInput("service_type", "service_type must be a short slug such as 'haircut'")


@attrs.frozen
class QuoteRequest:
    """What a customer asks for: a service near a place for an interval."""

    customer_id: CustomerId
    service_type: str = attrs.field(validator=_service_type)
    location: Location
    radius_km: float
    interval: Interval

    def validate(self, policy: QuotePolicy) -> None:
        if not 0 < self.radius_km <= policy.max_radius_km:
            raise InvalidInput(
                "location.radius_km", f"radius_km must be in (0, {policy.max_radius_km:g}]"
            )
        if not 0 < self.interval.minutes <= policy.max_duration_minutes:
            raise InvalidInput(
                "duration_minutes",
                f"duration_minutes must be between 1 and {policy.max_duration_minutes}",
            )

    def intent_hash(self) -> str:
        """Same customer, service, place (3 decimals), time and duration give the same hash."""
        place = self.location.rounded(3)
        parts = (
            self.customer_id,
            self.service_type,
            f"{place.latitude:.3f}",
            f"{place.longitude:.3f}",
            f"{self.radius_km:g}",
            self.interval.start.astimezone(UTC).isoformat(),
            str(self.interval.minutes),
        )
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


@attrs.frozen
class Candidate:
    vendor_id: VendorId
    price: Money
    eta_minutes: int
    zone: str
    distance_km: float
    score: float


@attrs.frozen
class Quote:
    id: QuoteId
    request: QuoteRequest
    candidates: tuple[Candidate, ...]
    price: Money
    eta_minutes: int
    commitment_fee: Money
    created_at: datetime
    expires_at: datetime
    intent_hash: str

    @property
    def customer_id(self) -> CustomerId:
        return self.request.customer_id

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at

    def ensure_live(self, now: datetime) -> None:
        if not self.is_live(now):
            raise QuoteExpired(f"quote {self.id} expired at {self.expires_at.isoformat()}")

    def candidate(self, vendor_id: str) -> Candidate:
        for candidate in self.candidates:
            if candidate.vendor_id == vendor_id:
                return candidate
        raise ProviderNotCandidate(f"provider {vendor_id} is not a candidate of quote {self.id}")


def free_fraction(windows: Sequence[Interval], busy: Sequence[Interval]) -> float:
    """Share of the vendor's open time (in `windows`) that no booking occupies."""
    open_seconds = sum((w.end - w.start).total_seconds() for w in windows)
    if open_seconds <= 0:
        return 0.0
    taken = 0.0
    for window in windows:
        for b in busy:
            if b.overlaps(window):
                start, end = max(b.start, window.start), min(b.end, window.end)
                taken += (end - start).total_seconds()
    return max(0.0, 1.0 - taken / open_seconds)


def is_free(interval: Interval, windows: Iterable[Interval], busy: Iterable[Interval]) -> bool:
    return any(w.contains(interval) for w in windows) and not any(
        b.overlaps(interval) for b in busy
    )


def rank_candidates(
    request: QuoteRequest,
    vendors: Iterable[Vendor],
    windows: Mapping[VendorId, Sequence[Interval]],
    busy: Mapping[VendorId, Sequence[Interval]],
    policy: QuotePolicy,
) -> list[Candidate]:
    """Eligible vendors scored 0.4 rating, 0.3 distance, 0.2 response, 0.1 availability.
    Each candidate's zone is the catalogue's label here; `request_quote` replaces it with the
    map provider's zone for the candidates it keeps."""
    scored: list[tuple[float, VendorId, Vendor, float]] = []
    for vendor in vendors:
        if not vendor.offers(request.service_type) or vendor.rating < policy.min_rating:
            continue
        if vendor.hourly_rate.currency != policy.currency:
            continue
        distance = request.location.distance_km(vendor.location)
        if distance > request.radius_km:
            continue
        vendor_windows = windows.get(vendor.id, ())
        vendor_busy = busy.get(vendor.id, ())
        if not is_free(request.interval, vendor_windows, vendor_busy):
            continue
        response = min(vendor.response_minutes, RESPONSE_HORIZON_MINUTES)
        score = (
            WEIGHT_RATING * vendor.rating / 5.0
            + WEIGHT_DISTANCE * (1.0 - distance / request.radius_km)
            + WEIGHT_RESPONSE * (1.0 - response / RESPONSE_HORIZON_MINUTES)
            + WEIGHT_AVAILABILITY * free_fraction(vendor_windows, vendor_busy)
        )
        scored.append((-round(score, 6), vendor.id, vendor, distance))
    # Ties break on vendor id so that the same data always gives the same ranking; only the
    # candidates kept are priced.
    scored.sort(key=lambda s: (s[0], s[1]))
    return [
        Candidate(
            vendor_id=vendor.id,
            price=vendor.hourly_rate.times_fraction(request.interval.minutes, 60),
            eta_minutes=vendor.response_minutes + ETA_PADDING_MINUTES,
            zone=vendor.zone,
            distance_km=round(distance, 3),
            score=-negative_score,
        )
        for negative_score, _, vendor, distance in scored[: policy.max_candidates]
    ]


def price_and_eta(candidates: Sequence[Candidate]) -> tuple[Money, int]:
    """Quote price is the median of the top three; ETA is their mean response time + 15 min."""
    top = candidates[:3]
    amounts = sorted(c.price.amount for c in top)
    mid = len(amounts) // 2
    # An even count takes the mean of the middle two, rounded half up to a minor unit.
    median = amounts[mid] if len(amounts) % 2 else (amounts[mid - 1] + amounts[mid] + 1) // 2
    eta = round(statistics.fmean(c.eta_minutes for c in top))
    return Money(top[0].price.currency, median), eta
