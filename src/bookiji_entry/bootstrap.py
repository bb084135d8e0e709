"""The composition root: the one place that imports punq and wires a profile's adapters."""

# No `from __future__ import annotations`: punq resolves Services from its real annotations.
from collections.abc import Callable
from pathlib import Path
from typing import cast

import attrs
import punq

from bookiji_adapters.maps import FallbackMapProvider
from bookiji_adapters.system import RandomIds, SystemClock
from bookiji_adapters.telemetry import NullTelemetry, PrometheusTelemetry, count_access_log_writes
from bookiji_core.ports import Clock, Ids, Notifier, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy
from bookiji_entry.maps import maps_for
from bookiji_entry.notifications import notifier_for
from bookiji_entry.payments import gateway_for
from bookiji_entry.settings import Settings


def _nothing() -> None:
    return None


@attrs.frozen
class Database:
    """The storage a profile chose: its unit-of-work factory and its lifecycle."""

    unit_of_work: UnitOfWorkFactory
    upgrade: Callable[[], None] = _nothing
    dispose: Callable[[], None] = _nothing


@attrs.frozen
class Services:
    """What the HTTP app, the CLI and the worker loops need; built once, at the edge."""

    settings: Settings
    clock: Clock
    ids: Ids
    policy: QuotePolicy
    database: Database
    telemetry: Telemetry
    gateway: PaymentGateway
    maps: FallbackMapProvider
    notifier: Notifier

    @property
    def uow(self) -> UnitOfWorkFactory:
        """Units of work whose access-log writes (and failures) are counted by telemetry."""
        if isinstance(self.telemetry, NullTelemetry):
            return self.database.unit_of_work
        return count_access_log_writes(self.database.unit_of_work, self.telemetry)


def database_for(settings: Settings) -> Database:
    """memory:// is the in-memory fake; any other URL goes to SQLAlchemy (SQLite, PostgreSQL)."""
    if settings.is_memory:
        from bookiji_adapters.memory import InMemoryStorage

        memory = InMemoryStorage()
        return Database(_as_factory(memory.unit_of_work))
    from bookiji_adapters.sqlalchemy import SqlAlchemyStorage

    _make_sqlite_folder(settings.database_url)
    sql = SqlAlchemyStorage(settings.database_url)
    return Database(_as_factory(sql.unit_of_work), sql.upgrade, sql.dispose)


def _as_factory(make: Callable[[], object]) -> UnitOfWorkFactory:
    # The adapters' units of work satisfy the port at run time and in the contract suite;
    # mypy's protocol check is stricter about their repository attribute types.
    return cast(UnitOfWorkFactory, make)


def _make_sqlite_folder(url: str) -> None:
    # sqlite:///var/bookiji.db is relative to the working directory, which may lack var/.
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        path = url[len(prefix) :].split("?", 1)[0]
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)


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
    telemetry, gateway, maps or notifier. Every profile exports Prometheus metrics unless a
    telemetry is given."""
    database = database or database_for(settings)
    if telemetry is None:
        telemetry = PrometheusTelemetry(
            database.unit_of_work, multiprocess_dir=settings.metrics_dir
        )
    container = punq.Container()
    container.register(Settings, instance=settings)
    clock = clock or SystemClock()
    container.register(Clock, instance=clock)
    container.register(Ids, instance=ids or RandomIds())
    container.register(QuotePolicy, instance=QuotePolicy(currency=settings.currency))
    container.register(Database, instance=database)
    container.register(Telemetry, instance=telemetry)
    container.register(PaymentGateway, instance=gateway or gateway_for(settings, clock))
    if maps is None:
        maps = maps_for(settings, telemetry, database.unit_of_work)
    container.register(FallbackMapProvider, instance=maps)
    container.register(Notifier, instance=notifier or notifier_for(settings, clock))
    container.register(Services)
    services: Services = container.resolve(Services)
    return services
