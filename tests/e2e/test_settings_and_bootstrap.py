"""Settings come from BOOKIJI_* variables; production refuses to start half-configured."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bookiji_adapters.memory import InMemoryStorage
from bookiji_adapters.system import RandomIds, SystemClock
from bookiji_entry.bootstrap import bootstrap
from bookiji_entry.settings import (
    DEFAULT_DATABASE_URL,
    MEMORY_URL,
    Profile,
    Settings,
    SettingsError,
)

PRODUCTION = {
    "BOOKIJI_PROFILE": "production",
    "BOOKIJI_DATABASE_URL": "postgresql://bookiji:s3cret@db.internal/bookiji",
    "BOOKIJI_STRIPE_API_KEY": "sk_test_123",
    "BOOKIJI_STRIPE_WEBHOOK_SECRET": "whsec_123",
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
