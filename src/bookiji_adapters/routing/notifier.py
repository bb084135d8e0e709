"""ChannelRoutingNotifier: each notification to the notifier of its recipient's channel."""

from __future__ import annotations

from collections.abc import Mapping

from bookiji_core.errors import DeliveryFailed
from bookiji_core.notifications import Channel, Envelope
from bookiji_core.ports import Notifier


class ChannelRoutingNotifier:
    def __init__(self, routes: Mapping[Channel, Notifier]) -> None:
        self._routes = dict(routes)

    def send(self, envelope: Envelope) -> None:
        notifier = self._routes.get(envelope.recipient.channel)
        if notifier is None:
            # A deployment without SMTP settings, say: a person needs to configure it, and
            # a redrive from the DLQ sends it afterwards.
            raise DeliveryFailed(
                f"no notifier is configured for {envelope.recipient.channel}", retryable=False
            )
        notifier.send(envelope)

    def for_channel(self, channel: Channel) -> Notifier | None:
        """The notifier behind a channel (SimCity subscribes its vendors to the recorder)."""
        return self._routes.get(channel)
