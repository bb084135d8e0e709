"""Stripe: the PaymentGateway port on the official SDK, and webhook signature verification.

Verifying a webhook needs only the standard library; the gateway needs the Stripe SDK (the
`bookiji[stripe]` extra), so it is imported when it is first asked for, not with the package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookiji_adapters.stripe.webhooks import signature_header, verified_event, verify_signature

if TYPE_CHECKING:
    from bookiji_adapters.stripe.payments import StripePaymentGateway

__all__ = ["StripePaymentGateway", "signature_header", "verified_event", "verify_signature"]


def __getattr__(name: str) -> object:
    if name == "StripePaymentGateway":
        from bookiji_adapters.stripe.payments import StripePaymentGateway

        return StripePaymentGateway
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
