"""Notifications to a vendor's endpoint as Standard Webhooks (signed HTTP POSTs)."""

from bookiji_adapters.webhooks_out.notifier import (
    StandardWebhooksNotifier,
    new_secret,
    signature,
)

__all__ = ["StandardWebhooksNotifier", "new_secret", "signature"]
