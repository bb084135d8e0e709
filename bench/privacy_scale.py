"""One subject with 10,000 bookings: time their privacy export and their deletion + shred.

    .venv/bin/python bench/privacy_scale.py sqlite:///var/privacy-scale.db \
        postgresql://postgres@127.0.0.1:5432/bookiji_privacy_scale --json var/privacy-scale.json

For each database URL (migrated on start) it seeds, with the project's own storage
(`SqlAlchemyStorage`, the trail of bench/privacy_export_delete.py: quote, booking, audit row,
committed hold message, ledger entry, access-log entry per booking), one customer with
`--bookings` bookings among `--others` bookings of another customer. It then times the real use
cases on the real clock: `export_subject`, and `request_deletion` followed by `shred_due` until
the customer is shredded (what `bookiji_privacy_request_duration_seconds{kind="delete"}`
records); and `bkctl privacy export --out FILE` end to end (`run_export`: the export, then
its JSON written to a 0600 file), the officer's whole wait. It checks the export holds every
booking and the profile and card references were erased. Prints a markdown table, writes
JSON with the load average before and after each run.
Exits 1 if a goal (export, and export to file, <= 2 s; delete + shred <= 10 s) was missed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from privacy_export_delete import OFFICER, Durations, seed_customer
from sqlalchemy import text

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.system import SystemClock
from bookiji_core import CustomerId
from bookiji_core.privacy import ERASED
from bookiji_core.usecases.privacy import export_subject, request_deletion, shred_due
from bookiji_entry.cli.privacy import run_export

EXPORT_GOAL, DELETE_GOAL = 2.0, 10.0


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def run_one(url: str, bookings: int, others: int) -> dict[str, Any]:
    storage = SqlAlchemyStorage(url)
    storage.upgrade()
    run = secrets.token_hex(3)
    start = SystemClock().now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    customer_id = f"c_{run}_scale"
    t0 = time.perf_counter()
    seed_customer(storage.unit_of_work(), f"c_{run}_others", others, start)
    seed_customer(storage.unit_of_work(), customer_id, bookings, start)
    seeded = time.perf_counter() - t0
    load_before = os.getloadavg()
    clock, telemetry = SystemClock(), Durations()
    t1 = time.perf_counter()
    export = export_subject(customer_id, OFFICER, storage.unit_of_work(), clock, telemetry)
    t2 = t2_export = time.perf_counter()
    out = Path(f"/tmp/privacy-scale-{run}.json")
    args = argparse.Namespace(subject=customer_id, out=out, operator="bench")
    with contextlib.redirect_stdout(io.StringIO()):
        run_export(args, storage.unit_of_work, clock, telemetry)
    t_file = time.perf_counter() - t2
    file_bytes = out.stat().st_size
    out.unlink()
    t2 = time.perf_counter()
    request_deletion(customer_id, OFFICER, "benchmark", storage.unit_of_work(), clock)
    passes = 0
    while customer_id not in shred_due(storage.unit_of_work(), clock, telemetry).shredded:
        passes += 1
    t3 = time.perf_counter()
    load_after = os.getloadavg()
    with storage.unit_of_work() as uow:
        customer = uow.customers.get(CustomerId(customer_id))
        left = uow.bookings.list_for(customer_id=CustomerId(customer_id), limit=bookings + 1)
    erased = customer is not None and customer.email == ERASED
    erased = erased and all(b.payment_method == ERASED for b in left)
    with storage.engine.connect() as conn:
        access_rows = conn.execute(
            text("SELECT count(*) FROM access_log WHERE subject_id = :s"), {"s": customer_id}
        ).scalar_one()
    dialect = storage.engine.dialect.name
    storage.dispose()
    return {
        "database": dialect,
        "bookings": bookings,
        "others": others,
        "seed_s": round(seeded, 3),
        "export_s": round(t2_export - t1, 3),
        "export_file_s": round(t_file, 3),
        "export_file_mib": round(file_bytes / 2**20, 1),
        "delete_shred_s": round(t3 - t2, 3),
        "extra_shred_passes": passes,
        "exported_bookings": len(export["bookings"]),
        "export_kib": round(len(json.dumps(export)) / 1024),
        "erased": erased and len(left) == bookings,
        "access_log_rows": access_rows,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }


def markdown(results: list[dict[str, Any]], commit: str) -> str:
    lines = [
        f"commit {commit}; goals: export <= {EXPORT_GOAL} s, delete + shred <= {DELETE_GOAL} s",
        "",
        "| database | bookings | export s | export to file s | delete + shred s | export KiB "
        "| erased | load avg |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        load = " ".join(f"{x:.2f}" for x in r["loadavg_before"])
        lines.append(
            f"| {r['database']} | {r['bookings']} | {r['export_s']:.3f} | "
            f"{r['export_file_s']:.3f} | "
            f"{r['delete_shred_s']:.3f} | {r['export_kib']} | {r['erased']} | {load} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+", help="sqlite:///path or postgresql://...")
    parser.add_argument("--bookings", type=int, default=10_000, help="the subject's (10000)")
    parser.add_argument("--others", type=int, default=2_000, help="another customer's (2000)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    commit = _commit()
    results = [run_one(url, args.bookings, args.others) for url in args.urls]
    print(markdown(results, commit))
    if args.json is not None:
        args.json.write_text(json.dumps({"commit": commit, "results": results}, indent=2) + "\n")
    ok = all(
        r["erased"]
        and r["exported_bookings"] == r["bookings"]
        and r["export_s"] <= EXPORT_GOAL
        and r["export_file_s"] <= EXPORT_GOAL
        and r["delete_shred_s"] <= DELETE_GOAL
        for r in results
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
