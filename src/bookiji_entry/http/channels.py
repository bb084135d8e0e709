"""A person's notification channels and opt-outs over HTTP: the person manages their own, an
admin anyone's. A webhook endpoint registered without a secret gets a fresh `whsec_` secret,
shown in that one response only."""

from __future__ import annotations

import attrs
from starlette.routing import BaseRoute

from bookiji_core.notifications import Channel
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases.channels import list_channels, opt, put_channel
from bookiji_entry import channels_io
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Auth, Operation, Param, Reply, bind
from bookiji_entry.shapes import channels as shapes
from bookiji_entry.shapes.common import Id

PRIVATE = {"Cache-Control": "no-store"}
ONE = "/api/principals/{subject_id}/channels"
SUBJECT = Param("subject_id", Id)
CHANNEL = Param("channel", Channel)
WHO = "The person themselves, or an admin."


@attrs.frozen
class ChannelDeps:
    """What the channel routes use."""

    uow: UnitOfWorkFactory
    clock: Clock


def get_channels(deps: ChannelDeps, call: Call) -> Answer:
    found = list_channels(call.principal, call.params["subject_id"], deps.uow())
    listed = shapes.ChannelList([shapes.ContactChannel.of(p) for p in found])
    return Answer(listed, headers=PRIVATE)


def put_one(deps: ChannelDeps, call: Call) -> Answer:
    channel, subject = call.params["channel"], call.params["subject_id"]
    address, secret, made = channels_io.address_and_secret(channel, call.body)
    stored = put_channel(call.principal, subject, channel, address, secret, deps.uow(), deps.clock)
    shown = shapes.ContactChannel.of(stored, made_secret=secret if made else None)
    return Answer(shown, headers=PRIVATE)


def post_opt(deps: ChannelDeps, opted_out: bool, call: Call) -> Answer:
    channel, subject = call.params["channel"], call.params["subject_id"]
    changed = opt(call.principal, subject, channel, opted_out, deps.uow(), deps.clock)
    return Answer(shapes.ContactChannel.of(changed), headers=PRIVATE)


def _opt(verb: str, op_id: str, summary: str, opted_out: bool) -> Operation:
    def handler(deps: ChannelDeps, call: Call) -> Answer:
        return post_opt(deps, opted_out, call)

    return Operation(
        "POST",
        f"{ONE}/{{channel}}/{verb}",
        op_id,
        f"{summary}; queued notifications follow the choice",
        "channels",
        handler,
        (Reply(200, "The channel", shapes.ContactChannel),),
        params=(SUBJECT, CHANNEL),
        problems=(404,),
        description=WHO,
    )


OPERATIONS = (
    Operation(
        "GET",
        ONE,
        "listChannels",
        "The person's channels (the profile's email until one is set); no secret",
        "channels",
        get_channels,
        (Reply(200, "The channels", shapes.ChannelList),),
        params=(SUBJECT,),
        problems=(404,),
        description=WHO,
    ),
    Operation(
        "PUT",
        f"{ONE}/{{channel}}",
        "setChannel",
        "Set an email address, or a vendor's Standard Webhooks endpoint",
        "channels",
        put_one,
        (Reply(200, "The channel, opted in", shapes.ContactChannel),),
        body=shapes.ChannelRequest,
        params=(SUBJECT, CHANNEL),
        problems=(404,),
        description=WHO,
    ),
    _opt("opt-out", "optOut", "Stop notifications there", True),
    _opt("opt-in", "optIn", "Resume them", False),
)


def routes(deps: ChannelDeps) -> list[BaseRoute]:
    return bind(OPERATIONS, deps, auth=Auth(deps.uow, deps.clock))
