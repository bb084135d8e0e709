"""The set-based half of the Privacy port: a person's trail read and rewritten a batch of rows
per statement, so an export or an erasure costs a few statements whatever their history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bookiji_core.booking import AuditEntry, Booking
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage
from bookiji_core.quoting import Quote
from bookiji_core.values import BookingId, CustomerId, VendorId


class PrivacyBulk(Protocol):
    def booking_records(
        self,
        *,
        customer_id: CustomerId | None = None,
        vendor_id: VendorId | None = None,
        own_payments: bool,
    ) -> list[dict[str, Any]]:
        """The customer's (or vendor's) bookings as privacy-export records, oldest first
        (created_at, id): `privacy_records.booking_trail` of them, field for field, read a few
        set-based statements at a time, without a domain object per row. With `own_payments`
        each also has its card reference, `payment_messages` and `ledger`."""
        ...

    def quote_records(self, customer_id: CustomerId) -> list[dict[str, Any]]:
        """The customer's quotes as privacy-export records (`privacy_records.quote`), oldest
        first (created_at, id)."""
        ...

    def audit_of(self, booking_ids: Sequence[BookingId]) -> Mapping[BookingId, list[AuditEntry]]:
        """Each booking's audit trail in order; every booking asked about gets a list."""
        ...

    def outbox_of(
        self, booking_ids: Sequence[BookingId]
    ) -> Mapping[BookingId, list[OutboxMessage]]:
        """Each booking's payment messages in sequence order; a list for every booking."""
        ...

    def ledger_of(self, booking_ids: Sequence[BookingId]) -> Mapping[BookingId, list[LedgerEntry]]:
        """Each booking's ledger entries in the order written; a list for every booking."""
        ...

    def replace_quotes(self, quotes: Sequence[Quote]) -> None:
        """Write these (erased) quotes over the stored ones with the same ids."""
        ...

    def erase_payment_methods(self, bookings: Sequence[Booking], placeholder: str) -> None:
        """Set the card reference of these bookings to `placeholder` (and bump their version),
        all or nothing: ConcurrentUpdate if any of them changed since it was read."""
        ...
