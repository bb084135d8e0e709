"""The notifier a profile uses: each channel's adapter behind one routing notifier.

Email goes through SMTP when BOOKIJI_SMTP_HOST is set; without it the local profile records
emails in memory (nothing leaves the machine) and production has no email route, so email
notifications wait in the DLQ until it is configured and they are redriven. Webhooks go to the
vendors' endpoints, signed, on the local and production profiles. The test and simcity
profiles record everything in memory, where tests and SimCity's vendors read it."""

from __future__ import annotations

from collections.abc import Callable

from bookiji_adapters.memory.notifier import InMemoryNotifier, Listener
from bookiji_adapters.routing import ChannelRoutingNotifier
from bookiji_adapters.smtp import SmtpNotifier, SmtpSettings
from bookiji_adapters.webhooks_out import StandardWebhooksNotifier
from bookiji_core.notifications import Channel
from bookiji_core.ports import Clock, Notifier
from bookiji_entry.settings import Profile, Settings


def smtp_for(settings: Settings) -> SmtpNotifier | None:
    if settings.smtp_host is None:
        return None
    return SmtpNotifier(
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )
    )


def notifier_for(settings: Settings, clock: Clock) -> ChannelRoutingNotifier:
    recorder = InMemoryNotifier()
    if settings.profile in (Profile.TEST, Profile.SIMCITY) and settings.smtp_host is None:
        return ChannelRoutingNotifier({Channel.EMAIL: recorder, Channel.WEBHOOK: recorder})
    webhooks = StandardWebhooksNotifier(clock, allow_private=settings.webhooks_allow_private)
    routes: dict[Channel, Notifier] = {Channel.WEBHOOK: webhooks}
    email = smtp_for(settings)
    if email is not None:
        routes[Channel.EMAIL] = email
    elif settings.profile is not Profile.PRODUCTION:
        routes[Channel.EMAIL] = recorder
    return ChannelRoutingNotifier(routes)


def listener_hook(notifier: Notifier) -> Callable[[Listener], None] | None:
    """How SimCity's daemon hears the emails this process sends, when they stay in memory
    (the test and simcity profiles, the local one without SMTP): the recorder's subscribe.
    None when they leave the process: then the daemon's vendors answer on their own."""
    if isinstance(notifier, ChannelRoutingNotifier):
        recorder = notifier.for_channel(Channel.EMAIL)
        if isinstance(recorder, InMemoryNotifier):
            return recorder.subscribe
    return None
