"""Idempotency keys for confirm: a retry replays the first outcome; a changed body is refused."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from bookiji_core.errors import IdempotencyConflict, IdempotencyInProgress, InvalidInput

KEY_TTL = timedelta(hours=24)
# How long a started request owns its key before a retry may take it over (a crashed worker).
IN_PROGRESS_LEASE = timedelta(seconds=30)
MAX_KEY_LENGTH = 255


class KeyState(enum.StrEnum):
    STARTED = "started"
    COMPLETED = "completed"


@attrs.frozen
class IdempotencyRecord:
    scope: str
    key: str
    fingerprint: str
    state: KeyState
    created_at: datetime
    expires_at: datetime
    locked_until: datetime
    # On completion: the booking made, or the domain error code and message refused with.
    booking_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def start(cls, scope: str, key: str, fingerprint: str, now: datetime) -> IdempotencyRecord:
        return cls(
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            state=KeyState.STARTED,
            created_at=now,
            expires_at=now + KEY_TTL,
            locked_until=now + IN_PROGRESS_LEASE,
        )

    def check_replay(self, fingerprint: str, now: datetime) -> bool:
        """True if this record answers the request; raises if the request must be refused."""
        if now >= self.expires_at:
            return False
        if fingerprint != self.fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used with a different request body"
            )
        if self.state is KeyState.COMPLETED:
            return True
        if now < self.locked_until:
            raise IdempotencyInProgress(
                "a request with this Idempotency-Key is still being processed; retry shortly"
            )
        return False


def validate_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise InvalidInput("Idempotency-Key", "the Idempotency-Key header is required")
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key", f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters"
        )
    return key


def fingerprint(body: Mapping[str, object]) -> str:
    """A stable hash of the request body: key order and whitespace do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
