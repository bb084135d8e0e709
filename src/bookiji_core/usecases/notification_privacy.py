"""A person's notifications and channels in a privacy export, and their erasure."""

from __future__ import annotations

from typing import Any

from bookiji_core.ports import UnitOfWork
from bookiji_core.usecases.privacy_records import iso


def notification_records(uow: UnitOfWork, subject_id: str) -> dict[str, list[dict[str, Any]]]:
    """What an export adds: every notification to the person, and their stored channels (a
    webhook's signing secret is a credential and stays out)."""
    sent = [
        {
            "id": n.id,
            "kind": n.kind.value,
            "booking_id": n.booking_id,
            "channel": n.recipient.channel.value,
            "address": n.recipient.address,
            "subject": n.content.subject,
            "body": n.content.body,
            "payload": n.content.payload,
            "state": n.state.value,
            "created_at": iso(n.created_at),
            "finished_at": iso(n.finished_at),
        }
        for n in uow.notifications.for_principal(subject_id)
    ]
    channels = [
        {
            "channel": p.channel.value,
            "address": p.address,
            "opted_out": p.opted_out,
            "updated_at": iso(p.updated_at),
        }
        for p in uow.contact_channels.of(subject_id)
    ]
    return {"notifications": sent, "contact_channels": channels}


def erase_notifications(uow: UnitOfWork, subject_id: str, placeholder: str) -> int:
    """The shredder's part: addresses and texts overwritten, channels removed; rows changed."""
    erased = uow.notifications.erase_for(subject_id, placeholder)
    return erased + uow.contact_channels.remove_all(subject_id)
