"""`python -m bookiji_simcity.provider_server`: one SimCity payment provider served over HTTP."""

from __future__ import annotations

import argparse
import random

from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.remote import make_server
from bookiji_adapters.system import SystemClock


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a SimCity payment provider over HTTP")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    gateway = SimCityPaymentGateway(clock=SystemClock(), rng=random.Random(args.seed))
    server = make_server(gateway, args.host, args.port)
    print(f"simcity provider on http://{args.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
