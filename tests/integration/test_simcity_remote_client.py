"""The SimCity provider's HTTP client (simcity/remote.py), over real loopback sockets: it keeps
its connection alive, sends again once when the provider has dropped it, and reports an
unreachable provider as a retryable payment error."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator

import pytest

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.remote import RemoteSimCityPaymentGateway, make_server
from bookiji_core import BookingId, Money
from bookiji_core.errors import RetryablePaymentError
from tests.unit.conftest import NOW

FEE = Money("CAD", 100)


@pytest.fixture
def gateway() -> SimCityPaymentGateway:
    return SimCityPaymentGateway(clock=ManualClock(NOW), rng=random.Random(1))


class Provider:
    def __init__(self) -> None:
        self.url = ""
        self.connections = 0


def _serve(
    gateway: SimCityPaymentGateway, *, one_request_per_connection: bool
) -> Iterator[Provider]:
    server = make_server(gateway, "127.0.0.1", 0)
    provider = Provider()
    handler = server.RequestHandlerClass

    class Counting(handler):  # type: ignore[valid-type,misc]
        def handle(self) -> None:
            provider.connections += 1
            if one_request_per_connection:  # answer as kept alive, then hang up
                self.handle_one_request()
            else:
                super().handle()

    server.RequestHandlerClass = Counting
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dropping(gateway: SimCityPaymentGateway) -> Iterator[Provider]:
    yield from _serve(gateway, one_request_per_connection=True)


@pytest.fixture
def keeping(gateway: SimCityPaymentGateway) -> Iterator[Provider]:
    yield from _serve(gateway, one_request_per_connection=False)


def test_calls_share_one_kept_alive_connection(
    keeping: Provider, gateway: SimCityPaymentGateway
) -> None:
    client = RemoteSimCityPaymentGateway(keeping.url)
    for n in range(5):
        client.place_hold(FEE, "pm_card_visa", BookingId(f"bk_{n}"), f"key_{n}")
    assert keeping.connections == 1
    client.close()
    assert len(gateway.effects) == 5
    assert len(client.effects()) == 5  # after close(), a call opens a new connection
    assert keeping.connections == 2


def test_a_dropped_connection_is_replaced_and_the_call_made_once(
    dropping: Provider, gateway: SimCityPaymentGateway
) -> None:
    client = RemoteSimCityPaymentGateway(dropping.url)
    first = client.place_hold(FEE, "pm_card_visa", BookingId("bk_1"), "key_1")
    second = client.place_hold(FEE, "pm_card_visa", BookingId("bk_2"), "key_2")
    again = client.place_hold(FEE, "pm_card_visa", BookingId("bk_1"), "key_1")
    assert again.id == first.id != second.id
    assert [e.idempotency_key for e in gateway.effects] == ["key_1", "key_2"]
    assert dropping.connections == 3
    client.close()


def test_an_unreachable_provider_is_a_retryable_payment_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = RemoteSimCityPaymentGateway(f"http://127.0.0.1:{port}", timeout=2.0)
    with pytest.raises(RetryablePaymentError, match="unreachable"):
        client.retrieve("pi_1")


def test_the_provider_address_must_be_http() -> None:
    with pytest.raises(ValueError, match="http://"):
        RemoteSimCityPaymentGateway("https://127.0.0.1:1")
