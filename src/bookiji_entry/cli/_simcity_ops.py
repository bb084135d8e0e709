"""`bkctl simcity on|off|status|config|load|purge`: the daemon in a running server, load
against it over HTTP, and the purge of synthetic records from the configured database."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import httpx

from bookiji_entry.bootstrap import Database
from bookiji_entry.cli._common import UNAVAILABLE, CliError, env_token, print_json, server_url
from bookiji_entry.settings import Settings
from bookiji_simcity.load import Audience, LoadRefused, ensure_loopback, run_load
from bookiji_simcity.purge import PurgeRefused, purge_memory, purge_sql


def run_remote(action: str, args: argparse.Namespace) -> int:
    base = server_url(args.url)
    headers = {"Authorization": f"Bearer {env_token(args.token)}"}
    method, path = {
        "on": ("POST", "/api/simcity/power/on"),
        "off": ("POST", "/api/simcity/power/off"),
        "status": ("GET", "/api/simcity/status"),
        "config": ("POST", "/api/simcity/config"),
    }[action]
    body = _settings(args.set) if action == "config" else None
    try:
        response = httpx.request(method, base + path, headers=headers, json=body, timeout=30)
    except httpx.HTTPError as error:
        raise CliError(f"cannot reach {base}: {error}", UNAVAILABLE) from None
    shown = response.json()
    if response.status_code >= 400:
        raise CliError(f"{shown.get('code')}: {shown.get('detail')}", _exit_for(response))
    if args.json:
        print_json(shown)
    else:
        _print_status(shown)
    return 0


def _settings(pairs: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise CliError(f"--set wants NAME=VALUE, got {pair!r}", 2)
        try:
            body[name.strip()] = json.loads(value)
        except ValueError:
            raise CliError(f"--set {name}: {value!r} is not a number", 2) from None
    if not body:
        raise CliError("give at least one --set NAME=VALUE", 2)
    return body


def _exit_for(response: httpx.Response) -> int:
    return {401: 3, 403: 3, 422: 2}.get(response.status_code, 1)


def _print_status(status: dict[str, Any]) -> None:
    state = "running" if status["running"] else "off"
    print(f"SimCity is {state}; simulated time {status['simulated_time']}")
    rates = ", ".join(f"{k}={v:g}" for k, v in status["rates"].items())
    print(f"  rates: {rates}")
    pop = status["population"]
    print(f"  population: {pop['customers']} customers, {pop['vendors']} vendors")
    counts = ", ".join(f"{k}={v}" for k, v in status["counts"].items()) or "none yet"
    print(f"  counts: {counts}")


# -- load and purge ----------------------------------------------------------------------------


def run_load_command(args: argparse.Namespace) -> int:
    target = server_url(args.target)
    try:
        ensure_loopback(target, allow_remote=args.allow_remote)
    except LoadRefused as refusal:
        raise CliError(str(refusal), 2) from None
    audience = _audience(target, env_token(args.token), args.customers)
    try:
        result = asyncio.run(
            run_load(target, audience, rps=args.rps, duration=args.duration, cap=args.cap)
        )
    except LoadRefused as refusal:
        raise CliError(str(refusal), 2) from None
    if args.json:
        print_json(result)
        return 0
    print(
        f"{result['flows']} flows at {args.rps:g}/s for {args.duration:g} s against {target} "
        f"(wall {result['wall_seconds']} s)"
    )
    for name, figures in result["endpoints"].items():
        print(
            f"  {name:<8} n={figures['requests']:<6} p50={figures['p50_ms']:.1f} ms "
            f"p95={figures['p95_ms']:.1f} ms p99={figures['p99_ms']:.1f} ms "
            f"max={figures['max_ms']:.1f} ms  statuses {figures['statuses']}"
        )
    print(
        f"  error rate {result['error_rate']:.2%} (5xx and transport errors), refusals "
        f"{result['refusal_rate']:.2%} (4xx); generator lag p99 "
        f"{result['generator_lag_p99_ms']} ms"
    )
    if result["cap_waits"]:
        print(f"  the concurrency cap ({args.cap}) was hit: {result['cap_waits']} flows waited")
    return 0


def _audience(target: str, token: str, customers: int) -> Audience:
    try:
        response = httpx.post(
            f"{target}/api/simcity/population",
            headers={"Authorization": f"Bearer {token}"},
            json={"tokens": customers},
            timeout=120,
        )
    except httpx.HTTPError as error:
        raise CliError(f"cannot reach {target}: {error}", UNAVAILABLE) from None
    body = response.json()
    if response.status_code != 200:
        raise CliError(f"population: {body.get('code')}: {body.get('detail')}", 1)
    area = body["area"]
    return Audience(
        tokens=tuple(c["token"] for c in body["customers"]),
        latitude=area["latitude"],
        longitude=area["longitude"],
        radius_km=area["radius_km"],
        service_types=tuple(body["service_types"]),
    )


def run_purge(args: argparse.Namespace, settings: Settings, database: Database) -> int:
    try:
        if settings.is_memory:
            report = purge_memory(database.unit_of_work(), force=args.force)
        else:
            from bookiji_adapters.sqlalchemy import SqlAlchemyStorage

            storage = SqlAlchemyStorage(settings.database_url)
            try:
                report = purge_sql(storage.engine, force=args.force)
            finally:
                storage.dispose()
    except PurgeRefused as refusal:
        raise CliError(f"{refusal}; power SimCity off and let the relay drain", 5) from None
    shown = {"bookings": report.bookings, "customers": report.customers, "vendors": report.vendors}
    if args.json:
        print_json(shown)
    else:
        print(
            f"purged {report.bookings} synthetic bookings, {report.customers} customers, "
            f"{report.vendors} vendors"
        )
    return 0
