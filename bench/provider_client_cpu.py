"""Client CPU per call of the SimCity provider's HTTP client (`RemoteSimCityPaymentGateway`).

    .venv/bin/python bench/provider_client_cpu.py
    PYTHONPATH=/path/to/old/src .venv/bin/python bench/provider_client_cpu.py   # a baseline

The provider server runs in a process of its own, so only the client's work is timed: 200
warm-up holds, then `--calls` `place_hold` calls, each with a fresh key, one after the other;
prints the client's CPU time (`time.process_time`) per call.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import time
from datetime import UTC, datetime

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.remote import RemoteSimCityPaymentGateway, start_in_thread
from bookiji_core import BookingId, Money


def _serve(port: object, stop: object) -> None:
    gateway = SimCityPaymentGateway(clock=ManualClock(datetime.now(UTC)), rng=random.Random(1))
    server = start_in_thread(gateway)
    port.put(server.server_address[1])  # type: ignore[attr-defined]
    stop.wait()  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")
    port, stop = spawn.Queue(), spawn.Event()
    server = spawn.Process(target=_serve, args=(port, stop), daemon=True)
    server.start()
    client = RemoteSimCityPaymentGateway(f"http://127.0.0.1:{port.get()}")
    fee = Money("CAD", 100)
    for n in range(200):
        client.place_hold(fee, "pm_card_visa", BookingId(f"warm_{n}"), f"warm_{n}")
    began = time.process_time()
    for n in range(args.calls):
        client.place_hold(fee, "pm_card_visa", BookingId(f"bk_{n}"), f"key_{n}")
    spent = time.process_time() - began
    stop.set()
    server.join()
    print(f"client CPU per place_hold: {spent / args.calls * 1e6:.0f} us ({args.calls} calls)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
