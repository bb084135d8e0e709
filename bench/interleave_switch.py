"""What one turn of the SimCity interleaver costs: handing control to another task and back.

    .venv/bin/python bench/interleave_switch.py

Two ways, each `--rounds` round trips: two threads handing the turn over with a pair of
`threading.Event`s (how the interleaver worked before greenlets), and two greenlets switching
(how it works now). Prints wall and CPU time per round trip.
"""

from __future__ import annotations

import argparse
import threading
import time

from greenlet import getcurrent, greenlet


def threads(rounds: int) -> tuple[float, float]:
    go, turn = threading.Event(), threading.Event()

    def task() -> None:
        for _ in range(rounds):
            go.wait()
            go.clear()
            turn.set()

    worker = threading.Thread(target=task)
    worker.start()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        turn.clear()
        go.set()
        turn.wait()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    worker.join()
    return wall / rounds, cpu / rounds


def greenlets(rounds: int) -> tuple[float, float]:
    hub = getcurrent()

    def task() -> None:
        while True:
            hub.switch()

    worker = greenlet(task)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        worker.switch()
    return (time.perf_counter() - wall) / rounds, (time.process_time() - cpu) / rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20000)
    args = parser.parse_args()
    for name, measure in (("threads + events", threads), ("greenlets", greenlets)):
        wall, cpu = measure(args.rounds)
        print(f"{name:17} {wall * 1e6:7.2f} us wall, {cpu * 1e6:7.2f} us CPU per round trip")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
