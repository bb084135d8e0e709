"""SimCityNotifier: the simulated people's inboxes, behind the Notifier port.

SimCity's vendors learn of a booking the way real ones do: the notification outbox queues it in
the booking's transaction, the delivery worker hands it to a Notifier, and this one puts it in
the person's inbox and tells whoever listens for that person (the simulated vendor, who then
confirms after the delay its temper decides). A mail outage (`outages`, seconds since `start`
in the run's virtual time) refuses every send retryably, as an SMTP server that is down does,
so the outbox's retries, backoff and DLQ are exercised too."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from bookiji_core.errors import DeliveryFailed
from bookiji_core.notifications import Envelope
from bookiji_core.ports import Clock

Listener = Callable[[Envelope], None]


class SimCityNotifier:
    def __init__(
        self,
        clock: Clock,
        *,
        start: datetime | None = None,
        outages: Sequence[tuple[float, float]] = (),
    ) -> None:
        self._clock = clock
        self._start = start or clock.now()
        self._outages = tuple(outages)
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self.inbox: defaultdict[str, list[Envelope]] = defaultdict(list)
        self.refused = 0

    def subscribe(self, listener: Listener) -> None:
        """`listener` hears of every envelope delivered (and decides whether it is theirs)."""
        self._listeners.append(listener)

    def _down(self) -> bool:
        elapsed = (self._clock.now() - self._start).total_seconds()
        return any(begin <= elapsed < end for begin, end in self._outages)

    def send(self, envelope: Envelope) -> None:
        if self._down():
            with self._lock:
                self.refused += 1
            raise DeliveryFailed("421 simulated mail outage, try again later", retryable=True)
        with self._lock:
            self.inbox[envelope.recipient.principal_id].append(envelope)
        for listener in list(self._listeners):
            listener(envelope)
