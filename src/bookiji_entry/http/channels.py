"""A person's notification channels and opt-outs over HTTP: the person manages their own, an
admin anyone's. A webhook endpoint registered without a secret gets a fresh `whsec_` secret,
shown in that one response only."""

from __future__ import annotations

from functools import partial
from typing import Any

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases.channels import channel_named, list_channels, opt, put_channel
from bookiji_entry import channels_io
from bookiji_entry.http._io import Call, endpoint, principal

PRIVATE = {"Cache-Control": "no-store"}
_ONE = "/api/principals/{subject_id}/channels"


@attrs.frozen
class ChannelDeps:
    """What the channel routes use."""

    uow: UnitOfWorkFactory
    clock: Clock


def get_channels(deps: ChannelDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    found = list_channels(caller, call.path_params["subject_id"], deps.uow())
    return JSONResponse({"channels": [channels_io.render(p) for p in found]}, headers=PRIVATE)


def put_one(deps: ChannelDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    channel = channel_named(call.path_params["channel"])
    address, secret, made = channels_io.address_and_secret(channel, call.json())
    subject = call.path_params["subject_id"]
    stored = put_channel(caller, subject, channel, address, secret, deps.uow(), deps.clock)
    body = channels_io.render(stored)
    if made:
        body["secret"] = secret  # generated here: shown only now
    return JSONResponse(body, headers=PRIVATE)


def post_opt(deps: ChannelDeps, opted_out: bool, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    channel = channel_named(call.path_params["channel"])
    subject = call.path_params["subject_id"]
    changed = opt(caller, subject, channel, opted_out, deps.uow(), deps.clock)
    return JSONResponse(channels_io.render(changed), headers=PRIVATE)


def routes(deps: ChannelDeps) -> list[BaseRoute]:
    def bind(handler: Any, *args: Any, body: bool = False) -> Any:
        return endpoint(partial(handler, deps, *args), body=body)

    return [
        Route(_ONE, bind(get_channels), methods=["GET"]),
        Route(f"{_ONE}/{{channel}}", bind(put_one, body=True), methods=["PUT"]),
        Route(f"{_ONE}/{{channel}}/opt-out", bind(post_opt, True), methods=["POST"]),
        Route(f"{_ONE}/{{channel}}/opt-in", bind(post_opt, False), methods=["POST"]),
    ]


def _problems(*statuses: str) -> dict[str, Any]:
    names = {
        "400": "BadRequest",
        "401": "Unauthenticated",
        "403": "Forbidden",
        "404": "NotFound",
        "413": "BodyTooLarge",
        "422": "Unprocessable",
        "500": "InternalError",
    }
    return {s: {"$ref": f"#/components/responses/{names[s]}"} for s in (*statuses, "500")}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


_SELF = {
    "security": [{"bearerAuth": []}],
    "tags": ["channels"],
    "description": "The person themselves, or an admin.",
}
_SUBJECT = {
    "name": "subject_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
    "description": "A customer's or vendor's id",
}
_CHANNEL = {
    "name": "channel",
    "in": "path",
    "required": True,
    "schema": {"enum": ["email", "webhook"]},
}

OPENAPI_PATHS: dict[str, Any] = {
    _ONE: {
        "get": {
            **_SELF,
            "operationId": "listChannels",
            "summary": "The person's channels (the profile's email until one is set); no secret",
            "parameters": [_SUBJECT],
            "responses": {
                "200": {"description": "The channels", "content": _json("ChannelList")},
                **_problems("401", "403", "404"),
            },
        }
    },
    f"{_ONE}/{{channel}}": {
        "put": {
            **_SELF,
            "operationId": "setChannel",
            "summary": "Set an email address, or a vendor's Standard Webhooks endpoint",
            "parameters": [_SUBJECT, _CHANNEL],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["address"],
                            "properties": {
                                "address": {"type": "string", "maxLength": 2048},
                                "secret": {
                                    "type": "string",
                                    "description": "webhook only: whsec_...; made if absent",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "The channel, opted in", "content": _json("Channel")},
                **_problems("400", "401", "403", "404", "413", "422"),
            },
        }
    },
}
for _verb, _what in (("opt-out", "Stop notifications there"), ("opt-in", "Resume them")):
    OPENAPI_PATHS[f"{_ONE}/{{channel}}/{_verb}"] = {
        "post": {
            **_SELF,
            "operationId": "optOut" if _verb == "opt-out" else "optIn",
            "summary": f"{_what}; queued notifications follow the choice",
            "parameters": [_SUBJECT, _CHANNEL],
            "responses": {
                "200": {"description": "The channel", "content": _json("Channel")},
                **_problems("401", "403", "404", "422"),
            },
        }
    }

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Channel": {
            "type": "object",
            "required": ["principal_id", "channel", "address", "opted_out", "has_secret"],
            "properties": {
                "principal_id": {"type": "string"},
                "channel": {"enum": ["email", "webhook"]},
                "address": {"type": "string"},
                "opted_out": {"type": "boolean"},
                "has_secret": {"type": "boolean"},
                "secret": {"type": "string", "description": "Only when made by this request"},
                "updated_at": {"type": ["string", "null"], "format": "date-time"},
            },
        },
        "ChannelList": {
            "type": "object",
            "required": ["channels"],
            "properties": {
                "channels": {"type": "array", "items": {"$ref": "#/components/schemas/Channel"}}
            },
        },
    }
}
