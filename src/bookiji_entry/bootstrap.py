"""The composition root: the one place that imports punq and builds every object graph."""

# No `from __future__ import annotations`: punq reads the real annotations of what it builds.
import inspect
import os
import random
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import punq

from bookiji_adapters.maps import FallbackMapProvider
from bookiji_adapters.system import RandomIds, SystemClock
from bookiji_core.policy import BookingPolicy
from bookiji_core.ports import (
    Clock,
    Ids,
    MapProvider,
    Notifier,
    PaymentGateway,
    Telemetry,
    UnitOfWorkFactory,
)
from bookiji_core.quoting import QuotePolicy
from bookiji_core.usecases.principals import TokenPolicy
from bookiji_entry import http, workers
from bookiji_entry.banner import SlaBanner
from bookiji_entry.parts import Database as Database  # the edges and tests name them here
from bookiji_entry.parts import Services as Services
from bookiji_entry.parts import (
    booking_policy_for,
    counted_unit_of_work,
    fallback_maps,
    map_provider_of,
    notifier_of,
    quote_policy_for,
    sla_banner_for,
    telemetry_for,
    telemetry_on_first_use,
    webhook_secret_for,
)
from bookiji_entry.parts import database_for as database_for
from bookiji_entry.parts import token_policy_for as token_policy_for
from bookiji_entry.payments import WebhookSecret, gateway_for, webhook_secret
from bookiji_entry.settings import MEMORY_URL, Profile, Settings
from bookiji_entry.workers import Copy, Loop

if TYPE_CHECKING:  # imported where they are built: a one-shot command never needs them
    from starlette.routing import BaseRoute

    from bookiji_adapters.memory import ManualClock
    from bookiji_simcity.world import Wiring

T = TypeVar("T")


_ONCE = punq.Scope.singleton


def _container(
    settings: Settings,
    given: dict[Any, object],
    *,
    whole: bool = True,
    telemetry: Callable[..., Telemetry] = telemetry_for,
    database: Callable[..., Database] = database_for,
) -> punq.Container:
    """Every registration, by type. A part in `given` (a test's, or one already built) is
    used as it is; any other is built on first use, once per container. `whole`: also what
    only a server and its workers ask for (SimCity's daemon, the HTTP handlers' parts), whose
    modules are imported for it."""
    container = punq.Container()
    container.register(Settings, instance=settings)
    factories = _parts(telemetry, database)
    if whole:
        from bookiji_entry.simcity_parts import simcity_daemon
        from bookiji_simcity.daemon import SimCityDaemon

        factories[SimCityDaemon] = simcity_daemon
    for key, factory in factories.items():
        if key in given:
            container.register(key, instance=given[key])
        else:
            container.register(key, factory=_provider(container, factory), scope=_ONCE)
    if whole:
        # What each route module's handlers use; punq fills every field by its type.
        for handlers in _handler_deps():
            container.register(handlers)
    return container


def _handler_deps() -> tuple[type, ...]:
    from bookiji_entry.http.bookings import BookingDeps
    from bookiji_entry.http.catalogue import CatalogueDeps
    from bookiji_entry.http.channels import ChannelDeps
    from bookiji_entry.http.principals import PrincipalDeps
    from bookiji_entry.http.privacy import PrivacyDeps
    from bookiji_entry.http.quotes import QuoteDeps
    from bookiji_entry.http.webhooks import WebhookDeps

    return (
        QuoteDeps,
        BookingDeps,
        PrivacyDeps,
        WebhookDeps,
        CatalogueDeps,
        PrincipalDeps,
        ChannelDeps,
    )


def _parts(
    telemetry: Callable[..., Telemetry], database: Callable[..., Database]
) -> dict[Any, Callable[..., object]]:
    """The factory of each part a one-shot command may ask for (besides Settings)."""
    return {
        Clock: SystemClock,
        Ids: RandomIds,
        QuotePolicy: quote_policy_for,
        Database: database,
        Telemetry: telemetry,
        PaymentGateway: gateway_for,
        FallbackMapProvider: fallback_maps,
        Services: Services,
        # Derived: what handlers, loops and commands ask for by role.
        UnitOfWorkFactory: counted_unit_of_work,
        MapProvider: map_provider_of,
        WebhookSecret: webhook_secret_for,
        TokenPolicy: token_policy_for,
        BookingPolicy: booking_policy_for,
        Notifier: notifier_of,
        SlaBanner: sla_banner_for,
    }


# What a one-shot command may ask for from the lean container (`command_parts`); a command
# that names anything else gets the whole graph.
_LEAN_KEYS = frozenset({Settings, *_parts(telemetry_for, database_for)})


def _provider(container: punq.Container, factory: Callable[..., object]) -> Callable[[], object]:
    # punq builds a class from its constructor's types; a factory function gets the same.
    if inspect.isclass(factory):
        return lambda: container.instantiate(factory)
    return lambda: _call(container, factory, {})


def _call(container: punq.Container, function: Callable[..., T], given: dict[str, Any]) -> T:
    """Call `function` with `given` and, for each other parameter without a default, what
    the container resolves for its annotated type."""
    wanted = {
        name: container.resolve(parameter.annotation)
        for name, parameter in inspect.signature(function, eval_str=True).parameters.items()
        if name not in given and parameter.default is inspect.Parameter.empty
    }
    return function(**given, **wanted)


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ids: Ids | None = None,
    database: Database | None = None,
    telemetry: Telemetry | None = None,
    gateway: PaymentGateway | None = None,
    maps: FallbackMapProvider | None = None,
    notifier: Notifier | None = None,
) -> Services:
    """Wire the profile's adapters; tests may pass their own clock, ids, database,
    telemetry, gateway or maps."""
    chosen: dict[Any, object | None] = {
        Clock: clock,
        Ids: ids,
        Database: database,
        Telemetry: telemetry,
        PaymentGateway: gateway,
        FallbackMapProvider: maps,
        Notifier: notifier,
    }
    given = {key: part for key, part in chosen.items() if part is not None}
    return _container(settings, given).resolve(Services)


def _wired(services: Services) -> punq.Container:
    parts: dict[Any, object] = {
        Services: services,
        Clock: services.clock,
        Ids: services.ids,
        QuotePolicy: services.policy,
        BookingPolicy: services.booking_policy,
        Database: services.database,
        Telemetry: services.telemetry,
        PaymentGateway: services.gateway,
        FallbackMapProvider: services.maps,
        Notifier: services.notifier,
    }
    return _container(services.settings, parts)


def inject(function: Callable[..., T], services: Services, **given: Any) -> T:
    """Call a command, a loop's factory or a use case with the dependencies its parameters
    name by type, from these services; the edges (bkctl, tests) resolve this way, once."""
    return _call(_wired(services), function, given)


@contextmanager
def command_parts(settings: Settings) -> "Iterator[Callable[..., int]]":
    """What a one-shot `bkctl` command is called through: `call(command, **given)` builds
    only the parts its parameters name by type (and what those are made of), each when first
    asked for, then the database is disposed of if it was opened. Its telemetry is made on
    the first event it reports (`parts.TelemetryOnFirstUse`). `bkctl serve` and `bkctl
    worker` wire everything up front with `bootstrap` instead."""
    opened: list[Database] = []

    def database(settings: Settings) -> Database:
        built = database_for(settings)
        opened.append(built)
        return built

    def call(function: Callable[..., int], **given: Any) -> int:
        whole = not _asks_only_for(function, given, _LEAN_KEYS)
        parts = _container(
            settings, {}, whole=whole, telemetry=telemetry_on_first_use, database=database
        )
        return _call(parts, function, given)

    try:
        yield call
    finally:
        for built in opened:
            built.dispose()


def _asks_only_for(
    function: Callable[..., Any], given: dict[str, Any], keys: frozenset[Any]
) -> bool:
    parameters = inspect.signature(function, eval_str=True).parameters.items()
    return all(
        p.annotation in keys
        for name, p in parameters
        if name not in given and p.default is inspect.Parameter.empty
    )


def routes(services: Services) -> "list[BaseRoute]":
    """The routes of every module of `bookiji_entry.http`, each given what it declares."""
    container = _wired(services)
    return [r for module in http.route_modules() for r in _call(container, module.routes, {})]


def loops(
    services: Services,
    names: Iterable[str] | None = None,
    *,
    concurrency: int = 1,
    stop: threading.Event | None = None,
) -> list[Loop]:
    """`concurrency` copies of each named worker of `bookiji_entry.workers` (all of them by
    default), each built with what its `build` declares; only those named are built. A worker
    with nothing to do in this deployment (its `build` returns None) is left out. `stop` is the
    signal every copy watches (the caller sets it to stop them)."""
    container = _wired(services)
    known = workers.registered()
    chosen = [known[name] for name in names] if names is not None else list(known.values())
    signal = stop or threading.Event()
    host, pid = socket.gethostname(), os.getpid()
    built: list[Loop] = []
    for worker in chosen:
        takes_copy = "copy" in inspect.signature(worker.build).parameters
        for index in range(concurrency):
            copy = Copy(worker.name, host, pid, index, signal)
            tick = _call(container, worker.build, {"copy": copy} if takes_copy else {})
            if tick is None:
                break
            built.append(Loop(worker.name, worker.interval, tick))
    return built


# -- SimCity's graphs: a lower floor cannot import this module, so entry passes these down ----


def simcity_run_wiring(
    clock: "ManualClock", seed: int, confirm_within: timedelta, *, storage: str = "memory"
) -> "Wiring":
    """The simcity profile's services for one deterministic run (a `WiringFactory`): this
    root's storage, policy and confirm window, with SimCity's virtual clock, sequential ids,
    counting telemetry and a seeded payment provider (whose slow answers move the clock)."""
    from bookiji_adapters.memory import InMemoryTelemetry, SequentialIds
    from bookiji_adapters.simcity import SimCityPaymentGateway
    from bookiji_simcity.world import Wiring

    folder = tempfile.mkdtemp(prefix="simcity-") if storage == "sqlite" else None
    url = f"sqlite:///{folder}/simcity.db" if folder else MEMORY_URL
    config = Settings(profile=Profile.SIMCITY, database_url=url, confirm_within=confirm_within)

    def sleep(seconds: float) -> None:  # a slow answer takes virtual time
        clock.advance(timedelta(seconds=seconds))

    provider = SimCityPaymentGateway(
        clock=clock,
        rng=random.Random(f"simcity:{seed}:provider"),
        webhook_secret=webhook_secret(config),
        sleep=sleep,
    )
    services = bootstrap(
        config, clock=clock, ids=SequentialIds(), telemetry=InMemoryTelemetry(), gateway=provider
    )
    services.database.upgrade()

    def close() -> None:
        services.database.dispose()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    return Wiring(
        uow=services.uow,
        clock=clock,
        ids=services.ids,
        policy=services.policy,
        confirm_within=services.settings.confirm_within,
        gateway=provider,
        telemetry=services.telemetry,
        webhook_secret=webhook_secret(config),
        maps=services.maps,
        close=close,
    )
