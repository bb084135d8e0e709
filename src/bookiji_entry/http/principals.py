"""Admins invite people and list, rotate and revoke their tokens over HTTP."""

from __future__ import annotations

import attrs
from starlette.routing import BaseRoute

from bookiji_core.access import Role
from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.usecases.principals import TokenPolicy, invite, list_principals, revoke, rotate
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Auth, Operation, Param, Reply, bind
from bookiji_entry.principals import invitation, new_token
from bookiji_entry.shapes import principals as shapes

# A token in a response must not be kept by a cache or a proxy.
PRIVATE = {"Cache-Control": "no-store"}
ONE = "/api/principals/{subject_id}"
SUBJECT = Param("subject_id", shapes.SubjectId)
ADMIN = (Role.ADMIN,)


@attrs.frozen
class PrincipalDeps:
    """What the principals routes use."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: Ids
    tokens: TokenPolicy


def post_invite(deps: PrincipalDeps, call: Call) -> Answer:
    invited = invitation(call.body)
    issued = invite(
        invited, call.principal, new_token(), deps.tokens, deps.uow(), deps.clock, deps.ids
    )
    return Answer(shapes.Issued.of(issued), status=201, headers=PRIVATE)


def get_list(deps: PrincipalDeps, call: Call) -> Answer:
    found = list_principals(call.principal, deps.uow(), deps.clock)
    return Answer(shapes.PrincipalList([shapes.Principal.of(s) for s in found]), headers=PRIVATE)


def post_rotate(deps: PrincipalDeps, call: Call) -> Answer:
    issued = rotate(
        call.params["subject_id"],
        call.principal,
        new_token(),
        deps.tokens,
        deps.uow(),
        deps.clock,
        call.body.reason,
    )
    return Answer(shapes.Issued.of(issued), headers=PRIVATE)


def post_revoke(deps: PrincipalDeps, call: Call) -> Answer:
    subject_id = call.params["subject_id"]
    summary = revoke(subject_id, call.principal, call.body.reason, deps.uow(), deps.clock)
    return Answer(shapes.Principal.of(summary), headers=PRIVATE)


OPERATIONS = (
    Operation(
        "POST",
        "/api/principals",
        "invitePrincipal",
        "Create a customer, vendor (empty catalogue) or admin, and its token",
        "principals",
        post_invite,
        (Reply(201, "The token, shown only now", shapes.Issued),),
        roles=ADMIN,
        body=shapes.Invitation,
    ),
    Operation(
        "GET",
        "/api/principals",
        "listPrincipals",
        "Every principal and the state of its newest token (never a token)",
        "principals",
        get_list,
        (Reply(200, "The principals", shapes.PrincipalList),),
        roles=ADMIN,
    ),
    Operation(
        "POST",
        f"{ONE}/rotate",
        "rotatePrincipal",
        "A new token; the person's old tokens stop working at once",
        "principals",
        post_rotate,
        (Reply(200, "The new token, shown only now", shapes.Issued),),
        roles=ADMIN,
        body=shapes.RotateRequest,
        body_required=False,
        params=(SUBJECT,),
        problems=(404, 409),
    ),
    Operation(
        "POST",
        f"{ONE}/revoke",
        "revokePrincipal",
        "Every token of the person stops working at once, in every process",
        "principals",
        post_revoke,
        (Reply(200, "The principal, revoked", shapes.Principal),),
        roles=ADMIN,
        body=shapes.RevokeRequest,
        params=(SUBJECT,),
        problems=(404,),
    ),
)


def routes(deps: PrincipalDeps) -> list[BaseRoute]:
    return bind(OPERATIONS, deps, auth=Auth(deps.uow, deps.clock))
