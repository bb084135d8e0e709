"""Settings from environment variables: the only module of the project that reads them (its
value parsers are in settings_values.py)."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from datetime import timedelta

import attrs

from bookiji_core.policy import BookingPolicy
from bookiji_core.quoting import QuotePolicy
from bookiji_entry.settings_values import SettingsError as SettingsError
from bookiji_entry.settings_values import boolean as _boolean
from bookiji_entry.settings_values import http_url as _http_url
from bookiji_entry.settings_values import integer as _integer
from bookiji_entry.settings_values import role as _role
from bookiji_entry.settings_values import value as _value

# The domain's defaults live in core policy objects; settings only override them.
_BOOKING = BookingPolicy()
_QUOTE = QuotePolicy()
DEFAULT_DATABASE_URL = "sqlite:///var/bookiji.db"
# prometheus-client's own variable: every process given it writes its metrics there, and a
# scrape of any of them merges all (see docs/metrics.md, "Multi-process exposition").
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
MEMORY_URL = "memory://"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# The production profile's defaults: HSTS for two years; requests per minute per client
# address and per bearer token on the public routes.
PRODUCTION_HSTS_MAX_AGE = 2 * 365 * 86400
PRODUCTION_RATE_LIMITS = {"PER_ADDRESS": 600, "PER_PRINCIPAL": 300}
_CRASH_AT = re.compile(r"(before|after):[1-9][0-9]{0,3}")


class Profile(enum.StrEnum):
    LOCAL = "local"
    PRODUCTION = "production"
    SIMCITY = "simcity"
    TEST = "test"


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
    # The service SimCity's daemon drives over HTTP (its SLIs see the traffic); unset, it
    # calls the use cases directly.
    simcity_http_url: str | None = None
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
    # Webhooks to endpoints that resolve to loopback, private or link-local addresses: refused
    # in production (a vendor's URL must not reach this network), allowed elsewhere.
    webhooks_allow_private: bool = True
    # HTTP hardening (docs/security.md): Strict-Transport-Security's max-age (0: not sent),
    # and requests per minute per client address and per bearer token (0: no limit).
    hsts_max_age: int = 0
    rate_limit_per_address: int = 0
    rate_limit_per_principal: int = 0
    # Admission control (src/bookiji_entry/http/admission.py): requests in flight per process
    # beyond which the answer is a fast 503 (0: no bound).
    max_in_flight: int = 24
    # PostgreSQL least privilege (docs/security.md): `bkctl db upgrade` connects with the
    # migration URL (default: the database URL), runs the migrations as the owner role and
    # grants the service role what the service needs; the service connects as a member of it.
    migration_database_url: str | None = attrs.field(default=None, repr=False)
    db_owner_role: str = "bookiji_owner"
    db_service_role: str = "bookiji_service"
    # The key of the history hash chains (HMAC-SHA256); unset, a fixed development key.
    audit_key: str | None = attrs.field(default=None, repr=False)
    # Test-only crash hook (docs/security.md, "Crash drill"): `before:N` or `after:N` SIGKILLs
    # the process at the Nth commit of a transaction that writes an idempotency record.
    crash_at: str | None = None
    # Every log line is JSON on stderr; the lowest level written (BOOKIJI_LOG_LEVEL).
    log_level: str = "info"
    # Where bkctl's server commands find the service (BOOKIJI_URL; else host and port).
    url: str | None = None
    # How long a relay's claim on an outbox message lasts; a killed relay's messages wait it out.
    outbox_lease: timedelta = timedelta(seconds=30)
    # Messages a relay claims and records per transaction, and its provider calls in flight at
    # once (1: in the batch's order, as a replayable SimCity run needs).
    outbox_batch: int = 20
    outbox_parallel: int = 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read `BOOKIJI_*` variables; raise SettingsError with a clear message if unusable."""

        def get(name: str) -> str | None:
            return _value(environ, f"BOOKIJI_{name}")

        profile = _choice(get("PROFILE") or Profile.LOCAL.value)
        default_url = MEMORY_URL if profile is Profile.TEST else DEFAULT_DATABASE_URL
        lease = _integer(
            "BOOKIJI_OUTBOX_LEASE_SECONDS", get("OUTBOX_LEASE_SECONDS"), 30, low=2, high=600
        )
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
            simcity_http_url=_http_url("BOOKIJI_SIMCITY_HTTP_URL", get("SIMCITY_HTTP_URL")),
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
            webhooks_allow_private=(
                profile is not Profile.PRODUCTION
                if get("WEBHOOKS_ALLOW_PRIVATE") is None
                else _boolean("BOOKIJI_WEBHOOKS_ALLOW_PRIVATE", get("WEBHOOKS_ALLOW_PRIVATE"))
            ),
            hsts_max_age=_integer(
                "BOOKIJI_HSTS_MAX_AGE",
                get("HSTS_MAX_AGE"),
                PRODUCTION_HSTS_MAX_AGE if profile is Profile.PRODUCTION else 0,
                low=0,
                high=10 * 365 * 86400,
            ),
            max_in_flight=_integer(
                "BOOKIJI_MAX_IN_FLIGHT", get("MAX_IN_FLIGHT"), 24, low=0, high=100_000
            ),
            rate_limit_per_address=_rate("PER_ADDRESS", get("RATE_LIMIT_PER_ADDRESS"), profile),
            rate_limit_per_principal=_rate(
                "PER_PRINCIPAL", get("RATE_LIMIT_PER_PRINCIPAL"), profile
            ),
            migration_database_url=get("MIGRATION_DATABASE_URL"),
            db_owner_role=_role("BOOKIJI_DB_OWNER_ROLE", get("DB_OWNER_ROLE") or "bookiji_owner"),
            db_service_role=_role(
                "BOOKIJI_DB_SERVICE_ROLE", get("DB_SERVICE_ROLE") or "bookiji_service"
            ),
            audit_key=get("AUDIT_KEY"),
            crash_at=get("TEST_CRASH_AT"),
            log_level=(get("LOG_LEVEL") or "info").lower(),
            url=get("URL"),
            outbox_lease=timedelta(seconds=lease),
            outbox_batch=_integer(
                "BOOKIJI_OUTBOX_BATCH", get("OUTBOX_BATCH"), 20, low=1, high=1000
            ),
            outbox_parallel=_integer(
                "BOOKIJI_OUTBOX_PARALLEL", get("OUTBOX_PARALLEL"), 1, low=1, high=64
            ),
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
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise SettingsError("BOOKIJI_URL must be an http:// or https:// URL")
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(f"BOOKIJI_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        if self.crash_at is not None and not _CRASH_AT.fullmatch(self.crash_at):
            raise SettingsError(
                f"BOOKIJI_TEST_CRASH_AT must be before:N or after:N, got {self.crash_at!r}"
            )
        if self.profile is not Profile.PRODUCTION:
            return
        if self.crash_at is not None:
            raise SettingsError("the production profile refuses BOOKIJI_TEST_CRASH_AT")
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
        if not self.audit_key:
            raise SettingsError(
                "the production profile refuses to start without BOOKIJI_AUDIT_KEY "
                "(or BOOKIJI_AUDIT_KEY_FILE), the key of the history hash chains"
            )
        if not self.is_postgresql:
            raise SettingsError(
                "the production profile refuses to start without PostgreSQL: set "
                "BOOKIJI_DATABASE_URL to a postgresql:// URL "
                f"(got {self.database_url_for_display!r})"
            )

    @property
    def server_url(self) -> str:
        return (self.url or f"http://{self.host}:{self.port}").rstrip("/")

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


def migration_url(environ: Mapping[str, str] = os.environ) -> str:
    """The database the `alembic` command line works on (the shipped alembic.ini names this):
    BOOKIJI_MIGRATION_DATABASE_URL, else BOOKIJI_DATABASE_URL; never a default."""
    url = _value(environ, "BOOKIJI_MIGRATION_DATABASE_URL") or _value(
        environ, "BOOKIJI_DATABASE_URL"
    )
    if url is None or url == MEMORY_URL:
        raise SettingsError(
            "set BOOKIJI_DATABASE_URL to the database to migrate: alembic takes no default"
        )
    return url


def _rate(name: str, value: str | None, profile: Profile) -> int:
    default = PRODUCTION_RATE_LIMITS[name] if profile is Profile.PRODUCTION else 0
    return _integer(f"BOOKIJI_RATE_LIMIT_{name}", value, default, low=0, high=1_000_000)


def current() -> Settings:
    """The settings of this process, from its environment."""
    return Settings.from_env(os.environ)


def _choice(value: str) -> Profile:
    try:
        return Profile(value.lower())
    except ValueError:
        allowed = ", ".join(p.value for p in Profile)
        raise SettingsError(f"BOOKIJI_PROFILE must be one of {allowed}; got {value!r}") from None
