"""The payment provider a profile uses.

production: Stripe (refuses to start without keys, see settings). Other profiles: Stripe when
BOOKIJI_STRIPE_API_KEY is set (e.g. against localstripe or Stripe test mode), otherwise the
SimCity gateway, in this process's memory, whose signed webhooks a worker loop delivers to
this process. (So on the local profile a restart forgets the simulated intents: bookings
paid before it cannot be captured or released after it.)"""

from __future__ import annotations

import random

from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.stripe import StripePaymentGateway
from bookiji_core.ports import Clock, PaymentGateway
from bookiji_entry.settings import Profile, Settings

# SimCity signs with this unless BOOKIJI_STRIPE_WEBHOOK_SECRET says otherwise; never Stripe's.
SIMCITY_WEBHOOK_SECRET = "whsec_simcity_local"


def gateway_for(settings: Settings, clock: Clock) -> PaymentGateway:
    if settings.profile is Profile.PRODUCTION or settings.stripe_api_key:
        return StripePaymentGateway(
            settings.stripe_api_key or "", base_url=settings.stripe_api_base
        )
    return SimCityPaymentGateway(
        clock=clock,
        rng=random.Random(0),
        webhook_secret=webhook_secret(settings),
        id_prefix=f"sim{random.SystemRandom().randrange(16**6):06x}",
    )


def webhook_secret(settings: Settings) -> str:
    return settings.stripe_webhook_secret or SIMCITY_WEBHOOK_SECRET
