"""SimCity fixtures: the manifest, deterministic runs through bootstrap, and the HTTP app of the
simcity profile driven by SimCity's provider, population and webhook delivery.

Every test marked `simcity` must take one of the fixtures below (`simcity_run` or
`simcity_http`): that is what "runs through SimCity" means, and collection enforces it.
With BOOKIJI_SIMCITY_INVENTORY=path, collection also writes the simcity-marked test ids there
(the manifest check reads it).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from bookiji_adapters.memory import InMemoryTelemetry, ManualClock, SequentialIds
from bookiji_adapters.simcity.payments import SimCityPaymentGateway
from bookiji_core.access import Principal, Role, hash_token
from bookiji_core.payments import OutboxState
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services, bootstrap, inject, simcity_run_wiring
from bookiji_entry.payments import webhook_secret
from bookiji_entry.seed import fixed_token, seed_demo
from bookiji_entry.settings import MEMORY_URL, Profile, Settings
from bookiji_entry.workers.outbox import relay_for
from bookiji_simcity.invariants import Snapshot, always, at_rest
from bookiji_simcity.outcome import Verdict
from bookiji_simcity.population import CENTRE
from bookiji_simcity.scenarios import run_scenario
from bookiji_simcity.world import EventLog

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "tests_manifest.yml"
SIMCITY_FIXTURES = frozenset({"simcity_run", "simcity_http"})
START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def entry(entry_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in manifest()["entries"] if e["id"] == entry_id)
    return found


def seeds(entry_id: str) -> list[int]:
    """The seeds a manifest entry names (a list, or {start, count}): its test runs these."""
    named = entry(entry_id)["seeds"]
    if isinstance(named, dict):
        return list(range(named["start"], named["start"] + named["count"]))
    return list(named)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    marked = [item for item in items if item.get_closest_marker("simcity") is not None]
    for item in marked:
        if not SIMCITY_FIXTURES & set(getattr(item, "fixturenames", ())):
            raise pytest.UsageError(
                f"{item.nodeid} is marked simcity but takes neither simcity_run nor "
                "simcity_http: it does not run through SimCity"
            )
    inventory = os.environ.get("BOOKIJI_SIMCITY_INVENTORY")
    if inventory:
        Path(inventory).write_text(json.dumps(sorted(item.nodeid for item in marked)))


# -- deterministic runs -----------------------------------------------------------------------

RunScenario = Callable[..., tuple[Verdict, EventLog]]


@pytest.fixture
def simcity_run() -> RunScenario:
    """`simcity_run("SLOW_CONFIRM", 3)`: one run on virtual time, wired through bootstrap."""

    def run(
        name: str, seed: int, *, storage: str = "memory", adjust: Any = None
    ) -> tuple[Verdict, EventLog]:
        def wiring(clock: ManualClock, seed: int, window: timedelta) -> Any:
            return simcity_run_wiring(clock, seed, window, storage=storage)

        return run_scenario(name, seed, wiring, adjust=adjust)

    return run


def explain(verdict: Verdict, log: EventLog) -> str:
    tail = "\n".join(log.lines[-40:])
    return f"{verdict.summary()}\n{verdict.violations}\nreplay: {verdict.replay} --log\n{tail}"


# -- the HTTP app of the simcity profile ------------------------------------------------------


class SimCityHttp:
    """The Starlette app wired by bootstrap for the simcity profile, with a virtual clock and a
    seeded SimCity provider whose webhooks are delivered over HTTP to /api/webhooks/stripe."""

    def __init__(self, client: TestClient, services: Services, provider: SimCityPaymentGateway):
        self.client = client
        self.services = services
        self.provider = provider
        self.clock: ManualClock = services.clock  # type: ignore[assignment]
        self.admin = {"Authorization": f"Bearer {fixed_token('adm_ops')}"}
        self.timings: dict[str, list[float]] = {}
        self.webhooks: list[int] = []
        self._relay = inject(relay_for, services, owner="simcity-e2e")
        provider.subscribe(self._deliver)

    def _deliver(self, payload: bytes, signature: str) -> object:
        response = self.client.post(
            "/api/webhooks/stripe",
            content=payload,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )
        self.webhooks.append(response.status_code)
        return response.status_code

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        began = time.perf_counter()
        response = self.client.request(method, path, headers=headers, **kwargs)
        self.timings.setdefault(path.split("/")[2], []).append(time.perf_counter() - began)
        return response

    def daemon_status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.client.get("/api/simcity/status", headers=self.admin).json()
        return status

    def customers(self, count: int = 2) -> list[str]:
        body = self.client.post(
            "/api/simcity/population", headers=self.admin, json={"tokens": count}
        ).json()
        return [c["token"] for c in body["customers"]]

    def vendor_token(self, vendor_id: str) -> str:
        token = f"vendor-token-{vendor_id}"
        with self.services.uow() as uow:
            uow.principals.add(hash_token(token), Principal(Role.VENDOR, vendor_id))
            uow.commit()
        return token

    def quote_body(self, hours_ahead: int = 26, service: str = "sim-haircut") -> dict[str, Any]:
        at = (START + timedelta(hours=hours_ahead)).replace(minute=0)
        return {
            "service_type": service,
            "location": {"latitude": CENTRE.latitude, "longitude": CENTRE.longitude},
            "date_time": at.isoformat().replace("+00:00", "Z"),
            "duration_minutes": 60,
        }

    def settle(self, rounds: int = 100) -> None:
        """Run the service's relay and SimCity's webhook delivery until nothing is left,
        moving the virtual clock to each retry."""
        for _ in range(rounds):
            self._relay.drain()
            self.provider.deliver_due()
            with self.services.uow() as uow:
                queued = uow.outbox.list_by_state(OutboxState.QUEUED, 1000)
                flying = uow.outbox.list_by_state(OutboxState.IN_FLIGHT, 1000)
            due = [m.next_attempt_at for m in queued]
            due += [m.lease_until for m in flying if m.lease_until is not None]
            due += [p.due_at for p in self.provider.pending]
            if not due:
                return
            self.clock.set(max(self.clock.now(), min(due)))
        raise AssertionError("the outbox did not settle")

    def violations(self, *, rest: bool = True) -> list[str]:
        snap = Snapshot.take(self.services.uow, self.provider)
        return always(snap, dlq_bound=0) + (at_rest(snap) if rest else [])


@pytest.fixture
def simcity_http() -> Iterator[SimCityHttp]:
    clock = ManualClock(START)
    config = Settings(profile=Profile.SIMCITY, database_url=MEMORY_URL)
    provider = SimCityPaymentGateway(
        clock=clock, rng=random.Random(1), webhook_secret=webhook_secret(config)
    )
    services = bootstrap(
        config, clock=clock, ids=SequentialIds(), telemetry=InMemoryTelemetry(), gateway=provider
    )
    seed_demo(services.uow(), START, fixed_tokens=True)  # for its admin token
    with TestClient(create_app(services)) as client:
        yield SimCityHttp(client, services, provider)
