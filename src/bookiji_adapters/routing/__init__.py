"""A Notifier that hands each notification to the notifier of its channel."""

from bookiji_adapters.routing.notifier import ChannelRoutingNotifier

__all__ = ["ChannelRoutingNotifier"]
