"""Privacy: a deletion request, where it stands, and a person's export."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from bookiji_core.privacy import MAX_REASON_LENGTH, SubjectKind, TombstoneState
from bookiji_core.privacy import Tombstone as DomainTombstone
from bookiji_core.usecases.privacy import EXPORT_FORMAT, SubjectStatus
from bookiji_entry.shapes.common import NO_NUL, Id, Timestamp, utc, utc_or_none

SubjectId = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="A customer or vendor id (cus_..., ven_...)",
    ),
]
Reason = Annotated[str, Meta(min_length=1, max_length=MAX_REASON_LENGTH, pattern=NO_NUL)]


class DeleteRequest(msgspec.Struct):
    reason: Reason | UnsetType = UNSET


class Tombstone(msgspec.Struct):
    """A deletion request: the person counts as deleted; the shredder erases their data."""

    subject_id: Id
    subject_kind: SubjectKind
    state: TombstoneState
    requested_by: str
    requested_at: Timestamp
    reason: str
    shredded_at: Timestamp | None

    @classmethod
    def of(cls, t: DomainTombstone) -> Tombstone:
        return cls(
            t.subject_id,
            t.subject_kind,
            t.state,
            t.requested_by,
            utc(t.requested_at),
            t.reason,
            utc_or_none(t.shredded_at),
        )


class PrivacyStatus(msgspec.Struct):
    """Whether a deletion was asked for, and whether the shredder has done it."""

    subject_id: Id
    kind: SubjectKind
    deletion: Tombstone | None

    @classmethod
    def of(cls, status: SubjectStatus) -> PrivacyStatus:
        found = None if status.tombstone is None else Tombstone.of(status.tombstone)
        return cls(status.subject_id, status.kind, found)


class Subject(msgspec.Struct):
    id: Id
    kind: SubjectKind


Records = list[dict[str, Any]]


class PrivacyExport(msgspec.Struct, forbid_unknown_fields=True):
    """Every record about the person (format `bookiji.privacy.export/1`). Built from the
    core's export, which must not carry a record this shape leaves out."""

    format: Annotated[str, Meta(extra_json_schema={"const": EXPORT_FORMAT})]
    subject: Subject
    exported_at: Timestamp
    exported_by: str
    deletion: Tombstone | None
    logins: Records
    profile: dict[str, Any]
    quotes: Records
    bookings: Records
    idempotency_keys: Records
    access_log: Records
    principal_actions: Records
    notifications: Records
    contact_channels: Records
    catalogue: dict[str, Any] | UnsetType = UNSET
