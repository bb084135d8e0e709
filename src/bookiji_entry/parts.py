"""The parts the composition root wires, and how each is made from the settings.

`bootstrap.py` registers these factories with punq, which calls each with what its
parameters name by type; nothing here imports punq or builds a graph. Importing this module
costs little: each factory imports its adapter (Prometheus, the map providers, SMTP, the
payment providers) when it is called, so a `bkctl` command pays only for the parts it uses.
"""

# No `from __future__ import annotations`: punq reads the real annotations of these factories.
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from bookiji_adapters.maps import FallbackMapProvider
from bookiji_adapters.telemetry import NullTelemetry, count_access_log_writes
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
from bookiji_entry.banner import SlaBanner
from bookiji_entry.payments import WebhookSecret, webhook_secret
from bookiji_entry.settings import Settings

if TYPE_CHECKING:
    from bookiji_adapters.sqlalchemy.verify import ChainReport


def _nothing() -> None:
    return None


def _no_history() -> "list[ChainReport]":
    return []


@attrs.frozen
class Database:
    """The storage a profile chose: its unit-of-work factory, its lifecycle, and the walk of
    its history hash chains (none in memory)."""

    unit_of_work: UnitOfWorkFactory
    upgrade: Callable[[], None] = _nothing
    dispose: Callable[[], None] = _nothing
    verify_history: "Callable[[], list[ChainReport]]" = _no_history
    # What the service's connection may do beyond its role's grants (PostgreSQL; roles.py).
    check_privileges: Callable[[], list[str]] = list


@attrs.frozen
class Services:
    """The parts one process is wired with (what tests inject and inspect). Only the edges
    hold it: `routes`, `loops` and `inject` hand each handler, loop and command its own."""

    settings: Settings
    clock: Clock
    ids: Ids
    policy: QuotePolicy
    booking_policy: BookingPolicy
    database: Database
    telemetry: Telemetry
    gateway: PaymentGateway
    maps: FallbackMapProvider
    notifier: Notifier

    @property
    def uow(self) -> UnitOfWorkFactory:
        """Units of work whose access-log writes (and failures) are counted by telemetry."""
        return counted_unit_of_work(self.database, self.telemetry)


def counted_unit_of_work(database: Database, telemetry: Telemetry) -> UnitOfWorkFactory:
    if isinstance(telemetry, NullTelemetry):
        return database.unit_of_work
    return count_access_log_writes(database.unit_of_work, telemetry)


def database_for(settings: Settings) -> Database:
    """memory:// is the in-memory fake; any other URL goes to SQLAlchemy (SQLite, PostgreSQL)."""
    if settings.is_memory:
        from bookiji_adapters.memory import InMemoryStorage

        memory = InMemoryStorage()
        return Database(memory.unit_of_work)
    from bookiji_adapters.sqlalchemy import SqlAlchemyStorage

    _make_sqlite_folder(settings.database_url)
    sql = SqlAlchemyStorage(
        settings.database_url, history_key=history_key(settings), crash_at=settings.crash_at
    )
    if not settings.is_postgresql:
        return Database(sql.unit_of_work, sql.upgrade, sql.dispose, sql.verify_history)
    from bookiji_adapters.sqlalchemy.roles import Roles

    roles = Roles(settings.db_owner_role, settings.db_service_role, _user(settings.database_url))

    def upgrade() -> None:
        # Migrations connect with the migration URL when there is one (the owner's side).
        # Without one, the roles are only checked (`bkctl db upgrade` reports what is wrong).
        url = settings.migration_database_url
        target = SqlAlchemyStorage(url, history_key=sql.history_key) if url else sql
        try:
            target.upgrade(roles=attrs.evolve(roles, manage=url is not None))
        finally:
            if target is not sql:
                target.dispose()

    return Database(
        sql.unit_of_work,
        upgrade,
        sql.dispose,
        sql.verify_history,
        lambda: sql.check_service(roles),
    )


def _user(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    return make_url(url).username


def history_key(settings: Settings) -> bytes:
    """The HMAC key of the history chains: BOOKIJI_AUDIT_KEY, else the development key
    (production refuses to start without one)."""
    from bookiji_adapters.sqlalchemy.history import DEVELOPMENT_KEY

    return settings.audit_key.encode() if settings.audit_key else DEVELOPMENT_KEY


def _make_sqlite_folder(url: str) -> None:
    # sqlite:///var/bookiji.db is relative to the working directory, which may lack var/.
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        path = url[len(prefix) :].split("?", 1)[0]
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def telemetry_for(settings: Settings, database: Database, clock: Clock) -> Telemetry:
    """Every profile exports Prometheus metrics (tests may pass another telemetry)."""
    from bookiji_adapters.telemetry.prometheus import PrometheusTelemetry

    return PrometheusTelemetry(
        database.unit_of_work, multiprocess_dir=settings.metrics_dir, clock=clock
    )


def telemetry_on_first_use(settings: Settings, database: Database, clock: Clock) -> Telemetry:
    """`telemetry_for`'s telemetry, made when the first event is reported (a one-shot `bkctl`
    command): a command that reports nothing never imports prometheus-client."""
    return TelemetryOnFirstUse(lambda: telemetry_for(settings, database, clock))


class TelemetryOnFirstUse:
    """A Telemetry that builds the real one on the first event and hands every event to it:
    the same metrics, in the same registry or multiprocess directory, as if made up front."""

    def __init__(self, make: Callable[[], Telemetry]) -> None:
        self._make = make
        self._built: Telemetry | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> Telemetry | None:
        """The real telemetry, once an event made it (None before)."""
        return self._built

    def _real(self) -> Telemetry:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._make()
        return self._built

    def webhook_outcome(self, outcome: str) -> None:
        self._real().webhook_outcome(outcome)

    def outbox_delivery(self, action: str, outcome: str) -> None:
        self._real().outbox_delivery(action, outcome)

    def notification_delivery(self, channel: str, outcome: str) -> None:
        self._real().notification_delivery(channel, outcome)

    def access_log_write(self, ok: bool) -> None:
        self._real().access_log_write(ok)

    def map_request(self, provider: str, ok: bool) -> None:
        self._real().map_request(provider, ok)

    def privacy_request(self, kind: str, seconds: float) -> None:
        self._real().privacy_request(kind, seconds)

    def rollback(self, seconds: float) -> None:
        self._real().rollback(seconds)

    def double_charges(self, count: int) -> None:
        self._real().double_charges(count)

    def map_provider_health(self, provider: str, up: bool) -> None:
        self._real().map_provider_health(provider, up)

    def rate_limited(self, limit: str) -> None:
        self._real().rate_limited(limit)

    def overloaded(self) -> None:
        self._real().overloaded()

    def history_chain(self, chain: str, rows: int, intact: bool) -> None:
        self._real().history_chain(chain, rows, intact)

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self._real().http_request(route, method, status, seconds)


def fallback_maps(
    settings: Settings, telemetry: Telemetry, database: Database
) -> FallbackMapProvider:
    from bookiji_entry.maps import maps_for  # the HTTP provider brings httpx

    # The flag is read through the raw units of work: reading it writes no access log.
    return maps_for(settings, telemetry, database.unit_of_work)


def notifier_of(settings: Settings, clock: Clock) -> Notifier:
    """The profile's routing notifier (`notifications.notifier_for`), imported when built:
    its channels bring SMTP and httpx."""
    from bookiji_entry.notifications import notifier_for

    return notifier_for(settings, clock)


def webhook_secret_for(settings: Settings) -> WebhookSecret:
    return WebhookSecret(webhook_secret(settings))


def booking_policy_for(settings: Settings) -> BookingPolicy:
    """The core's booking rules, with the deployment's T."""
    return BookingPolicy(confirm_within=settings.confirm_within)


def token_policy_for(settings: Settings) -> TokenPolicy:
    """How long a new token lives, and the currency an invited vendor's blank rate is in."""
    return TokenPolicy(ttl=settings.token_ttl, currency=settings.currency)


def quote_policy_for(settings: Settings) -> QuotePolicy:
    return QuotePolicy(currency=settings.currency)


def map_provider_of(maps: FallbackMapProvider) -> MapProvider:
    return maps


def sla_banner_for(database: Database) -> SlaBanner:
    # Read through the raw units of work: reading the banner writes no access log.
    return SlaBanner(database.unit_of_work)
