"""Settings come from BOOKIJI_* variables; production refuses to start half-configured."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bookiji_adapters.memory import InMemoryStorage, ManualClock
from bookiji_adapters.system import RandomIds, SystemClock
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_entry import cli, http, workers
from bookiji_entry.bootstrap import Services, bootstrap, inject, loops, routes
from bookiji_entry.cli import main
from bookiji_entry.http.bookings import BookingDeps
from bookiji_entry.http.webhooks import WebhookDeps
from bookiji_entry.settings import (
    DEFAULT_DATABASE_URL,
    MEMORY_URL,
    Profile,
    Settings,
    SettingsError,
)
from tests.unit.conftest import make_vendor

PRODUCTION = {
    "BOOKIJI_PROFILE": "production",
    "BOOKIJI_DATABASE_URL": "postgresql://bookiji:s3cret@db.internal/bookiji",
    "BOOKIJI_STRIPE_API_KEY": "sk_test_123",
    "BOOKIJI_STRIPE_WEBHOOK_SECRET": "whsec_123",
    "BOOKIJI_AUDIT_KEY": "audit-key-123",
}


def test_an_empty_environment_is_the_local_profile_on_a_sqlite_file() -> None:
    settings = Settings.from_env({})

    assert settings.profile is Profile.LOCAL
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///var/bookiji.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.confirm_within == timedelta(minutes=15)
    assert settings.currency == "CAD"


def test_the_test_profile_defaults_to_memory_storage() -> None:
    assert Settings.from_env({"BOOKIJI_PROFILE": "test"}).database_url == MEMORY_URL


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "BOOKIJI_PROFILE": "simcity",
            "BOOKIJI_DATABASE_URL": "sqlite:////tmp/sim.db",
            "BOOKIJI_HOST": "0.0.0.0",
            "BOOKIJI_PORT": "9000",
            "BOOKIJI_CONFIRM_WITHIN_MINUTES": "2",
            "BOOKIJI_CURRENCY": "usd",
            "BOOKIJI_STRIPE_API_BASE": "http://127.0.0.1:8420",
            "BOOKIJI_MAPS_URL": "https://maps.example/bookiji",
        }
    )

    assert settings.profile is Profile.SIMCITY
    assert settings.database_url == "sqlite:////tmp/sim.db"
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.confirm_within == timedelta(minutes=2)
    assert settings.currency == "USD"
    assert settings.stripe_api_base == "http://127.0.0.1:8420"
    assert settings.maps_url == "https://maps.example/bookiji"


def test_production_starts_with_keys_and_postgresql_and_hides_them() -> None:
    settings = Settings.from_env(PRODUCTION)

    assert settings.profile is Profile.PRODUCTION
    assert "sk_test_123" not in repr(settings)
    assert "s3cret" not in settings.database_url_for_display


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("BOOKIJI_STRIPE_API_KEY", "BOOKIJI_STRIPE_API_KEY"),
        ("BOOKIJI_STRIPE_WEBHOOK_SECRET", "BOOKIJI_STRIPE_WEBHOOK_SECRET"),
        ("BOOKIJI_DATABASE_URL", "PostgreSQL"),
        ("BOOKIJI_AUDIT_KEY", "BOOKIJI_AUDIT_KEY"),
    ],
)
def test_production_refuses_to_start_without_keys_or_postgresql(missing: str, message: str) -> None:
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}

    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_production_refuses_sqlite() -> None:
    with pytest.raises(SettingsError, match="PostgreSQL"):
        Settings.from_env({**PRODUCTION, "BOOKIJI_DATABASE_URL": "sqlite:///var/bookiji.db"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOOKIJI_PROFILE", "staging"),
        ("BOOKIJI_PORT", "eighty"),
        ("BOOKIJI_PORT", "70000"),
        ("BOOKIJI_CONFIRM_WITHIN_MINUTES", "0"),
        ("BOOKIJI_CURRENCY", "dollars"),
        ("BOOKIJI_MAPS_URL", "maps.example"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_bootstrap_wires_the_system_clock_random_ids_and_the_chosen_storage() -> None:
    services = bootstrap(Settings(profile=Profile.TEST, database_url=MEMORY_URL))

    assert isinstance(services.clock, SystemClock)
    assert isinstance(services.ids, RandomIds)
    assert services.policy.currency == "CAD"
    assert isinstance(services.database.unit_of_work.__self__, InMemoryStorage)  # type: ignore[attr-defined]
    assert services.clock.now().tzinfo is not None
    assert services.ids.new("bk") != services.ids.new("bk")


def test_bootstrap_on_sqlite_creates_the_folder_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bookiji.db"
    services = bootstrap(Settings(profile=Profile.TEST, database_url=f"sqlite:///{path}"))

    services.database.upgrade()
    services.database.dispose()

    assert path.exists()


def test_the_map_service_is_the_primary_only_when_its_url_is_set() -> None:
    offline = bootstrap(Settings(profile=Profile.TEST, database_url=MEMORY_URL))
    online = bootstrap(
        Settings(profile=Profile.TEST, database_url=MEMORY_URL, maps_url="http://127.0.0.1:9")
    )

    assert not offline.maps.has_primary
    assert online.maps.has_primary
    online.maps.close()


def _parameters(function: Any) -> list[inspect.Parameter]:
    return list(inspect.signature(function, eval_str=True).parameters.values())


def _commands() -> dict[str, Any]:
    """Every bkctl command's `run`, by its subcommand path."""
    found: dict[str, Any] = {}

    def walk(parser: Any, path: str) -> None:
        run = parser.get_default("run")
        if run is not None:
            found[path] = run
        for action in parser._actions:  # argparse keeps subparsers only here
            for name, sub in getattr(action, "_name_parser_map", {}).items():
                walk(sub, f"{path} {name}".strip())

    walk(cli.build_parser(), "")
    return found


def test_no_route_module_loop_or_command_is_handed_the_services_or_a_container() -> None:
    builds = [w.build for w in workers.registered().values()]
    factories = [m.routes for m in http.route_modules()] + builds
    # serve and worker are a process's main: they build the app or the loops from everything.
    commands = [run for path, run in _commands().items() if path not in {"serve", "worker"}]
    handed = {
        f"{getattr(f, '__module__', f)}: {p.name}"
        for f in factories + commands
        for p in _parameters(f)
        if p.annotation is Services or "Container" in str(p.annotation) or p.name == "context"
    }

    assert factories and len(commands) > 20
    assert handed == set()


def test_a_route_module_gets_only_what_its_handlers_use() -> None:
    services = bootstrap(Settings(profile=Profile.TEST, database_url=MEMORY_URL))

    webhook = inject(_webhook_deps, services)

    assert [f.name for f in WebhookDeps.__attrs_attrs__] == [
        "secret",
        "uow",
        "gateway",
        "clock",
        "ids",
        "telemetry",
    ]
    assert webhook.gateway is services.gateway and webhook.clock is services.clock
    assert webhook.secret.value == "whsec_simcity_local"
    assert "whsec" not in repr(webhook.secret)


def _webhook_deps(deps: WebhookDeps) -> WebhookDeps:
    return deps


def _booking_deps(deps: BookingDeps) -> BookingDeps:
    return deps


def test_the_confirm_window_reaches_the_booking_routes_from_the_settings() -> None:
    settings = Settings(
        profile=Profile.TEST, database_url=MEMORY_URL, confirm_within=timedelta(minutes=2)
    )

    deps = inject(_booking_deps, bootstrap(settings))

    assert deps.booking_policy.confirm_within == timedelta(minutes=2)


def test_what_a_test_gives_bootstrap_is_what_every_handler_and_loop_uses() -> None:
    clock = ManualClock(datetime(2030, 1, 7, tzinfo=UTC))
    services = bootstrap(Settings(profile=Profile.TEST, database_url=MEMORY_URL), clock=clock)

    def needs(clock: Clock, uow: UnitOfWorkFactory) -> tuple[Clock, UnitOfWorkFactory]:
        return clock, uow

    given_clock, uow = inject(needs, services)
    with uow() as unit:
        unit.vendors.add(make_vendor(1))
        unit.commit()
    with services.uow() as unit:
        seen = unit.vendors.get(make_vendor(1).id)

    assert given_clock is clock
    assert seen == make_vendor(1)  # one storage behind both
    assert len(routes(services)) >= 19
    assert {"auto-cancel", "outbox", "shredder", "reconcile"} <= {x.name for x in loops(services)}


def test_each_part_is_built_once_per_process() -> None:
    services = bootstrap(Settings(profile=Profile.TEST, database_url=MEMORY_URL))

    def parts(deps: WebhookDeps, again: WebhookDeps) -> tuple[WebhookDeps, WebhookDeps]:
        return deps, again

    one, two = inject(parts, services)

    assert one.gateway is two.gateway is services.gateway
    assert one.telemetry is two.telemetry is services.telemetry


def test_a_command_that_needs_only_its_arguments_wires_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Production without keys refuses to be wired: only a command that wires meets it.
    monkeypatch.setenv("BOOKIJI_PROFILE", "production")
    for name in ("BOOKIJI_STRIPE_API_KEY", "BOOKIJI_STRIPE_WEBHOOK_SECRET", "BOOKIJI_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    assert main(["simcity", "scenarios"]) == 0
    assert main(["flags", "list"]) == 2
    assert "configuration" in capsys.readouterr().err
