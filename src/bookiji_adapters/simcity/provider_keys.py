"""The simulated provider's idempotency keys, as Stripe keeps them: a key's first answer
(success or refusal) is saved for 24 hours and replayed; the key with other parameters is
refused. A saved request keeps a fingerprint of its parameters, never a card reference."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from bookiji_adapters.simcity.state import ProviderRecords, SavedOutcome, SavedResult
from bookiji_core.errors import PermanentPaymentError
from bookiji_core.payments import IntentView, RefundView

KEY_TTL = timedelta(hours=24)

Effect = Callable[[ProviderRecords], IntentView | RefundView]


def params_fingerprint(params: tuple[object, ...]) -> str:
    return hashlib.sha256(json.dumps(params).encode()).hexdigest()


def once_per_key(
    records: ProviderRecords,
    operation: str,
    key: str,
    fingerprint: str,
    effect: Effect,
    now: datetime,
) -> SavedOutcome:
    """The key's saved answer, or `effect`'s, saved under the key (a refusal too)."""
    saved = records.saved(key)
    if saved is not None and now - saved.at < KEY_TTL:
        if (saved.operation, saved.fingerprint) != (operation, fingerprint):
            raise PermanentPaymentError(
                f"idempotency_error: key {key} was used with other parameters"
            )
        return saved.result
    result: SavedOutcome
    try:
        result = effect(records)
    except PermanentPaymentError as refusal:
        result = refusal
    records.save(key, SavedResult(operation, fingerprint, result, now))
    return result
