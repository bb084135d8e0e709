"""CPU per request of the quote-then-confirm flow, in process, one flow at a time.

    .venv/bin/python bench/flow_cpu.py --flows 300 --rounds 5

The open-loop HTTP harness (bench/ab.py) measures what a user sees, but on a shared two-core
machine its CPU figures swing by 10 % from run to run; a change that saves a few percent
needs a quieter measure. This one drives `bkctl serve`'s app (local profile, SQLite in a
temporary file, SimCity's population) through Starlette's TestClient, with no background
loops, and reads the process's CPU time (user + system, `time.process_time`) around each
request: the median per round, and the median of the rounds. Run it from two checkouts
alternately (`PYTHONPATH=/path/to/other/src`) to compare commits.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import bootstrap
from bookiji_entry.seed import seed_demo
from bookiji_entry.settings import Profile, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.openloop import Audience, OpenLoop


def _audience(client: TestClient) -> Audience:
    answer = client.post(
        "/api/simcity/population",
        headers={"Authorization": "Bearer demo-adm_ops"},
        json={"tokens": 50},
    ).json()
    area = answer["area"]
    return Audience(
        tokens=tuple(c["token"] for c in answer["customers"]),
        latitude=area["latitude"],
        longitude=area["longitude"],
        radius_km=area["radius_km"],
        service_types=tuple(answer["service_types"]),
    )


def one_round(flows: int, seed: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bookiji-cpu-"))
    settings = Settings(profile=Profile.LOCAL, database_url=f"sqlite:///{workdir}/bench.db")
    services = bootstrap(settings)
    services.database.upgrade()
    seed_demo(services.uow(), datetime.now(UTC), fixed_tokens=True)
    spent: dict[str, list[float]] = {"quote": [], "confirm": []}
    with TestClient(create_app(services)) as client:
        bodies = OpenLoop("", 0, _audience(client), seed=seed)
        for n in range(flows + 20):  # the first 20 warm up
            token, body = bodies.body()
            headers = {"Authorization": f"Bearer {token}"}
            began = time.process_time()
            quoted = client.post("/api/quote", headers=headers, json=body)
            quote_cpu = time.process_time() - began
            if quoted.status_code not in (200, 201) or not quoted.json()["candidates"]:
                continue
            q: Any = quoted.json()
            headers["Idempotency-Key"] = str(uuid.uuid4())
            payload = {
                "quote_id": q["quote_id"],
                "provider_id": q["candidates"][0]["provider_id"],
                "payment_method": "pm_card_visa",
            }
            began = time.process_time()
            client.post("/api/bookings/confirm", headers=headers, json=payload)
            confirm_cpu = time.process_time() - began
            if n >= 20:
                spent["quote"].append(quote_cpu)
                spent["confirm"].append(confirm_cpu)
    services.database.dispose()
    return {name: 1000 * statistics.median(values) for name, values in spent.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sys.stderr, stderr = io.StringIO(), sys.stderr  # the access log's JSON lines
    try:
        rounds = [one_round(args.flows, seed) for seed in range(1, args.rounds + 1)]
    finally:
        sys.stderr = stderr
    for name in ("quote", "confirm"):
        per = [r[name] for r in rounds]
        print(
            f"{name:8} CPU ms per request: median {statistics.median(per):.3f} "
            f"(rounds: {', '.join(f'{v:.3f}' for v in per)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
