"""How SimCity's people behave: customers quote, confirm (retrying as an HTTP client would) and
sometimes cancel; vendors answer fast, slowly or never. Each move is one `Actions` call; what
follows it is scheduled on a `Scheduler` (virtual time in a run, the wall clock in the daemon).

In a run, a vendor answers because it was told: `vendor_told` is fed by SimCity's notifier
(bookiji_adapters/simcity/notifier.py) when the delivery worker hands it the vendor's
`booking.awaiting_vendor`, and the vendor's temper (`reply_after`) decides how long after that
it confirms. The daemon's vendors are told the same way by the server's own notification worker
when its emails stay in memory; otherwise each answers on its own clock from the booking
(`replies_on_booking`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Protocol

import attrs

from bookiji_core.booking import Booking
from bookiji_core.errors import ConcurrentUpdate, DomainError, IdempotencyInProgress
from bookiji_core.idempotency import IN_PROGRESS_LEASE
from bookiji_core.notifications import Envelope, NotificationKind, Role
from bookiji_core.quoting import QuoteRequest
from bookiji_core.values import BookingId, CustomerId, VendorId
from bookiji_simcity.faults import SimulatedCrash
from bookiji_simcity.world import Actions

MAX_ATTEMPTS = 6


class Scheduler(Protocol):
    def after(self, seconds: float, name: str, action: Callable[[], object]) -> None:
        """Run `action` `seconds` from now (0: at this same instant, racing what runs now)."""
        ...


@attrs.frozen
class Session:
    """One customer's intent: quote this, book that, maybe cancel."""

    customer_id: CustomerId
    request: QuoteRequest
    method: str = "pm_card_visa"
    pick: str | int = 0  # a vendor id (to aim at one slot) or a rank among the candidates
    cancel_after: float | None = None
    double_submit: bool = False


Log = Callable[[str, str], None]
ReplyAfter = Callable[[VendorId], float | None]


def retry_delay(error: BaseException, attempt: int) -> float | None:
    """When an HTTP client would try again (same key), or None if the answer is final."""
    if attempt >= MAX_ATTEMPTS:
        return None
    if isinstance(error, IdempotencyInProgress):
        return IN_PROGRESS_LEASE.total_seconds() + 1.0  # wait out the crashed request's lease
    if isinstance(error, SimulatedCrash | ConcurrentUpdate):
        return float(2 ** (attempt - 1))
    return None


class Traffic:
    def __init__(
        self,
        actions: Actions,
        scheduler: Scheduler,
        log: Log,
        reply_after: ReplyAfter,
        counts: Counter[str] | None = None,
        *,
        replies_on_booking: bool = False,
    ) -> None:
        self._actions = actions
        self._scheduler = scheduler
        self._log = log
        self._reply_after = reply_after
        self._on_booking = replies_on_booking
        self._heard: set[str] = set()
        self.counts: Counter[str] = counts if counts is not None else Counter()
        self.bookings: list[BookingId] = []
        self.booked_by: dict[CustomerId, list[BookingId]] = {}
        self.refusals: list[tuple[str, str, str]] = []  # (move, who, error code)
        self._sessions = 0

    def begin(self, session: Session) -> None:
        """Quote now, then confirm the picked candidate (twice at once on a double click)."""
        self._sessions += 1
        key = f"idem-{session.customer_id}-{self._sessions}"
        who = session.customer_id
        try:
            result = self._actions.quote(session.request)
        except DomainError as refusal:
            self._refused("quote", who, refusal)
            return
        quote = result.quote
        self.counts["quote"] += 1
        ranked = [c.vendor_id for c in quote.candidates]
        pick = session.pick
        provider = ranked[min(pick, len(ranked) - 1)] if isinstance(pick, int) else pick
        self._log(who, f"quoted {quote.id} {len(ranked)} candidates, picks {provider}")
        # The confirm is its own request; a double click sends it twice at the same instant.
        for _ in range(2 if session.double_submit else 1):
            self._scheduler.after(
                0, f"{who}:confirm", lambda: self._confirm(session, quote.id, provider, key, 1)
            )

    def _confirm(self, s: Session, quote_id: str, provider: str, key: str, attempt: int) -> None:
        who = s.customer_id
        try:
            result = self._actions.confirm(who, quote_id, provider, s.method, key)
        except (DomainError, SimulatedCrash) as error:
            delay = self._retry_or_refuse("confirm", who, error, attempt)
            if delay is not None:
                self._scheduler.after(
                    delay,
                    f"{who}:confirm",
                    lambda: self._confirm(s, quote_id, provider, key, attempt + 1),
                )
            return
        booking = result.booking
        if result.replayed:
            self.counts["replayed"] += 1
            self._log(who, f"confirm {key} replayed {booking.id}")
            return
        self.counts["booked"] += 1
        self.bookings.append(booking.id)
        self.booked_by.setdefault(who, []).append(booking.id)
        self._log(who, f"booked {booking.id} with {booking.vendor_id} ({key})")
        self._after_booked(booking, s)

    def _after_booked(self, booking: Booking, s: Session) -> None:
        if self._on_booking:
            self._reply(booking.vendor_id, booking.id)
        if s.cancel_after is not None:
            self._scheduler.after(
                s.cancel_after,
                f"{s.customer_id}:cancel",
                lambda: self._cancel(s.customer_id, booking.id, 1),
            )

    def vendor_told(self, envelope: Envelope) -> None:
        """A notification reached someone (the Notifier's listener). A vendor told that a
        booking waits for it answers after its temper's delay; being told twice (delivery is
        at least once) changes nothing."""
        notification = envelope.notification
        if notification.kind is not NotificationKind.AWAITING_VENDOR:
            return
        if envelope.recipient.role is not Role.VENDOR or notification.id in self._heard:
            return
        self._heard.add(notification.id)
        vendor_id = VendorId(envelope.recipient.principal_id)
        self.counts["vendor_told"] += 1
        self._log(vendor_id, f"told of {notification.booking_id}")
        self._reply(vendor_id, notification.booking_id)

    def _reply(self, vendor_id: VendorId, booking_id: BookingId) -> None:
        reply = self._reply_after(vendor_id)
        if reply is not None:
            self._scheduler.after(
                reply, f"{vendor_id}:reply", lambda: self._vendor(vendor_id, booking_id, 1)
            )

    def _vendor(self, vendor_id: VendorId, booking_id: BookingId, attempt: int) -> None:
        try:
            self._actions.vendor_confirm(vendor_id, booking_id)
        except (DomainError, SimulatedCrash) as error:
            delay = self._retry_or_refuse("vendor_confirm", vendor_id, error, attempt)
            if delay is not None:
                self._scheduler.after(
                    delay,
                    f"{vendor_id}:reply",
                    lambda: self._vendor(vendor_id, booking_id, attempt + 1),
                )
            return
        self.counts["vendor_confirmed"] += 1
        self._log(vendor_id, f"confirmed {booking_id}")

    def _cancel(self, customer_id: CustomerId, booking_id: BookingId, attempt: int) -> None:
        try:
            self._actions.cancel(customer_id, booking_id, "changed my mind")
        except (DomainError, SimulatedCrash) as error:
            delay = self._retry_or_refuse("cancel", customer_id, error, attempt)
            if delay is not None:
                self._scheduler.after(
                    delay,
                    f"{customer_id}:cancel",
                    lambda: self._cancel(customer_id, booking_id, attempt + 1),
                )
            return
        self.counts["cancelled"] += 1
        self._log(customer_id, f"cancelled {booking_id}")

    def _retry_or_refuse(
        self, what: str, who: str, error: DomainError | SimulatedCrash, attempt: int
    ) -> float | None:
        delay = retry_delay(error, attempt)
        code = error.code if isinstance(error, DomainError) else "crash"
        if delay is None:
            self._refused(what, who, error)
        else:
            self.counts[f"{what}_retry"] += 1
            self._log(who, f"{what} attempt {attempt} failed ({code}), retries in {delay:g}s")
        return delay

    def _refused(self, what: str, who: str, error: DomainError | SimulatedCrash) -> None:
        code = error.code if isinstance(error, DomainError) else "crash"
        self.counts[f"{what}_refused:{code}"] += 1
        self.refusals.append((what, who, code))
        self._log(who, f"{what} refused: {code}")
