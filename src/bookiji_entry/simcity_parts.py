"""The synthetic-traffic daemon of a running server, as the composition root builds it.

Apart from `bootstrap.py` so that the root imports SimCity (and, through it, the notifier's
channels) only when it builds a whole server's graph, never for a one-shot `bkctl` command.
"""

# No `from __future__ import annotations`: punq reads the real annotations of this factory.
from bookiji_adapters.maps import FallbackMapProvider
from bookiji_core.ports import Clock, Ids, Notifier, PaymentGateway, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy
from bookiji_entry.notifications import listener_hook
from bookiji_entry.settings import Profile, Settings
from bookiji_simcity.daemon import SimCityDaemon


def simcity_daemon(
    settings: Settings,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: Ids,
    policy: QuotePolicy,
    gateway: PaymentGateway,
    maps: FallbackMapProvider,
    notifier: Notifier,
) -> SimCityDaemon:
    """The synthetic-traffic daemon of a running server, over that server's own parts; its
    vendors hear the server's notifications when they stay in memory."""
    return SimCityDaemon(
        uow=uow,
        clock=clock,
        ids=ids,
        policy=policy,
        confirm_within=settings.confirm_within,
        gateway=gateway,
        maps=maps,
        production=settings.profile is Profile.PRODUCTION,
        allow_in_production=settings.simcity_allow_in_production,
        listen=listener_hook(notifier),
        front_door=settings.simcity_http_url,
    )
