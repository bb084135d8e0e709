"""Stripe: the PaymentGateway port on the official SDK, and webhook signature verification."""

from bookiji_adapters.stripe.payments import StripePaymentGateway
from bookiji_adapters.stripe.webhooks import signature_header, verified_event, verify_signature

__all__ = ["StripePaymentGateway", "signature_header", "verified_event", "verify_signature"]
