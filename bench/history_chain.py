"""What the history hash chains cost: appends (one transaction each, 1..T threads) and a full
`verify` walk, on SQLite or PostgreSQL.

    .venv/bin/python bench/history_chain.py sqlite:///var/chain.db --rows 2000 --threads 4
    .venv/bin/python bench/history_chain.py postgresql://postgres@127.0.0.1:5432/chain --threads 8

Each append is one access-log row in its own unit of work (chained at commit, the chain's head
row locked on PostgreSQL). Prints appends per second, the P50/P99 of one transaction, the time
of one `verify_history` walk over every chain, and whether the chains verified (exit 1 if not).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from datetime import UTC, datetime

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core.access import AccessLogEntry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rows", type=int, default=2000, help="appends in all (default 2000)")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    storage = SqlAlchemyStorage(args.url)
    storage.upgrade()
    per_thread = args.rows // args.threads
    seconds: list[float] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        mine = []
        for i in range(per_thread):
            at = datetime.now(UTC)
            started = time.perf_counter()
            with storage.unit_of_work() as uow:
                uow.access_log.append(AccessLogEntry(f"cus_{n}", "adm_b", "bench", f"r{i}", at))
                uow.commit()
            mine.append(time.perf_counter() - started)
        with lock:
            seconds.extend(mine)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(args.threads)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    walk_started = time.perf_counter()
    reports = storage.verify_history()
    walk = time.perf_counter() - walk_started
    ordered = sorted(seconds)
    result = {
        "url": storage.url.render_as_string(hide_password=True),
        "threads": args.threads,
        "appends": len(seconds),
        "appends_per_second": round(len(seconds) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
        "verify_seconds": round(walk, 3),
        "chain_rows": {r.chain: r.rows for r in reports},
        "intact": all(r.intact for r in reports),
    }
    print(json.dumps(result, indent=2))
    storage.dispose()
    return 0 if result["intact"] else 1


if __name__ == "__main__":
    sys.exit(main())
