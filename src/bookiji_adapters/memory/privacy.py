"""InMemoryPrivacy: tombstones and a person's records, over the in-memory storage's state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from bookiji_adapters.memory.bookings import copy_booking
from bookiji_adapters.memory.state import Repo
from bookiji_core.access import Principal
from bookiji_core.booking import AuditEntry, Booking
from bookiji_core.errors import ConcurrentUpdate
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage
from bookiji_core.privacy import Tombstone, TombstoneState
from bookiji_core.privacy_queue import PrivacyRequest
from bookiji_core.quoting import Quote
from bookiji_core.usecases import privacy_records as records
from bookiji_core.values import BookingId, CustomerId, Interval, VendorId


class InMemoryPrivacy(Repo):
    """Tombstones live in `state.tombstones`; the rest reads and rewrites the other
    collections, always replacing values (never mutating them) so a rollback drops it all."""

    def add_tombstone(self, tombstone: Tombstone) -> None:
        self._s.tombstones[tombstone.subject_id] = attrs.evolve(tombstone)

    def tombstone(self, subject_id: str) -> Tombstone | None:
        stored = self._s.tombstones.get(subject_id)
        return None if stored is None else attrs.evolve(stored)

    def claim(self, subject_id: str) -> Tombstone | None:
        # The storage lock already serialises transactions: nobody else can hold it.
        found = self.tombstone(subject_id)
        return found if found is not None and found.pending else None

    def update_tombstone(self, tombstone: Tombstone) -> None:
        self._s.tombstones[tombstone.subject_id] = attrs.evolve(tombstone)

    def pending(self, limit: int) -> list[Tombstone]:
        found = sorted(
            (t for t in self._s.tombstones.values() if t.state is TombstoneState.PENDING),
            key=lambda t: (t.requested_at, t.subject_id),
        )
        return [attrs.evolve(t) for t in found[:limit]]

    def quotes_of(self, customer_id: CustomerId) -> list[Quote]:
        found = [q for q in self._s.quotes.values() if q.customer_id == customer_id]
        return sorted(found, key=lambda q: (q.created_at, q.id))

    def quote_records(self, customer_id: CustomerId) -> list[dict[str, Any]]:
        return [records.quote(q) for q in self.quotes_of(customer_id)]

    def booking_records(
        self,
        *,
        customer_id: CustomerId | None = None,
        vendor_id: VendorId | None = None,
        own_payments: bool,
    ) -> list[dict[str, Any]]:
        found = [
            b
            for b in self._s.bookings.values()
            if (customer_id is None or b.customer_id == customer_id)
            and (vendor_id is None or b.vendor_id == vendor_id)
        ]
        ids = [b.id for b in found]
        audit, outbox, ledger = self.audit_of(ids), self.outbox_of(ids), self.ledger_of(ids)
        return records.booking_trail(found, audit, outbox, ledger, own_payments=own_payments)

    def replace_quotes(self, quotes: Sequence[Quote]) -> None:
        for quote in quotes:
            self._s.quotes[quote.id] = quote

    def audit_of(self, booking_ids: Sequence[BookingId]) -> dict[BookingId, list[AuditEntry]]:
        found: dict[BookingId, list[AuditEntry]] = {b: [] for b in booking_ids}
        for entry in self._s.audit:
            if entry.booking_id in found:
                found[entry.booking_id].append(entry)
        return found

    def outbox_of(self, booking_ids: Sequence[BookingId]) -> dict[BookingId, list[OutboxMessage]]:
        found: dict[BookingId, list[OutboxMessage]] = {b: [] for b in booking_ids}
        for message in sorted(self._s.outbox.values(), key=lambda m: m.command.sequence):
            if message.command.booking_id in found:
                found[message.command.booking_id].append(message)
        return found

    def ledger_of(self, booking_ids: Sequence[BookingId]) -> dict[BookingId, list[LedgerEntry]]:
        found: dict[BookingId, list[LedgerEntry]] = {b: [] for b in booking_ids}
        for entry in self._s.ledger.values():
            if entry.booking_id in found:
                found[entry.booking_id].append(entry)
        return found

    def erase_payment_methods(self, bookings: Sequence[Booking], placeholder: str) -> None:
        for booking in bookings:
            stored = self._s.bookings.get(booking.id)
            if stored is None or stored.version != booking.version:
                raise ConcurrentUpdate(f"booking {booking.id} was changed by another transaction")
        for booking in bookings:
            booking.payment_method = placeholder
            booking.version += 1
            self._s.bookings[booking.id] = copy_booking(booking)

    def windows_of(self, vendor_id: VendorId) -> list[Interval]:
        return sorted(self._s.windows.get(vendor_id, []), key=lambda w: w.start)

    def principals_of(self, subject_id: str) -> list[Principal]:
        return [p for p in self._s.principals.values() if p.subject_id == subject_id]

    def revoke_principals(self, subject_id: str) -> int:
        held = [h for h, p in self._s.principals.items() if p.subject_id == subject_id]
        for token_hash in held:
            del self._s.principals[token_hash]
        return len(held)

    def idempotency_of(self, scope: str) -> list[IdempotencyRecord]:
        found = [r for (s, _), r in self._s.idempotency.items() if s == scope]
        return sorted(found, key=lambda r: (r.created_at, r.key))

    def erase_audit_reasons(self, actor_id: str, placeholder: str) -> int:
        erased = 0
        for i, entry in enumerate(self._s.audit):
            if entry.actor_id == actor_id and entry.reason != placeholder:
                self._s.audit[i] = attrs.evolve(entry, reason=placeholder)
                erased += 1
        return erased

    # The privacy request queue.

    def add_request(self, request: PrivacyRequest) -> None:
        self._s.privacy_requests[request.id] = attrs.evolve(request)

    def request(self, request_id: str) -> PrivacyRequest | None:
        stored = self._s.privacy_requests.get(request_id)
        return None if stored is None else attrs.evolve(stored)

    def claim_request(
        self, now: datetime, *, owner: str, lease: timedelta
    ) -> PrivacyRequest | None:
        for request in self.open_requests(len(self._s.privacy_requests)):
            if request.due(now):
                request.claimed(owner, now, lease)
                self.update_request(request)
                return request
        return None

    def update_request(self, request: PrivacyRequest) -> None:
        self._s.privacy_requests[request.id] = attrs.evolve(request)

    def open_requests(self, limit: int) -> list[PrivacyRequest]:
        found = sorted(
            (r for r in self._s.privacy_requests.values() if r.open),
            key=lambda r: (r.priority, r.requested_at, r.id),
        )
        return [attrs.evolve(r) for r in found[:limit]]

    def open_request_for(self, kind: str, subject_id: str) -> PrivacyRequest | None:
        for r in self.open_requests(len(self._s.privacy_requests)):
            if r.kind.value == kind and r.subject_id == subject_id:
                return r
        return None

    def erase_results(self, subject_id: str, placeholder: str) -> int:
        erased = 0
        for key, r in self._s.privacy_requests.items():
            if r.subject_id == subject_id and r.result not in (None, placeholder):
                self._s.privacy_requests[key] = attrs.evolve(r, result=placeholder)
                erased += 1
        return erased
