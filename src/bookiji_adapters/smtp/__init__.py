"""Email notifications over SMTP, with the standard library's smtplib."""

from bookiji_adapters.smtp.notifier import SmtpNotifier, SmtpSettings

__all__ = ["SmtpNotifier", "SmtpSettings"]
