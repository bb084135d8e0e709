"""Privacy requests over HTTP: a person's export, their deletion, and where it stands."""

from __future__ import annotations

from typing import Any

import attrs
from starlette.routing import BaseRoute

from bookiji_core.ports import Clock, Ids, Telemetry, UnitOfWorkFactory
from bookiji_core.privacy_queue import PRIORITIES, RequestKind
from bookiji_core.usecases.privacy import SubjectStatus, export_subject, privacy_status
from bookiji_core.usecases.privacy_queue import enqueue_request
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Auth, Operation, Param, Reply, bind
from bookiji_entry.shapes import codec
from bookiji_entry.shapes import privacy as shapes

# Personal data must not linger in shared caches or proxies.
PRIVATE = {"Cache-Control": "no-store"}
BASE = "/api/privacy/subjects/{subject_id}"
SUBJECT = Param("subject_id", shapes.SubjectId)
WHO = "The person themself, or an admin (privacy officer)."


@attrs.frozen
class PrivacyDeps:
    """What the privacy routes use."""

    uow: UnitOfWorkFactory
    clock: Clock
    telemetry: Telemetry
    ids: Ids


def get_export(deps: PrivacyDeps, call: Call) -> Answer:
    subject_id = call.params["subject_id"]
    export = export_subject(subject_id, call.principal, deps.uow(), deps.clock, deps.telemetry)
    disposition = f'attachment; filename="bookiji-export-{subject_id}.json"'
    body = codec.shaped(export, shapes.PrivacyExport)
    return Answer(body, headers={**PRIVATE, "Content-Disposition": disposition})


def post_delete(deps: PrivacyDeps, call: Call) -> Answer:
    caller, subject_id = call.principal, call.params["subject_id"]
    default = "asked by the person" if caller.subject_id == subject_id else "privacy request"
    reason = call.body.reason or default
    # The tombstone at once; the shredding through the privacy queue, at normal priority.
    normal = PRIORITIES["normal"]
    enqueue_request(
        RequestKind.DELETE, subject_id, caller, normal, reason, deps.uow(), deps.clock, deps.ids
    )
    status = privacy_status(subject_id, caller, deps.uow())
    headers = {**PRIVATE, "Location": f"/api/privacy/subjects/{subject_id}"}
    return Answer(shapes.PrivacyStatus.of(status), status=202, headers=headers)


def get_status(deps: PrivacyDeps, call: Call) -> Answer:
    status = privacy_status(call.params["subject_id"], call.principal, deps.uow())
    return Answer(shapes.PrivacyStatus.of(status), headers=PRIVATE)


def render_status(status: SubjectStatus) -> dict[str, Any]:
    """For `bkctl privacy ... --json`: the same shape as the HTTP answer."""
    found: dict[str, Any] = codec.plain(shapes.PrivacyStatus.of(status))
    return found


OPERATIONS = (
    Operation(
        "GET",
        BASE,
        "privacyStatus",
        "Whether a deletion was asked for, and whether the shredder has done it",
        "privacy",
        get_status,
        (Reply(200, "The subject's status", shapes.PrivacyStatus),),
        params=(SUBJECT,),
        problems=(404,),
        description=WHO,
    ),
    Operation(
        "GET",
        f"{BASE}/export",
        "privacyExport",
        "Every record about the person, across the schema (access-logged)",
        "privacy",
        get_export,
        (
            Reply(
                200,
                "The export (format `bookiji.privacy.export/1`)",
                shapes.PrivacyExport,
                headers={"Content-Disposition": {"type": "string"}},
            ),
        ),
        params=(SUBJECT,),
        problems=(404,),
        description=(
            f"{WHO} Profile, logins, quotes, bookings with their audit trail and (for a "
            "customer) payment messages and ledger entries, idempotency keys, and the "
            "access-log entries about them. The export itself is access-logged with "
            "purpose `privacy.export` in the same transaction."
        ),
    ),
    Operation(
        "POST",
        f"{BASE}/delete",
        "privacyDelete",
        "Delete the person: tombstone now, shred in the background",
        "privacy",
        post_delete,
        (
            Reply(
                202,
                "Accepted: the tombstone; poll the Location for `shredded`",
                shapes.PrivacyStatus,
                headers={"Location": {"type": "string"}},
            ),
        ),
        body=shapes.DeleteRequest,
        body_required=False,
        params=(SUBJECT,),
        problems=(404,),
        description=(
            f"{WHO} The person is deleted at once: their logins stop working and a vendor "
            "is no longer quoted. The shredder then overwrites their personal data, "
            "keeping bookings and ledger amounts under pseudonymous ids. Asking again "
            "returns the first request's tombstone."
        ),
    ),
)


def routes(deps: PrivacyDeps) -> list[BaseRoute]:
    return bind(OPERATIONS, deps, auth=Auth(deps.uow, deps.clock))
