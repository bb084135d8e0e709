"""Each route's operation, declared once: method, path, who may call it, the shapes it takes
and answers with, the problems it can answer. The router list, request validation, response
rendering and /openapi.json are all made from these declarations (docs/architecture.md).

The order of a request is fixed here: the caller's token and role first (401/403 before
anything the caller sent is read), then the path parameters, the query string and the body
against their shapes (422 naming the field), then the handler, whose answer is encoded with
the shape its status declares."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import attrs
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bookiji_core.access import Principal, Role
from bookiji_core.errors import InvalidInput
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_entry.http._io import Call, endpoint, principal
from bookiji_entry.shapes import codec

JSON = "application/json"
# The problem response of an event the provider should deliver again (503, Retry-After).
RETRY_LATER = "WebhookRetryLater"


@attrs.frozen
class Reply:
    """A successful answer: its status, the shape of its body and the headers it carries."""

    status: int
    description: str
    shape: type[Any] | None = None
    headers: Mapping[str, Any] = attrs.field(factory=dict)  # name -> JSON Schema
    media_type: str = JSON
    schema: Mapping[str, Any] | None = None  # for a body that is not a shape


@attrs.frozen
class Param:
    """A path parameter or a request header, validated and documented by its (Annotated) type."""

    name: str
    type: Any
    where: str = "path"
    required: bool = True


@attrs.frozen
class Operation:
    method: str
    path: str
    id: str
    summary: str
    tag: str
    handler: Callable[..., Answer | Response]
    replies: tuple[Reply, ...]
    # None: public (no token); () any authenticated caller; else the roles let through.
    roles: tuple[Role, ...] | None = ()
    body: type[Any] | None = None
    body_required: bool = True
    # A signed body: the handler verifies the raw bytes, then decodes them with `body`.
    signed: bool = False
    query: type[Any] | None = None
    params: tuple[Param, ...] = ()
    problems: tuple[int | str, ...] = ()  # statuses, or names of problem responses
    description: str = ""

    def reply(self, status: int) -> Reply:
        for reply in self.replies:
            if reply.status == status:
                return reply
        raise LookupError(f"{self.method} {self.path} declares no {status} answer")


@attrs.frozen
class Answer:
    """What a handler returns: a shape instance, encoded as its status declares."""

    body: object
    status: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Auth:
    """How a route module authenticates: the token is looked up in the database."""

    uow: UnitOfWorkFactory
    clock: Clock

    def __call__(self, call: Call) -> Principal:
        return principal(call, self.uow, self.clock)


def bind(
    operations: Sequence[Operation], *args: object, auth: Auth | None = None
) -> list[BaseRoute]:
    """The routes of `operations`, their handlers given `args` first."""
    return [
        Route(
            op.path,
            endpoint(partial(_serve, op, auth, partial(op.handler, *args)), body=bool(op.body)),
            methods=[op.method],
        )
        for op in operations
    ]


def _serve(
    op: Operation, auth: Auth | None, handler: Callable[[Call], Answer | Response], call: Call
) -> Response:
    caller = None
    if op.roles is not None:
        if auth is None:
            raise TypeError(f"{op.id} needs a caller but its module gave no Auth")
        caller = auth(call)
        if op.roles:
            caller.require(*op.roles)
    params = {p.name: _param(p, call) for p in op.params}
    args = None if op.query is None else codec.convert(dict(call.query), op.query, strict=False)
    body = None
    if op.body is not None and not op.signed:
        if op.body_required or call.raw_body.strip():
            body = codec.decode(call.raw_body, op.body)
        else:
            body = codec.convert({}, op.body)
    answer = handler(attrs.evolve(call, caller=caller, params=params, args=args, body=body))
    if isinstance(answer, Response):
        return answer
    reply = op.reply(answer.status)
    if reply.shape is None or not isinstance(answer.body, reply.shape):
        raise TypeError(f"{op.id} answered {answer.status} with {type(answer.body).__name__}")
    return Response(
        codec.encode(answer.body),
        status_code=answer.status,
        headers=dict(answer.headers),
        media_type=reply.media_type,
    )


def _param(param: Param, call: Call) -> Any:
    source = call.path_params if param.where == "path" else call.headers
    value = source.get(param.name)
    if value is None:
        return None  # a missing header: the use case says what that means
    try:
        return codec.convert(value, param.type)
    except InvalidInput as exc:
        raise InvalidInput(param.name, f"{param.name}: {exc.message.split(': ', 1)[-1]}") from None
