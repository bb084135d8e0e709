"""One relay worker process for the multi-process drills: `python -m
tests.integration.relay_process DB_URL PROVIDER_URL OWNER LOG [--die-after N]`.

Relays until no message is queued or in flight, appending the ids it committed to LOG after
each batch. With --die-after N it SIGKILLs itself at its N-th gateway call, after the
provider acted and before the commit: the worst moment for a worker to die."""

from __future__ import annotations

import argparse
import os
import signal
import time
from datetime import timedelta

from bookiji_adapters.memory import InMemoryTelemetry
from bookiji_adapters.simcity.remote import RemoteSimCityPaymentGateway
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.system import SystemClock
from bookiji_core.payments import OutboxState
from bookiji_core.usecases import OutboxRelay, RelaySettings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("provider_url")
    parser.add_argument("owner")
    parser.add_argument("log")
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--lease", type=float, default=3.0)
    args = parser.parse_args()

    calls = [0]

    def checkpoint(step: str) -> None:
        if step == "after_gateway" and args.die_after:
            calls[0] += 1
            if calls[0] >= args.die_after:
                os.kill(os.getpid(), signal.SIGKILL)

    storage = SqlAlchemyStorage(args.database_url)
    relay = OutboxRelay(
        storage.unit_of_work(),
        RemoteSimCityPaymentGateway(args.provider_url),
        SystemClock(),
        InMemoryTelemetry(),
        owner=args.owner,
        settings=RelaySettings(lease=timedelta(seconds=args.lease), batch=10),
        checkpoint=checkpoint,
    )
    with open(args.log, "a") as log:
        while True:
            report = relay.run_once()
            log.write("".join(f"{i}\n" for i in report.committed_ids))
            log.flush()
            if report.claimed:
                continue
            with storage.unit_of_work() as uow:
                counts = uow.outbox.counts()
            if counts[OutboxState.QUEUED] + counts[OutboxState.IN_FLIGHT] == 0:
                break
            time.sleep(0.2)  # in flight elsewhere (or a dead worker's lease): wait for it
    storage.dispose()


if __name__ == "__main__":
    main()
