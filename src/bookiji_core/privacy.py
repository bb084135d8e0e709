"""Privacy requests: the tombstone of a deletion, and the rules that erase personal data."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.booking import Booking
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.errors import Forbidden, IllegalTransition, InvalidInput
from bookiji_core.payments import PaymentStatus
from bookiji_core.quoting import Quote

# What every erased text field holds afterwards. Not a value anyone could have typed as a
# name, so an erased row is recognisable without a separate flag.
ERASED = "[erased]"
# Decimal places kept of an erased location: one (about 11 km) says "this city", not "this
# street", which is what demand figures need and all they get.
COARSE_PLACES = 1
MAX_REASON_LENGTH = 500
EXPORT_PURPOSE = "privacy.export"
DELETE_PURPOSE = "privacy.delete"
SHREDDER_ACTOR = "system:shredder"


class SubjectKind(enum.StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"


class TombstoneState(enum.StrEnum):
    PENDING = "pending"
    SHREDDED = "shredded"


def require_privacy_access(principal: Principal, subject_id: str) -> None:
    """A privacy officer (admin) may act on anyone; a person only on themself."""
    if principal.role is Role.ADMIN or principal.subject_id == subject_id:
        return
    raise Forbidden("only the person themself or a privacy officer (admin) may ask this")


@attrs.define
class Tombstone:
    """A deletion request: the subject counts as deleted from `requested_at` (no login, not
    listed); the shredder erases their personal data and marks it shredded. It holds ids,
    times and the officer's reason, never personal data, so it outlives the data it buries."""

    subject_id: str
    subject_kind: SubjectKind
    requested_by: str
    requested_at: datetime
    reason: str
    state: TombstoneState = TombstoneState.PENDING
    shredded_at: datetime | None = None

    @classmethod
    def request(
        cls, subject_id: str, kind: SubjectKind, principal: Principal, reason: str, now: datetime
    ) -> Tombstone:
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON_LENGTH:
            raise InvalidInput(
                "reason", f"a reason of 1 to {MAX_REASON_LENGTH} characters is required"
            )
        return cls(subject_id, kind, principal.subject_id, now, reason)

    @property
    def pending(self) -> bool:
        return self.state is TombstoneState.PENDING

    def mark_shredded(self, now: datetime) -> float:
        """The data is gone; returns the seconds the whole deletion took (the SLI)."""
        if not self.pending:
            raise IllegalTransition(f"the data of {self.subject_id} is already shredded")
        self.state = TombstoneState.SHREDDED
        self.shredded_at = now
        return max(0.0, (now - self.requested_at).total_seconds())


def erase_customer(customer: Customer) -> Customer:
    return attrs.evolve(customer, name=ERASED, email=ERASED, phone=ERASED)


def delist_vendor(vendor: Vendor) -> Vendor:
    """A vendor with no services is never a candidate: deleted vendors leave quotes at once."""
    return attrs.evolve(vendor, services=frozenset())


def erase_vendor(vendor: Vendor) -> Vendor:
    """Contact and address erased, exact coordinates coarsened; the zone (public) stays."""
    return attrs.evolve(
        delist_vendor(vendor),
        name=ERASED,
        email=ERASED,
        phone=ERASED,
        address=ERASED,
        location=vendor.location.rounded(COARSE_PLACES),
    )


def quote_is_erased(quote: Quote) -> bool:
    return quote.intent_hash == _erased_intent(quote)


def erase_quote(quote: Quote) -> Quote:
    """Coarsen where the customer asked from. The candidates' distances and scores go too: with
    the vendors' known positions they would triangulate the exact point again, and so would
    the intent hash (a hash of the rounded point, small enough to search)."""
    request = attrs.evolve(quote.request, location=quote.request.location.rounded(COARSE_PLACES))
    candidates = tuple(attrs.evolve(c, distance_km=0.0, score=0.0) for c in quote.candidates)
    return attrs.evolve(
        quote, request=request, candidates=candidates, intent_hash=_erased_intent(quote)
    )


def _erased_intent(quote: Quote) -> str:
    # Unique per quote, derived from nothing personal, and never equal to a live intent.
    return hashlib.sha256(f"erased|{quote.id}".encode()).hexdigest()


def erase_payment_reference(booking: Booking) -> bool | None:
    """Erase the card reference once the payment provider no longer needs it. True if erased
    now, False if already erased, None if kept: the $1 hold is still to be placed with it
    (the relay would send the placeholder to the provider, and the hold would fail)."""
    if booking.payment_method == ERASED:
        return False
    if booking.payment_status is PaymentStatus.HOLD_PENDING:
        return None
    booking.payment_method = ERASED
    return True
