"""The storage port of the privacy request queue (bookiji_core.privacy_queue)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bookiji_core.privacy_queue import PrivacyRequest


class PrivacyQueue(Protocol):
    def add_request(self, request: PrivacyRequest) -> None: ...

    def request(self, request_id: str) -> PrivacyRequest | None: ...

    def claim_request(
        self, now: datetime, *, owner: str, lease: timedelta
    ) -> PrivacyRequest | None:
        """Mark the first open request running for `owner` and return it: lowest priority
        value first, then oldest; queued ones, and running ones whose lease expired (their
        worker died). Concurrent claimers never share one (`FOR UPDATE SKIP LOCKED` or an
        equivalent)."""
        ...

    def update_request(self, request: PrivacyRequest) -> None: ...

    def open_requests(self, limit: int) -> list[PrivacyRequest]:
        """Queued and running requests, in the order they are served."""
        ...

    def open_request_for(self, kind: str, subject_id: str) -> PrivacyRequest | None:
        """The open request of that kind for that subject, if there is one."""
        ...

    def erase_results(self, subject_id: str, placeholder: str) -> int:
        """Overwrite the kept export results of the subject's requests; returns how many."""
        ...
