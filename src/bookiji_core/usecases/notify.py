"""Queue the notifications a booking change causes, in the caller's transaction, and keep each
person's channels and opt-outs."""

from __future__ import annotations

from datetime import datetime

from bookiji_core.access import AccessLogEntry
from bookiji_core.booking import Actor, Booking
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.errors import InvalidInput
from bookiji_core.notification_texts import audience, render
from bookiji_core.notifications import (
    Channel,
    ChannelPreference,
    Notification,
    NotificationKind,
    Recipient,
    Role,
)
from bookiji_core.ports import UnitOfWork
from bookiji_core.privacy import ERASED
from bookiji_core.values import CustomerId, VendorId

NOTIFIER_ACTOR = "notifier"
NOTIFY_PURPOSE = "notification"

# What a booking's audit action means for the people concerned (Booking._move's actions).
# A rollback that moved the booking cancels it (the refund, if any, is told when the
# provider has made it: payment_outcomes.record_answer).
KIND_OF_ACTION = {
    "confirm": NotificationKind.AWAITING_VENDOR,
    "provider_confirm": NotificationKind.CONFIRMED,
    "cancel": NotificationKind.CANCELLED,
    "auto_cancel": NotificationKind.AUTO_CANCELLED,
    "payment_failed": NotificationKind.PAYMENT_FAILED,
    "rollback": NotificationKind.CANCELLED,
}


def enqueue_notifications(
    uow: UnitOfWork,
    booking: Booking,
    kind: NotificationKind,
    now: datetime,
    *,
    actor: Actor | None = None,
) -> list[Notification]:
    """Write one outbox row per person and channel told of `kind`, inside the caller's open
    transaction: they commit with the change that caused them or not at all. The person who
    made the change (`actor`) is not told of it: a customer's cancel tells the vendor, a
    vendor's confirm the customer. A person who opted out of a channel gets nothing there;
    one being deleted gets nothing at all. Calling it twice for the same change adds nothing
    (the ids are deterministic). Returns the rows added."""
    vendor = uow.vendors.get(booking.vendor_id)
    zone = vendor.zone if vendor is not None else ""
    added: list[Notification] = []
    for role in audience(kind):
        person = booking.vendor_id if role is Role.VENDOR else booking.customer_id
        if actor is not None and actor.type.value == role.value and actor.id == person:
            continue  # before reading the profile: a confirm's customer costs no reads
        profile: Customer | Vendor | None = (
            vendor if role is Role.VENDOR else uow.customers.get(booking.customer_id)
        )
        if profile is None or uow.privacy.tombstone(profile.id) is not None:
            continue
        content = render(kind, booking, role, name=profile.name, zone=zone, at=now)
        for recipient in _recipients(uow, profile, role):
            notification = Notification.queue(kind, booking.id, recipient, content, now)
            if uow.notifications.add(notification):
                added.append(notification)
                # Reading a person's address to write to them is an access to their data.
                resource = f"notification:{notification.id}"
                uow.access_log.append(
                    AccessLogEntry(profile.id, NOTIFIER_ACTOR, NOTIFY_PURPOSE, resource, now)
                )
    return added


def enqueue_for_changes(uow: UnitOfWork, booking: Booking, now: datetime) -> list[Notification]:
    """The notifications of the booking's new audit entries, each told to everyone concerned
    but the entry's actor. `record_changes` calls it (before it clears them), so every use
    case that changes a booking queues its notifications in the change's transaction."""
    added: list[Notification] = []
    for entry in booking.new_audit:
        kind = KIND_OF_ACTION.get(entry.action)
        if kind is None or entry.from_state == entry.to_state:
            continue  # no notification, or a rerun rollback that changed nothing
        actor = Actor(entry.actor_type, entry.actor_id)
        added += enqueue_notifications(uow, booking, kind, now, actor=actor)
    return added


def _recipients(uow: UnitOfWork, profile: Customer | Vendor, role: Role) -> list[Recipient]:
    stored = {p.channel: p for p in uow.contact_channels.of(profile.id)}
    if Channel.EMAIL not in stored and profile.email and profile.email != ERASED:
        # The profile's email is the default email channel until the person sets one.
        stored[Channel.EMAIL] = ChannelPreference(profile.id, Channel.EMAIL, profile.email)
    return [
        Recipient(profile.id, role, channel, preference.address)
        for channel, preference in sorted(stored.items())
        if not preference.opted_out
    ]


def set_channel(
    uow: UnitOfWork,
    principal_id: str,
    channel: Channel,
    address: str,
    now: datetime,
    *,
    secret: str | None = None,
) -> ChannelPreference:
    """Set a person's address on a channel (opted in). A webhook needs an http(s) URL and a
    Standard Webhooks secret (`whsec_` and base64)."""
    address = address.strip()
    if channel is Channel.EMAIL and ("@" not in address or " " in address):
        raise InvalidInput("address", "an email address has the form name@domain")
    if channel is Channel.WEBHOOK:
        if not address.startswith(("https://", "http://")):
            raise InvalidInput("address", "a webhook endpoint is an http:// or https:// URL")
        if not secret or not secret.startswith("whsec_"):
            raise InvalidInput("secret", "a webhook endpoint needs a whsec_... signing secret")
    preference = ChannelPreference(principal_id, channel, address, False, secret, now)
    with uow:
        uow.contact_channels.set(preference)
        uow.commit()
    return preference


def set_opt_out(
    uow: UnitOfWork, principal_id: str, channel: Channel, opted_out: bool, now: datetime
) -> ChannelPreference:
    """Opt a person out of (or back into) a channel. Notifications already queued there are
    skipped when their turn comes, not sent."""
    with uow:
        current = uow.contact_channels.get(principal_id, channel)
        if current is None:
            default = _default_address(uow, principal_id) if channel is Channel.EMAIL else None
            if default is None:
                raise InvalidInput("channel", f"{principal_id} has no {channel} address")
            current = ChannelPreference(principal_id, channel, default)
        changed = current.opt_out(now) if opted_out else current.opt_in(now)
        uow.contact_channels.set(changed)
        uow.commit()
    return changed


def channels_of(uow: UnitOfWork, principal_id: str) -> list[ChannelPreference]:
    """The person's stored channels (the profile's email is the default when none is)."""
    with uow.read_only():
        return uow.contact_channels.of(principal_id)


def _default_address(uow: UnitOfWork, principal_id: str) -> str | None:
    profile = uow.customers.get(CustomerId(principal_id)) or uow.vendors.get(VendorId(principal_id))
    return profile.email if profile is not None else None
