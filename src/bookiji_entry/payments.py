"""The payment provider a profile uses.

production: Stripe (refuses to start without keys, see settings). Other profiles: Stripe when
BOOKIJI_STRIPE_API_KEY is set (e.g. against localstripe or Stripe test mode), otherwise the
SimCity gateway, whose signed webhooks a worker loop delivers to the same code as
POST /api/webhooks/stripe. On the local and simcity profiles over a database, SimCity's state
(intents, idempotency keys, effects, pending webhooks) is kept in that database: every process
on it (`bkctl serve`, `bkctl worker outbox`, `bkctl ledger|dlq|rollback`) sees one provider,
and a restart forgets nothing. memory:// and the test profile keep it in the process."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import attrs

from bookiji_core.ports import Clock, PaymentGateway
from bookiji_entry.settings import Profile, Settings, SettingsError

if TYPE_CHECKING:
    from bookiji_adapters.simcity.state import ProviderState

# SimCity signs with this unless BOOKIJI_STRIPE_WEBHOOK_SECRET says otherwise; never Stripe's.
SIMCITY_WEBHOOK_SECRET = "whsec_simcity_local"


def gateway_for(settings: Settings, clock: Clock) -> PaymentGateway:
    if settings.profile is Profile.PRODUCTION or settings.stripe_api_key:
        try:  # the Stripe SDK comes with the bookiji[stripe] extra
            from bookiji_adapters.stripe.payments import StripePaymentGateway
        except ModuleNotFoundError as missing:
            raise SettingsError(
                f"Stripe payments need the Stripe SDK ({missing.name} is not installed): "
                "pip install 'bookiji[stripe]'"
            ) from None
        return StripePaymentGateway(
            settings.stripe_api_key or "", base_url=settings.stripe_api_base
        )
    from bookiji_adapters.simcity import SimCityPaymentGateway  # built only when asked for

    return SimCityPaymentGateway(
        clock=clock,
        rng=random.Random(0),
        webhook_secret=webhook_secret(settings),
        id_prefix=f"sim{random.SystemRandom().randrange(16**6):06x}",
        state=simcity_state_for(settings),
    )


def simcity_state_for(settings: Settings) -> ProviderState | None:
    """The database's SimCity provider for the local and simcity profiles; None (the
    process's memory) for memory:// and for the test profile, whose tests reach into it."""
    if settings.is_memory or settings.profile is Profile.TEST:
        return None
    # Imported here, as bootstrap imports the SQL storage: only a process that uses it pays.
    from bookiji_adapters.simcity.sql_state import SqlAlchemyProviderState
    from bookiji_adapters.sqlalchemy.engine import create_storage_engine

    return SqlAlchemyProviderState(create_storage_engine(settings.database_url))


@attrs.frozen
class WebhookSecret:
    """The secret the provider's webhooks are signed with (Stripe's, or SimCity's)."""

    value: str = attrs.field(repr=False)


def webhook_secret(settings: Settings) -> str:
    return settings.stripe_webhook_secret or SIMCITY_WEBHOOK_SECRET
