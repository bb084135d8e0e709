"""The Starlette application: routes from `bookiji_entry.http`, errors as problem+json.

Nothing happens at import. `create_app(services)` builds an app around services wired by
`bootstrap`, whose `routes` give each route module only what it uses; `app_factory` does both
from the environment, for `uvicorn --factory`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from bookiji_entry import settings
from bookiji_entry.bootstrap import Services, bootstrap, routes
from bookiji_entry.http.admission import Admission
from bookiji_entry.http.hardening import RateLimits, SecurityHeaders
from bookiji_entry.http.observability import RequestObservability
from bookiji_entry.problems import EXCEPTION_HANDLERS


def create_app(
    services: Services, *, dispose_on_shutdown: bool = False, instrument: bool = True
) -> Starlette:
    """`instrument=False` leaves out the request metrics, correlation ids and access log
    (only bench/instrumentation_overhead.py does, to measure what they cost)."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if dispose_on_shutdown:
            services.database.dispose()

    config = services.settings
    observed = [Middleware(RequestObservability, telemetry=services.telemetry)]
    return Starlette(
        routes=routes(services),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
        # Outermost first: every answer gets the headers; a refused request is still observed.
        middleware=[
            Middleware(SecurityHeaders, hsts_max_age=config.hsts_max_age),
            *(observed if instrument else []),
            # Before any work: an overloaded process answers 503 at once (observed, a 5xx).
            Middleware(Admission, telemetry=services.telemetry, max_in_flight=config.max_in_flight),
            Middleware(
                RateLimits,
                telemetry=services.telemetry,
                per_address=config.rate_limit_per_address,
                per_principal=config.rate_limit_per_principal,
            ),
        ],
    )


def app_factory() -> Starlette:
    """`uvicorn --factory bookiji_entry.app:app_factory`: settings from the environment."""
    return create_app(bootstrap(settings.current()), dispose_on_shutdown=True)
