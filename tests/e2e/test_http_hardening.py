"""Every answer carries the security headers; the public routes are rate limited per client
address and per bearer token with 429 + Retry-After; secrets may come from files."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import InMemoryTelemetry, ManualClock, SequentialIds
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import bootstrap
from bookiji_entry.http.hardening import TokenBuckets
from bookiji_entry.seed import seed_demo
from bookiji_entry.settings import MEMORY_URL, Profile, Settings, SettingsError
from tests.e2e.conftest import CUSTOMER, NOW, OTHER_CUSTOMER, bearer

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def client_for(telemetry: InMemoryTelemetry | None = None, **settings: object) -> TestClient:
    config = Settings(profile=Profile.TEST, database_url=MEMORY_URL, **settings)  # type: ignore[arg-type]
    services = bootstrap(config, clock=ManualClock(NOW), ids=SequentialIds(), telemetry=telemetry)
    seed_demo(services.uow(), NOW, fixed_tokens=True)
    return TestClient(create_app(services))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/api/bookings", 401),
        ("GET", "/no/such/page", 404),
        ("POST", "/api/webhooks/stripe", 400),
    ],
)
def test_every_answer_carries_the_security_headers(method: str, path: str, status: int) -> None:
    answer = client_for(hsts_max_age=31536000).request(method, path)

    assert answer.status_code == status
    for name, value in HEADERS.items():
        assert answer.headers[name] == value
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_hsts_is_left_out_unless_set() -> None:
    assert "strict-transport-security" not in client_for().get("/healthz").headers


def test_one_address_over_its_limit_gets_429_with_retry_after_and_is_counted() -> None:
    telemetry = InMemoryTelemetry()
    client = client_for(telemetry, rate_limit_per_address=5)

    answers = [client.get("/api/bookings", headers=bearer(CUSTOMER)) for _ in range(7)]

    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) == 12  # one token per 60/5 s
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert telemetry.counts[("rate_limited", "address")] == 2
    # The provider's webhook and the probes are exempt.
    assert client.post("/api/webhooks/stripe", content=b"{}").status_code == 400
    assert client.get("/healthz").status_code == 200


def test_each_token_has_its_own_limit_before_authentication() -> None:
    telemetry = InMemoryTelemetry()
    client = client_for(telemetry, rate_limit_per_principal=3)

    mine = [client.get("/api/bookings", headers=bearer(CUSTOMER)).status_code for _ in range(4)]
    theirs = client.get("/api/bookings", headers=bearer(OTHER_CUSTOMER))
    unknown = [client.get("/api/bookings", headers=bearer("nope")).status_code for _ in range(4)]

    assert mine == [200, 200, 200, 429]
    assert theirs.status_code == 200
    assert unknown == [401, 401, 401, 429]  # guessing tokens is limited too
    assert telemetry.counts[("rate_limited", "principal")] == 2


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(2, lambda: now[0])

    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(30.0)
    now[0] = 30.0
    assert buckets.take("a") == 0.0
    now[0] = 1000.0
    buckets.take("b")
    assert len(buckets) == 1  # the idle, full bucket of "a" was forgotten


def test_production_limits_and_hsts_by_default_and_settings_override() -> None:
    base = {
        "BOOKIJI_PROFILE": "production",
        "BOOKIJI_DATABASE_URL": "postgresql://svc@db/bookiji",
        "BOOKIJI_STRIPE_API_KEY": "sk_test_1",
        "BOOKIJI_STRIPE_WEBHOOK_SECRET": "whsec_1",
        "BOOKIJI_AUDIT_KEY": "k",
    }
    production = Settings.from_env(base)
    assert (production.rate_limit_per_address, production.rate_limit_per_principal) == (600, 300)
    assert production.hsts_max_age > 0
    changed = Settings.from_env({**base, "BOOKIJI_RATE_LIMIT_PER_ADDRESS": "0"})
    assert changed.rate_limit_per_address == 0
    local = Settings.from_env({})
    assert (local.rate_limit_per_address, local.hsts_max_age) == (0, 0)


def test_secrets_may_come_from_files(tmp_path: Path) -> None:
    key = tmp_path / "stripe_key"
    key.write_text("sk_live_from_a_file\n")

    settings = Settings.from_env({"BOOKIJI_STRIPE_API_KEY_FILE": str(key)})

    assert settings.stripe_api_key == "sk_live_from_a_file"
    assert "sk_live_from_a_file" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BOOKIJI_STRIPE_API_KEY": "a", "BOOKIJI_STRIPE_API_KEY_FILE": "/x"}, "not both"),
        ({"BOOKIJI_STRIPE_API_KEY_FILE": "/no/such/file"}, "cannot read"),
        ({"BOOKIJI_RATE_LIMIT_PER_ADDRESS": "-1"}, "between"),
        ({"BOOKIJI_DB_SERVICE_ROLE": "x; DROP"}, "identifier"),
        ({"BOOKIJI_TEST_CRASH_AT": "sometime"}, "before:N"),
    ],
)
def test_unusable_secret_files_and_limits_are_refused(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_an_empty_secret_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(SettingsError, match="empty"):
        Settings.from_env({"BOOKIJI_SMTP_PASSWORD_FILE": str(empty)})
