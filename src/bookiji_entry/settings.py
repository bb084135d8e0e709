"""Settings from environment variables: the only module of the project that reads them."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from datetime import timedelta

import attrs

from bookiji_core.policy import BookingPolicy
from bookiji_core.quoting import QuotePolicy

# The domain's defaults live in core policy objects; settings only override them.
_BOOKING = BookingPolicy()
_QUOTE = QuotePolicy()
DEFAULT_DATABASE_URL = "sqlite:///var/bookiji.db"
# prometheus-client's own variable: every process given it writes its metrics there, and a
# scrape of any of them merges all (see docs/metrics.md, "Multi-process exposition").
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
MEMORY_URL = "memory://"


class Profile(enum.StrEnum):
    LOCAL = "local"
    PRODUCTION = "production"
    SIMCITY = "simcity"
    TEST = "test"


class SettingsError(ValueError):
    """The environment does not describe a deployment this process may start."""


@attrs.frozen
class Settings:
    profile: Profile = Profile.LOCAL
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    # T, the vendor's confirmation window: BOOKIJI_CONFIRM_WITHIN_MINUTES overrides the policy's.
    confirm_within: timedelta = _BOOKING.confirm_within
    currency: str = _QUOTE.currency
    stripe_api_key: str | None = attrs.field(default=None, repr=False)
    stripe_webhook_secret: str | None = attrs.field(default=None, repr=False)
    stripe_api_base: str | None = None
    # SimCity's synthetic traffic stays off in production unless this says otherwise.
    simcity_allow_in_production: bool = False
    metrics_dir: str | None = None
    # The map service's base URL (its API: bookiji_adapters/maps/http_provider.py); unset, the
    # offline grid answers alone. Not in repr: a vendor's URL may carry its API key.
    maps_url: str | None = attrs.field(default=None, repr=False)
    # How long a token issued by `bkctl principals invite|rotate` works.
    token_ttl: timedelta = timedelta(days=90)
    # bkctl's bearer token when a command is given no --token (kept out of `ps`).
    token: str | None = attrs.field(default=None, repr=False)
    # Email notifications (docs/notifications.md): unset host, the local, test and simcity
    # profiles record emails in memory; production leaves them in the DLQ until it is set.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "Bookiji <no-reply@bookiji.invalid>"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read `BOOKIJI_*` variables; raise SettingsError with a clear message if unusable."""

        def get(name: str) -> str | None:
            value = environ.get(f"BOOKIJI_{name}", "").strip()
            return value or None

        profile = _choice(get("PROFILE") or Profile.LOCAL.value)
        default_url = MEMORY_URL if profile is Profile.TEST else DEFAULT_DATABASE_URL
        settings = cls(
            profile=profile,
            database_url=get("DATABASE_URL") or default_url,
            host=get("HOST") or "127.0.0.1",
            port=_integer("BOOKIJI_PORT", get("PORT"), 8000, low=0, high=65535),
            confirm_within=timedelta(
                minutes=_integer(
                    "BOOKIJI_CONFIRM_WITHIN_MINUTES",
                    get("CONFIRM_WITHIN_MINUTES"),
                    _BOOKING.confirm_within // timedelta(minutes=1),
                    low=1,
                    high=24 * 60,
                )
            ),
            currency=(get("CURRENCY") or _QUOTE.currency).upper(),
            stripe_api_key=get("STRIPE_API_KEY"),
            stripe_webhook_secret=get("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base=get("STRIPE_API_BASE"),
            simcity_allow_in_production=_boolean(
                "BOOKIJI_SIMCITY_ALLOW_IN_PRODUCTION", get("SIMCITY_ALLOW_IN_PRODUCTION")
            ),
            metrics_dir=environ.get(METRICS_DIR_VARIABLE, "").strip() or None,
            maps_url=get("MAPS_URL"),
            token_ttl=timedelta(
                days=_integer("BOOKIJI_TOKEN_TTL_DAYS", get("TOKEN_TTL_DAYS"), 90, low=1, high=3660)
            ),
            token=get("TOKEN"),
            smtp_host=get("SMTP_HOST"),
            smtp_port=_integer("BOOKIJI_SMTP_PORT", get("SMTP_PORT"), 25, low=1, high=65535),
            smtp_from=get("SMTP_FROM") or "Bookiji <no-reply@bookiji.invalid>",
            smtp_starttls=_boolean("BOOKIJI_SMTP_STARTTLS", get("SMTP_STARTTLS")),
            smtp_username=get("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse combinations that must not run; production above all."""
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise SettingsError(f"BOOKIJI_CURRENCY must be an ISO 4217 code, got {self.currency!r}")
        if self.metrics_dir is not None and not os.path.isdir(self.metrics_dir):
            raise SettingsError(
                f"{METRICS_DIR_VARIABLE} must be an existing directory, got {self.metrics_dir!r}"
            )
        if self.maps_url is not None and not self.maps_url.startswith(("http://", "https://")):
            raise SettingsError("BOOKIJI_MAPS_URL must be an http:// or https:// URL")
        if self.profile is not Profile.PRODUCTION:
            return
        missing = [
            name
            for name, value in (
                ("BOOKIJI_STRIPE_API_KEY", self.stripe_api_key),
                ("BOOKIJI_STRIPE_WEBHOOK_SECRET", self.stripe_webhook_secret),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                "the production profile refuses to start without Stripe keys: set "
                + " and ".join(missing)
            )
        if not self.is_postgresql:
            raise SettingsError(
                "the production profile refuses to start without PostgreSQL: set "
                "BOOKIJI_DATABASE_URL to a postgresql:// URL "
                f"(got {self.database_url_for_display!r})"
            )

    @property
    def is_postgresql(self) -> bool:
        return self.database_url.startswith(("postgresql:", "postgresql+", "postgres:"))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith(("sqlite:", "sqlite+"))

    @property
    def is_memory(self) -> bool:
        return self.database_url == MEMORY_URL

    @property
    def database_url_for_display(self) -> str:
        """The URL without its password, for messages and logs."""
        scheme, sep, rest = self.database_url.partition("://")
        credentials, at, host = rest.rpartition("@")
        if not at or ":" not in credentials:
            return self.database_url
        user = credentials.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}"


def current() -> Settings:
    """The settings of this process, from its environment."""
    return Settings.from_env(os.environ)


def _choice(value: str) -> Profile:
    try:
        return Profile(value.lower())
    except ValueError:
        allowed = ", ".join(p.value for p in Profile)
        raise SettingsError(f"BOOKIJI_PROFILE must be one of {allowed}; got {value!r}") from None


def _boolean(name: str, value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def _integer(name: str, value: str | None, default: int, *, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {number}")
    return number
