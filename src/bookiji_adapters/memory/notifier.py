"""InMemoryNotifier: records what it was asked to send (tests, SimCity), and fails on request."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bookiji_core.errors import DeliveryFailed
from bookiji_core.notifications import Envelope, NotificationKind

Listener = Callable[[Envelope], None]


class InMemoryNotifier:
    """`sent` holds every envelope delivered, in order. `fail_next(n)` makes the next n sends
    fail (retryably unless told otherwise). Listeners hear of each delivery: SimCity's vendors
    confirm a booking because they were told of it."""

    def __init__(self) -> None:
        self.sent: list[Envelope] = []
        self._failures: list[bool] = []
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def fail_next(self, times: int = 1, *, retryable: bool = True) -> None:
        with self._lock:
            self._failures.extend([retryable] * times)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def send(self, envelope: Envelope) -> None:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
            if failure is None:
                self.sent.append(envelope)
        if failure is not None:
            raise DeliveryFailed("injected failure", retryable=failure)
        for listener in self._listeners:
            listener(envelope)

    def told(self, principal_id: str, kind: NotificationKind | None = None) -> list[Envelope]:
        """What one person was sent (of one kind, if given)."""
        with self._lock:
            return [
                e
                for e in self.sent
                if e.recipient.principal_id == principal_id
                and (kind is None or e.notification.kind is kind)
            ]
