"""GET /api/status (JSON) and GET /status (an HTML page, no build step, no script): the SLA
banner, each SLO against its objective, and the outbox, DLQ and privacy queue. Public: no token,
nothing personal, for customers and vendors as much as for on-call."""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Any

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute

from bookiji_core.ports import Clock, Telemetry, UnitOfWorkFactory
from bookiji_entry.banner import SlaBanner
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Operation, Reply, bind
from bookiji_entry.http.metrics import Exposition
from bookiji_entry.shapes import codec
from bookiji_entry.shapes.status import ServiceStatus
from bookiji_entry.status import status

# A status page must never be served stale from a cache.
FRESH = {"Cache-Control": "no-store"}
STYLE = """body { font: 16px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 56rem;
color: #222; }
.banner { background: #fff3cd; border: 2px solid #d39e00; padding: 1rem; margin-bottom: 1rem; }
.state { font-size: 1.5rem; } .state.ok { color: #1e7e34; }
.state.degraded { color: #b45309; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd;
padding: .4rem .6rem; text-align: left; } tr.bad td { background: #fde2e1; }
tr.ok td:last-child { color: #1e7e34; } tr.none td:last-child { color: #777; }
"""
# The API's policy allows nothing; the page allows exactly its own inline style, by hash.
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_HEADERS = {
    **FRESH,
    "Content-Security-Policy": f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}


def _current(
    uow: UnitOfWorkFactory, telemetry: Telemetry, clock: Clock, banner: SlaBanner
) -> dict[str, Any]:
    exposition = telemetry.exposition()[0] if isinstance(telemetry, Exposition) else b""
    return status(uow, exposition, banner(), clock.now())


def get_status(
    uow: UnitOfWorkFactory, telemetry: Telemetry, clock: Clock, banner: SlaBanner, _call: Call
) -> Answer:
    found = codec.shaped(_current(uow, telemetry, clock, banner), ServiceStatus)
    return Answer(found, headers=FRESH)


def get_page(
    uow: UnitOfWorkFactory, telemetry: Telemetry, clock: Clock, banner: SlaBanner, _call: Call
) -> Response:
    return HTMLResponse(page(_current(uow, telemetry, clock, banner)), headers=PAGE_HEADERS)


_VERDICT = {True: ("met", "ok"), False: ("breached", "bad"), None: ("no data yet", "none")}


def _row(r: dict[str, Any]) -> str:
    e = html.escape
    verdict, css = _VERDICT[r["met"]]
    now = "—" if r["value"] is None else e(f"{r['value']:g} {r['unit']}")
    cells = f"<td>{e(r['name'])}</td><td>{e(r['objective'])}</td><td>{now}</td>"
    return f'<tr class="{css}">{cells}<td>{verdict}</td></tr>'


def page(shown: dict[str, Any]) -> str:
    e = html.escape
    banner = ""
    if shown["banner"]:
        banner = (
            f'<div class="banner" role="alert"><strong>Notice:</strong> {e(shown["banner"])}</div>'
        )
    rows = "".join(_row(r) for r in shown["slos"])
    outbox = ", ".join(f"{k} {v}" for k, v in shown["outbox"].items())
    notes = ", ".join(f"{k} {v}" for k, v in shown["notifications"].items())
    queue = shown["privacy_queue"]
    dlq = shown["outbox"].get("dlq", 0)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bookiji status: {e(shown["status"])}</title>
<style>{STYLE}</style></head>
<body>
<h1>Bookiji status</h1>
{banner}
<p class="state {e(shown["status"])}" id="state">{e(shown["status"])}</p>
<h2>Service levels</h2>
<table id="slos"><thead><tr><th>SLO</th><th>objective</th><th>now</th><th>verdict</th></tr>
</thead><tbody>{rows}</tbody></table>
<h2>Payments and requests in flight</h2>
<ul>
<li id="dlq">Payment dead-letter queue: {dlq} message(s)</li>
<li>Payment outbox: {e(outbox)}</li>
<li>Notifications: {e(notes)}</li>
<li>Privacy requests open: {queue["open"]} (oldest {queue["oldest_age_seconds"]:g} s)</li>
</ul>
<p><small>Checked {e(shown["checked_at"])}. SLOs since the service's processes started;
the same figures as JSON at <a href="/api/status">/api/status</a>.</small></p>
</body></html>
"""


OPERATIONS = (
    Operation(
        "GET",
        "/api/status",
        "serviceStatus",
        "The SLA banner, each SLO against its objective, the outbox and DLQ",
        "operations",
        get_status,
        (Reply(200, "The service's status now", ServiceStatus),),
        roles=None,
    ),
    Operation(
        "GET",
        "/status",
        "statusPage",
        "The same as an HTML page for people",
        "operations",
        get_page,
        (Reply(200, "HTML", media_type="text/html", schema={"type": "string"}),),
        roles=None,
    ),
)


def routes(
    uow: UnitOfWorkFactory, telemetry: Telemetry, clock: Clock, banner: SlaBanner
) -> list[BaseRoute]:
    return bind(OPERATIONS, uow, telemetry, clock, banner)
