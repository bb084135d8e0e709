"""SimCity: simulated peers (the payment provider first) with deterministic, injectable faults."""

from bookiji_adapters.simcity.payments import (
    Effect,
    Fault,
    FaultRates,
    PendingWebhook,
    SimCityPaymentGateway,
)

__all__ = ["Effect", "Fault", "FaultRates", "PendingWebhook", "SimCityPaymentGateway"]
