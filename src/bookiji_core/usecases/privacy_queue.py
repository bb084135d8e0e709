"""The privacy request queue: ask for an export or a deletion, serve the next one by priority.

A deletion is a soft delete at once (the tombstone, logins revoked, as `request_deletion`) and
its shredding is the queued work; an export is queued whole. Several privacy workers may serve
the queue: each claim is one request, under a lease.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from bookiji_core.access import Principal, Role
from bookiji_core.errors import NotFound
from bookiji_core.ports import Clock, Ids, Telemetry, UnitOfWork
from bookiji_core.privacy import require_privacy_access
from bookiji_core.privacy_queue import Backlog, PrivacyRequest, RequestKind, RequestState
from bookiji_core.usecases.privacy import (
    collect_export,
    privacy_status,
    request_deletion,
    shred_subject,
)

log = logging.getLogger(__name__)
# Long enough for any export or shred; a worker that dies gives its request back after it.
LEASE = timedelta(minutes=5)
BACKLOG_LIMIT = 10_000


def enqueue_request(
    kind: RequestKind,
    subject_id: str,
    principal: Principal,
    priority: int,
    reason: str,
    uow: UnitOfWork,
    clock: Clock,
    ids: Ids,
) -> PrivacyRequest:
    """Queue an export or a deletion of the subject. Asking again while one is open returns
    that one (raised to the higher priority of the two)."""
    require_privacy_access(principal, subject_id)
    privacy_status(subject_id, principal, uow)  # NotFound for an unknown subject
    if kind is RequestKind.DELETE:
        request_deletion(subject_id, principal, reason, uow, clock)
    now = clock.now()
    with uow:
        existing = uow.privacy.open_request_for(kind.value, subject_id)
        if existing is not None:
            if priority < existing.priority:
                existing.priority = priority
                uow.privacy.update_request(existing)
                uow.commit()
            return existing
        request = PrivacyRequest(
            id=ids.new("prq"),
            kind=kind,
            subject_id=subject_id,
            priority=priority,
            requested_by=principal.subject_id,
            requested_at=now,
            reason=reason.strip() or "privacy request",
        )
        uow.privacy.add_request(request)
        uow.commit()
    return request


def serve_next(
    uow: UnitOfWork, clock: Clock, telemetry: Telemetry, owner: str
) -> PrivacyRequest | None:
    """Claim the first open request by priority and carry it out; None if the queue is empty."""
    with uow:
        request = uow.privacy.claim_request(clock.now(), owner=owner, lease=LEASE)
        uow.commit()
    if request is None:
        return None
    try:
        finished, result = _carry_out(request, uow, clock, telemetry)
    except Exception as exc:  # recorded on the request; the next attempt starts afresh
        log.exception("privacy request %s (%s) failed", request.id, request.kind)
        request.gave_up(clock.now(), f"{type(exc).__name__}: {exc}")
        _save(uow, request)
        return request
    if finished:
        seconds = request.done(clock.now(), result)
        if request.kind is RequestKind.EXPORT:  # a deletion's time is the shredder's SLI
            telemetry.privacy_request("export", seconds)
    else:
        request.released(clock.now())
    _save(uow, request)
    return request


def _carry_out(
    request: PrivacyRequest, uow: UnitOfWork, clock: Clock, telemetry: Telemetry
) -> tuple[bool, str | None]:
    if request.kind is RequestKind.DELETE:
        return shred_subject(uow, clock, telemetry, request.subject_id), None
    export = collect_export(request.subject_id, _requester(request), uow, clock)
    return True, json.dumps(export, ensure_ascii=False)


def _requester(request: PrivacyRequest) -> Principal:
    # Authorised when it was queued: the person themself, or a privacy officer (an admin).
    if request.requested_by == request.subject_id:
        return Principal(Role.CUSTOMER, request.requested_by)
    return Principal(Role.ADMIN, request.requested_by)


def _save(uow: UnitOfWork, request: PrivacyRequest) -> None:
    with uow:
        uow.privacy.update_request(request)
        uow.commit()


def privacy_backlog(uow: UnitOfWork, clock: Clock) -> Backlog:
    """The open requests in serving order, and the time to age them by."""
    with uow.read_only():
        found = uow.privacy.open_requests(BACKLOG_LIMIT)
    return Backlog(tuple(found), clock.now())


def finished_request(request_id: str, principal: Principal, uow: UnitOfWork) -> PrivacyRequest:
    """One request, for the person who asked or a privacy officer."""
    with uow.read_only():
        request = uow.privacy.request(request_id)
    if request is None:
        raise NotFound(f"no privacy request {request_id}")
    if principal.subject_id != request.requested_by:
        require_privacy_access(principal, request.subject_id)
    return request


__all__ = [
    "RequestState",
    "enqueue_request",
    "finished_request",
    "privacy_backlog",
    "serve_next",
]
