"""The privacy request queue: export and delete requests, served in priority order.

A request is queued by the person or a privacy officer, claimed by one privacy worker at a
time (a lease, so a worker that dies gives it back), and done or failed. An export's result is
kept on the request until it is fetched or the person is deleted; a request never holds
personal data otherwise.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from bookiji_core.errors import InvalidInput

# After this many claims that did not finish (the worker crashed, or the request raised) a
# request is failed, so one poisoned request cannot hold a worker forever.
MAX_ATTEMPTS = 3
# A deletion that must wait (a card hold still to be placed) is tried again after this.
RETRY_AFTER = timedelta(seconds=10)


class RequestKind(enum.StrEnum):
    EXPORT = "export"
    DELETE = "delete"


class RequestState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# Lower is served first; within one priority, the oldest request first.
PRIORITIES: dict[str, int] = {"urgent": 0, "normal": 1, "bulk": 2}


def priority_of(name: str) -> int:
    try:
        return PRIORITIES[name]
    except KeyError:
        known = ", ".join(PRIORITIES)
        raise InvalidInput("priority", f"unknown priority {name!r}; one of {known}") from None


def priority_name(value: int) -> str:
    return next((name for name, v in PRIORITIES.items() if v == value), str(value))


@attrs.define
class PrivacyRequest:
    id: str
    kind: RequestKind
    subject_id: str
    priority: int
    requested_by: str
    requested_at: datetime
    reason: str
    state: RequestState = RequestState.QUEUED
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    # An export's JSON, until the person is deleted: personal data, so never in a repr (logs,
    # `bkctl worker privacy --once`).
    result: str | None = attrs.field(default=None, repr=False)

    @property
    def open(self) -> bool:
        return self.state in (RequestState.QUEUED, RequestState.RUNNING)

    def claimed(self, owner: str, now: datetime, lease: timedelta) -> None:
        self.state = RequestState.RUNNING
        self.lease_owner = owner
        self.lease_until = now + lease
        self.attempts += 1
        if self.started_at is None:
            self.started_at = now

    def done(self, now: datetime, result: str | None = None) -> float:
        """Finished; returns the seconds from the request to now (the SLI)."""
        self.state = RequestState.DONE
        self.finished_at = now
        self.result = result
        self.lease_owner = self.lease_until = None
        self.error = None
        return (now - self.requested_at).total_seconds()

    def gave_up(self, now: datetime, error: str) -> None:
        """This attempt failed: back in the queue, or failed for good after MAX_ATTEMPTS."""
        self.error = error[:500]
        self.lease_owner = self.lease_until = None
        if self.attempts >= MAX_ATTEMPTS:
            self.state = RequestState.FAILED
            self.finished_at = now
        else:
            self.state = RequestState.QUEUED

    def released(self, now: datetime) -> None:
        """Not finished yet, nothing wrong (a deletion waiting for a card hold): queued again,
        not before RETRY_AFTER (so it does not hold up the requests behind it), without
        counting the attempt against it."""
        self.state = RequestState.QUEUED
        self.lease_owner = None
        self.lease_until = now + RETRY_AFTER
        self.attempts = max(0, self.attempts - 1)

    def due(self, now: datetime) -> bool:
        """A worker may claim it now: queued (and not resting), or running on a dead lease."""
        resting = self.lease_until is not None and self.lease_until > now
        return self.open and not resting


@attrs.frozen
class Backlog:
    """What `bkctl privacy queue` and the metrics show: the open requests in serving order."""

    requests: tuple[PrivacyRequest, ...]
    now: datetime

    def oldest_age(self, kind: RequestKind | None = None) -> float:
        ages = [
            (self.now - r.requested_at).total_seconds()
            for r in self.requests
            if kind is None or r.kind is kind
        ]
        return max(ages, default=0.0)

    def count(self, kind: RequestKind | None = None) -> int:
        return sum(1 for r in self.requests if kind is None or r.kind is kind)
