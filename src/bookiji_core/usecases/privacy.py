"""Privacy requests: export everything about a person, delete them, and shred what they left.

An export and a deletion are each one transaction that also appends the access-log entry, so
no personal data is read or buried without a trace. Durations go to the Telemetry port: an
export when it is handed over, a deletion when the shredder has finished with it.
"""

from __future__ import annotations

import attrs

from bookiji_core.access import Principal
from bookiji_core.booking import Booking
from bookiji_core.catalogue import Customer, Vendor, VendorCatalogue
from bookiji_core.errors import ConcurrentUpdate, NotFound
from bookiji_core.ports import Clock, Telemetry, UnitOfWork
from bookiji_core.privacy import (
    DELETE_PURPOSE,
    ERASED,
    EXPORT_PURPOSE,
    SHREDDER_ACTOR,
    SubjectKind,
    Tombstone,
    delist_vendor,
    erase_customer,
    erase_payment_reference,
    erase_quote,
    erase_vendor,
    quote_is_erased,
    require_privacy_access,
)
from bookiji_core.quoting import Quote
from bookiji_core.usecases import privacy_records as records
from bookiji_core.usecases.catalogue import catalogue_record
from bookiji_core.usecases.changes import log_access
from bookiji_core.usecases.notification_privacy import erase_notifications, notification_records
from bookiji_core.values import CustomerId, VendorId

EXPORT_FORMAT = "bookiji.privacy.export/1"
ALL = 1_000_000  # a person's bookings are read in full, not a page of them
SHRED_BATCH = 500  # rows rewritten per transaction: short write locks, whatever the history


@attrs.frozen
class SubjectStatus:
    subject_id: str
    kind: SubjectKind
    tombstone: Tombstone | None


@attrs.frozen
class ShredReport:
    shredded: tuple[str, ...]
    # Not finished yet: a card hold still to be placed with it, or a booking changed meanwhile.
    waiting: tuple[str, ...]


def _profile(uow: UnitOfWork, subject_id: str) -> Customer | Vendor:
    found: Customer | Vendor | None = uow.customers.get(CustomerId(subject_id))
    if found is None:
        found = uow.vendors.get(VendorId(subject_id))
    if found is None:
        raise NotFound(f"no customer or vendor {subject_id}")
    return found


def _kind(profile: Customer | Vendor) -> SubjectKind:
    return SubjectKind.CUSTOMER if isinstance(profile, Customer) else SubjectKind.VENDOR


def export_subject(
    subject_id: str, principal: Principal, uow: UnitOfWork, clock: Clock, telemetry: Telemetry
) -> records.Json:
    """Every record about the person, as JSON-ready values; access-logged in the same
    transaction, so an export that cannot be logged is not handed over."""
    started = clock.now()
    export = collect_export(subject_id, principal, uow, clock)
    telemetry.privacy_request("export", (clock.now() - started).total_seconds())
    return export


def collect_export(
    subject_id: str, principal: Principal, uow: UnitOfWork, clock: Clock
) -> records.Json:
    """`export_subject` without reporting its duration (the privacy queue reports the whole
    wait, from the request to the result)."""
    require_privacy_access(principal, subject_id)
    started = clock.now()
    with uow:
        profile = _profile(uow, subject_id)
        export = _collect(uow, subject_id, profile)
        log_access(
            uow,
            subject_id=subject_id,
            actor_id=principal.subject_id,
            purpose=EXPORT_PURPOSE,
            resource=f"privacy_export:{subject_id}",
            at=started,
        )
        uow.commit()
    header = {
        "format": EXPORT_FORMAT,
        "subject": {"id": subject_id, "kind": _kind(profile).value},
        "exported_at": records.iso(clock.now()),
        "exported_by": principal.subject_id,
    }
    return header | export


def _collect(uow: UnitOfWork, subject_id: str, profile: Customer | Vendor) -> records.Json:
    tombstone = uow.privacy.tombstone(subject_id)
    found: records.Json = {
        "deletion": None if tombstone is None else records.tombstone(tombstone),
        "logins": [records.login(p) for p in uow.privacy.principals_of(subject_id)],
    }
    # A vendor's bookings are theirs too, but the card reference and the $1 fee's payment
    # trail belong to the customer who paid it.
    if isinstance(profile, Customer):
        found["profile"] = records.customer(profile)
        found["quotes"] = uow.privacy.quote_records(profile.id)
        found["bookings"] = uow.privacy.booking_records(customer_id=profile.id, own_payments=True)
    else:
        found["profile"] = records.vendor(profile, uow.privacy.windows_of(profile.id))
        own = uow.catalogues.get(profile.id) or VendorCatalogue.of(profile)
        found["catalogue"] = catalogue_record(own)
        found["quotes"] = []
        found["bookings"] = uow.privacy.booking_records(vendor_id=profile.id, own_payments=False)
    found["idempotency_keys"] = [
        records.idempotency(r) for r in uow.privacy.idempotency_of(subject_id)
    ]
    found["access_log"] = [records.access(e) for e in uow.access_log.for_subject(subject_id)]
    found["principal_actions"] = [records.action(a) for a in uow.principals.actions(subject_id)]
    found |= notification_records(uow, subject_id)
    return found


def request_deletion(
    subject_id: str, principal: Principal, reason: str, uow: UnitOfWork, clock: Clock
) -> Tombstone:
    """Soft-delete at once: a tombstone, every login revoked, a vendor delisted. The shredder
    erases the data afterwards. Asking again returns the first request's tombstone."""
    require_privacy_access(principal, subject_id)
    now = clock.now()
    with uow:
        existing = uow.privacy.tombstone(subject_id)
        if existing is not None:
            return existing
        profile = _profile(uow, subject_id)
        tombstone = Tombstone.request(subject_id, _kind(profile), principal, reason, now)
        uow.privacy.add_tombstone(tombstone)
        uow.privacy.revoke_principals(subject_id)
        if isinstance(profile, Vendor):
            uow.vendors.add(delist_vendor(profile))
        log_access(
            uow,
            subject_id=subject_id,
            actor_id=principal.subject_id,
            purpose=DELETE_PURPOSE,
            resource=f"privacy_tombstone:{subject_id}",
            at=now,
        )
        uow.commit()
    return tombstone


def privacy_status(subject_id: str, principal: Principal, uow: UnitOfWork) -> SubjectStatus:
    require_privacy_access(principal, subject_id)
    with uow:
        profile = _profile(uow, subject_id)
        return SubjectStatus(subject_id, _kind(profile), uow.privacy.tombstone(subject_id))


def pending_deletions(uow: UnitOfWork, limit: int = 1000) -> list[Tombstone]:
    """The shredder's backlog, oldest first (for operators: how many, and how old)."""
    with uow:
        return uow.privacy.pending(limit)


def shred_due(uow: UnitOfWork, clock: Clock, telemetry: Telemetry, limit: int = 50) -> ShredReport:
    """The background shredder: erase the personal data of tombstoned subjects, keeping the
    bookings and ledger amounts that law and finance need, keyed by pseudonymous ids. One
    transaction per subject; several shredders may run (a claimed subject is skipped)."""
    with uow:
        due = [t.subject_id for t in uow.privacy.pending(limit)]
    shredded: list[str] = []
    waiting: list[str] = []
    for subject_id in due:
        try:
            done = _shred_one(uow, clock, telemetry, subject_id)
        except ConcurrentUpdate:
            done = False  # a booking changed under us; the next pass starts afresh
        (shredded if done else waiting).append(subject_id)
    return ShredReport(tuple(shredded), tuple(waiting))


def shred_subject(uow: UnitOfWork, clock: Clock, telemetry: Telemetry, subject_id: str) -> bool:
    """Shred one tombstoned subject now (the privacy queue's deletions, in their priority
    order); True once their data is gone, whoever shredded it."""
    try:
        if _shred_one(uow, clock, telemetry, subject_id):
            return True
    except ConcurrentUpdate:
        return False
    with uow:
        tombstone = uow.privacy.tombstone(subject_id)
    return tombstone is not None and not tombstone.pending


def _shred_one(uow: UnitOfWork, clock: Clock, telemetry: Telemetry, subject_id: str) -> bool:
    """Rewrite quotes and bookings in transactions of at most SHRED_BATCH rows, so that a
    person with thousands of bookings never holds the write lock (SQLite) for long; then erase
    the profile, revoke logins and mark the tombstone in a last one. Every step is idempotent:
    a pass cut short by a crash or a concurrent change is finished by the next pass."""
    with uow:
        tombstone = uow.privacy.claim(subject_id)
        if tombstone is None:
            return False  # another shredder has it, or it is already done
        rows, kept = _rows_to_erase(uow, tombstone)
    for first in range(0, len(rows), SHRED_BATCH):
        with uow:
            if uow.privacy.claim(subject_id) is None:
                return False
            batch = rows[first : first + SHRED_BATCH]
            uow.privacy.replace_quotes([erase_quote(r) for r in batch if isinstance(r, Quote)])
            # ConcurrentUpdate (nothing written) if one changed meanwhile.
            uow.privacy.erase_payment_methods([r for r in batch if isinstance(r, Booking)], ERASED)
            uow.commit()
    now = clock.now()
    with uow:
        tombstone = uow.privacy.claim(subject_id)
        if tombstone is None:
            return False
        changed = len(rows) + _erase_profile(uow, tombstone)
        finished = kept == 0
        if not (changed or finished):
            return False  # still waiting for a card hold, nothing new to log
        seconds = tombstone.mark_shredded(now) if finished else None
        uow.privacy.update_tombstone(tombstone)
        log_access(
            uow,
            subject_id=subject_id,
            actor_id=SHREDDER_ACTOR,
            purpose=DELETE_PURPOSE,
            resource=f"privacy_shred:{subject_id}" + ("" if finished else " (partial)"),
            at=now,
        )
        uow.commit()
    if seconds is not None:
        telemetry.privacy_request("delete", seconds)
    return finished


def _rows_to_erase(uow: UnitOfWork, tombstone: Tombstone) -> tuple[list[Quote | Booking], int]:
    """The customer's quotes and bookings still holding personal data, already erased in
    memory; and how many bookings must keep their card reference for now."""
    if tombstone.subject_kind is not SubjectKind.CUSTOMER:
        return [], 0
    customer_id = CustomerId(tombstone.subject_id)
    rows: list[Quote | Booking] = [
        q for q in uow.privacy.quotes_of(customer_id) if not quote_is_erased(q)
    ]
    kept = 0
    for booking in uow.bookings.list_for(customer_id=customer_id, limit=ALL):
        erased = erase_payment_reference(booking)
        if erased is None:
            kept += 1
        elif erased:
            rows.append(booking)
    return rows, kept


def _erase_profile(uow: UnitOfWork, tombstone: Tombstone) -> int:
    """Logins, the reasons they typed, and the profile; returns the rows changed."""
    subject_id = tombstone.subject_id
    changed = uow.privacy.revoke_principals(subject_id)
    changed += uow.privacy.erase_audit_reasons(subject_id, ERASED)
    changed += erase_notifications(uow, subject_id, ERASED)
    changed += uow.privacy.erase_results(subject_id, ERASED)
    profile = _profile(uow, subject_id)
    erased = erase_customer(profile) if isinstance(profile, Customer) else erase_vendor(profile)
    if erased != profile:
        if isinstance(erased, Customer):
            uow.customers.add(erased)
        else:
            uow.vendors.add(erased)
        changed += 1
    return changed
