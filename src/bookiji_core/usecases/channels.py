"""Who may see and change a person's notification channels: the person, or an admin.

The edges (HTTP, `bkctl channels`) call these; `usecases/notify.py` does the storing."""

from __future__ import annotations

from bookiji_core.access import Principal, Role
from bookiji_core.errors import Forbidden, InvalidInput, NotFound
from bookiji_core.notifications import Channel, ChannelPreference
from bookiji_core.ports import Clock, UnitOfWork
from bookiji_core.privacy import ERASED
from bookiji_core.usecases.notify import set_channel, set_opt_out
from bookiji_core.values import CustomerId, VendorId


def _person(caller: Principal, principal_id: str, uow: UnitOfWork) -> tuple[Role, str]:
    """The person's role and profile email, once the caller may manage their channels."""
    if caller.role is not Role.ADMIN and caller.subject_id != principal_id:
        raise Forbidden("a person manages only their own notification channels")
    with uow.read_only():
        customer = uow.customers.get(CustomerId(principal_id))
        vendor = uow.vendors.get(VendorId(principal_id)) if customer is None else None
        gone = uow.privacy.tombstone(principal_id) is not None
    profile = customer or vendor
    if profile is None or gone:
        raise NotFound(f"no customer or vendor {principal_id}")
    return (Role.CUSTOMER if customer is not None else Role.VENDOR), profile.email


def list_channels(caller: Principal, principal_id: str, uow: UnitOfWork) -> list[ChannelPreference]:
    """The person's channels; the profile's email stands for the email channel until one is
    set. Secrets are kept on the preferences but never rendered by the edges."""
    _role, email = _person(caller, principal_id, uow)
    with uow.read_only():
        stored = {p.channel: p for p in uow.contact_channels.of(principal_id)}
    if Channel.EMAIL not in stored and email and email != ERASED:
        stored[Channel.EMAIL] = ChannelPreference(principal_id, Channel.EMAIL, email)
    return [stored[c] for c in sorted(stored)]


def put_channel(
    caller: Principal,
    principal_id: str,
    channel: Channel,
    address: str,
    secret: str | None,
    uow: UnitOfWork,
    clock: Clock,
) -> ChannelPreference:
    """Set the address of one channel (opted in). Webhook endpoints are for vendors."""
    role, _email = _person(caller, principal_id, uow)
    if channel is Channel.WEBHOOK and role is not Role.VENDOR:
        raise InvalidInput("channel", "only a vendor can register a webhook endpoint")
    if len(address) > 2048:
        raise InvalidInput("address", "an address has at most 2048 characters")
    return set_channel(uow, principal_id, channel, address, clock.now(), secret=secret)


def opt(
    caller: Principal,
    principal_id: str,
    channel: Channel,
    opted_out: bool,
    uow: UnitOfWork,
    clock: Clock,
) -> ChannelPreference:
    """Opt out of (or back into) a channel; queued notifications there are skipped."""
    _person(caller, principal_id, uow)
    return set_opt_out(uow, principal_id, channel, opted_out, clock.now())


def channel_named(name: str) -> Channel:
    try:
        return Channel(name)
    except ValueError:
        choices = ", ".join(c.value for c in Channel)
        raise InvalidInput("channel", f"a channel is one of: {choices}") from None
