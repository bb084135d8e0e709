"""The payments ledger: an append-only record of each effect the payment provider had, and the
arithmetic of reconciling it with the provider."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from bookiji_core.payment_values import IntentView
from bookiji_core.values import BookingId, Money


class LedgerKind(enum.StrEnum):
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"


@attrs.frozen
class LedgerEntry:
    """One effect at the provider. `key` is unique: each effect is written once, whoever (the
    relay or a webhook) observes it first."""

    booking_id: BookingId
    intent_id: str
    kind: LedgerKind
    amount: Money
    gateway_ref: str
    at: datetime

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.intent_id}"


def entries_for(booking_id: BookingId, intent: IntentView, at: datetime) -> list[LedgerEntry]:
    """The ledger entries that the provider's current view of an intent implies. We place one
    hold per intent, capture it whole or cancel it, and refund a capture whole: so each kind
    happens at most once per intent."""
    fee = intent.amount
    found: list[LedgerEntry] = []
    if intent.was_held:
        found.append(LedgerEntry(booking_id, intent.id, LedgerKind.HOLD, fee, intent.id, at))
    if intent.amount_captured > 0:
        captured = Money(fee.currency, intent.amount_captured)
        found.append(
            LedgerEntry(booking_id, intent.id, LedgerKind.CAPTURE, captured, intent.id, at)
        )
    if intent.status == "canceled":
        found.append(LedgerEntry(booking_id, intent.id, LedgerKind.RELEASE, fee, intent.id, at))
    if intent.amount_refunded > 0:
        refunded = Money(fee.currency, intent.amount_refunded)
        found.append(LedgerEntry(booking_id, intent.id, LedgerKind.REFUND, refunded, intent.id, at))
    return found


@attrs.frozen
class Mismatch:
    """The ledger and the provider disagree about one effect of one intent."""

    booking_id: BookingId
    intent_id: str
    kind: LedgerKind
    ledger_amount: int | None
    gateway_amount: int | None


@attrs.frozen
class BookingReconciliation:
    booking_id: BookingId
    charged_intents: tuple[str, ...]
    mismatches: tuple[Mismatch, ...]

    @property
    def double_charged(self) -> bool:
        """More than one captured, unrefunded commitment fee."""
        return len(self.charged_intents) > 1


def reconcile_booking(
    booking_id: BookingId,
    ledger: Sequence[LedgerEntry],
    intents: Iterable[IntentView],
    at: datetime,
) -> BookingReconciliation:
    """Compare one booking's ledger with every intent the provider holds for it."""
    views = {i.id: i for i in intents}
    expected = {
        e.key: e.amount.amount for v in views.values() for e in entries_for(booking_id, v, at)
    }
    recorded = {e.key: e.amount.amount for e in ledger}
    mismatches = []
    for key in sorted(expected.keys() | recorded.keys()):
        if expected.get(key) != recorded.get(key):
            kind, intent_id = key.split(":", 1)
            mismatches.append(
                Mismatch(
                    booking_id, intent_id, LedgerKind(kind), recorded.get(key), expected.get(key)
                )
            )
    charged = tuple(sorted(v.id for v in views.values() if v.net_captured > 0))
    return BookingReconciliation(booking_id, charged, tuple(mismatches))
