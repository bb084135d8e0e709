"""SimCity: simulated peers (the payment provider, the people's inboxes) with deterministic,
injectable faults."""

from bookiji_adapters.simcity.notifier import SimCityNotifier
from bookiji_adapters.simcity.payments import (
    Effect,
    Fault,
    FaultRates,
    PendingWebhook,
    SimCityPaymentGateway,
)

__all__ = [
    "Effect",
    "Fault",
    "FaultRates",
    "PendingWebhook",
    "SimCityNotifier",
    "SimCityPaymentGateway",
]
