"""In-memory payment records: the outbox, the ledger and the webhook inbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from bookiji_adapters.memory.state import Repo
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage, OutboxState
from bookiji_core.values import BookingId
from bookiji_core.webhooks import ReceivedEvent


class InMemoryOutbox(Repo):
    def add(self, message: OutboxMessage) -> None:
        self._s.outbox[message.id] = message

    def get(self, message_id: str, *, for_update: bool = False) -> OutboxMessage | None:
        return self._s.outbox.get(message_id)

    def get_many(
        self, message_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, OutboxMessage]:
        found = {i: self._s.outbox.get(i) for i in sorted(set(message_ids))}
        return {i: m for i, m in found.items() if m is not None}

    def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        def due(m: OutboxMessage) -> bool:
            if m.state is OutboxState.QUEUED:
                return m.next_attempt_at <= now
            return (
                m.state is OutboxState.IN_FLIGHT
                and m.lease_until is not None
                and m.lease_until <= now
            )

        ready = sorted(
            (m for m in self._s.outbox.values() if due(m)), key=lambda m: (m.next_attempt_at, m.id)
        )
        claimed = [
            attrs.evolve(
                m,
                state=OutboxState.IN_FLIGHT,
                attempts=m.attempts + 1,
                lease_owner=owner,
                lease_until=now + lease,
            )
            for m in ready[:limit]
        ]
        for m in claimed:
            self._s.outbox[m.id] = m
        return claimed

    def renew_leases(self, message_ids: Sequence[str], *, owner: str, until: datetime) -> list[str]:
        held = []
        for message_id in message_ids:
            m = self._s.outbox.get(message_id)
            if m is not None and m.holds_lease(owner):
                self._s.outbox[message_id] = attrs.evolve(m, lease_until=until)
                held.append(message_id)
        return held

    def release(self, message_ids: Sequence[str], *, owner: str) -> list[str]:
        released = []
        for message_id in message_ids:
            m = self._s.outbox.get(message_id)
            if m is not None and m.holds_lease(owner):
                self._s.outbox[message_id] = m.release()
                released.append(message_id)
        return released

    def update(self, message: OutboxMessage) -> None:
        self._s.outbox[message.id] = message

    def counts(self) -> Mapping[OutboxState, int]:
        counts = dict.fromkeys(OutboxState, 0)
        for m in self._s.outbox.values():
            counts[m.state] += 1
        return counts

    def list_by_state(self, state: OutboxState, limit: int = 100) -> list[OutboxMessage]:
        found = sorted(
            (m for m in self._s.outbox.values() if m.state is state),
            key=lambda m: (m.created_at, m.id),
        )
        return found[:limit]

    def for_booking(self, booking_id: BookingId) -> list[OutboxMessage]:
        found = [m for m in self._s.outbox.values() if m.command.booking_id == booking_id]
        return sorted(found, key=lambda m: m.command.sequence)

    def for_bookings(
        self, booking_ids: Iterable[BookingId]
    ) -> dict[BookingId, list[OutboxMessage]]:
        found: dict[BookingId, list[OutboxMessage]] = {i: [] for i in booking_ids}
        for m in self._s.outbox.values():
            if m.command.booking_id in found:
                found[m.command.booking_id].append(m)
        for messages in found.values():
            messages.sort(key=lambda m: m.command.sequence)
        return found


class InMemoryLedger(Repo):
    def append(self, entry: LedgerEntry) -> bool:
        if entry.key in self._s.ledger:
            return False
        self._s.ledger[entry.key] = entry
        return True

    def record(self, entry: LedgerEntry) -> None:
        self.append(entry)

    def for_booking(self, booking_id: BookingId) -> list[LedgerEntry]:
        return [e for e in self._s.ledger.values() if e.booking_id == booking_id]

    def booking_ids(self, *, after: str = "", limit: int = 500) -> list[BookingId]:
        ids = sorted({e.booking_id for e in self._s.ledger.values() if e.booking_id > after})
        return ids[:limit]


class InMemoryWebhookInbox(Repo):
    def add(self, event: ReceivedEvent) -> bool:
        if event.id in self._s.webhook_inbox:
            return False
        self._s.webhook_inbox[event.id] = event
        return True

    def get(self, event_id: str) -> ReceivedEvent | None:
        return self._s.webhook_inbox.get(event_id)
