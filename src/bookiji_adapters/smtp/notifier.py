"""SmtpNotifier: one email per notification, sent through an SMTP server (stdlib smtplib)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

import attrs

from bookiji_core.errors import DeliveryFailed
from bookiji_core.notifications import Channel, Envelope


@attrs.frozen
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "Bookiji <no-reply@bookiji.invalid>"
    starttls: bool = False
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    # Well under the delivery lease (60 s), so a stuck server never outlives it.
    timeout: float = 10.0


def message_for(envelope: Envelope, sender: str) -> EmailMessage:
    notification = envelope.notification
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notification.recipient.address
    message["Subject"] = notification.content.subject
    message["Date"] = format_datetime(notification.created_at)
    # Stable across retries, so a mail client shows a resent notification once.
    message["Message-ID"] = f"<{notification.id}@bookiji.invalid>"
    message["X-Bookiji-Notification"] = notification.kind.value
    message.set_content(notification.content.body)
    return message


class SmtpNotifier:
    """A connection per message: notifications are few, and a long-lived connection would
    need its own keep-alive and reconnect logic for no gain at this volume."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def send(self, envelope: Envelope) -> None:
        if envelope.recipient.channel is not Channel.EMAIL:
            raise DeliveryFailed(
                f"SMTP cannot send to {envelope.recipient.channel}", retryable=False
            )
        s = self._settings
        message = message_for(envelope, s.sender)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username and s.password:
                    smtp.login(s.username, s.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            raise DeliveryFailed(f"recipient refused: {codes}", retryable=not permanent) from None
        except smtplib.SMTPResponseException as error:
            # 5xx is the server's final word (an address it will never accept); 4xx is "later".
            raise DeliveryFailed(
                f"SMTP {error.smtp_code}: {_text(error.smtp_error)}",
                retryable=error.smtp_code < 500,
            ) from None
        except (smtplib.SMTPException, OSError) as error:  # connection refused, timeout, reset
            raise DeliveryFailed(f"SMTP unreachable: {error!r}", retryable=True) from None


def _text(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else raw
