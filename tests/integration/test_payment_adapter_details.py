"""What each payment adapter does on its own, without a network: the Stripe error mapping and
the SimCity provider's idempotency window and fault schedule."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import stripe

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import Fault, FaultRates, SimCityPaymentGateway
from bookiji_adapters.stripe.payments import map_error
from bookiji_core.errors import PermanentPaymentError, RetryablePaymentError
from bookiji_core.values import BookingId, Money

FEE = Money("CAD", 100)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (stripe.APIConnectionError("connection reset"), True),
        (stripe.RateLimitError("too many requests", http_status=429), True),
        (stripe.APIError("internal error", http_status=500), True),
        (stripe.APIError("bad gateway", http_status=502), True),
        (stripe.InvalidRequestError("locked", None, code="lock_timeout", http_status=400), True),
        (stripe.IdempotencyError("in use", http_status=409, code="idempotency_key_in_use"), True),
        (stripe.CardError("declined", None, "card_declined", http_status=402), False),
        (stripe.InvalidRequestError("no such intent", "intent", http_status=404), False),
        (stripe.IdempotencyError("other parameters", http_status=400), False),
        (stripe.AuthenticationError("bad key", http_status=401), False),
    ],
)
def test_stripe_errors_map_to_retryable_or_permanent(
    error: stripe.StripeError, retryable: bool
) -> None:
    mapped = map_error(error)
    assert mapped.retryable is retryable
    assert isinstance(mapped, RetryablePaymentError if retryable else PermanentPaymentError)


def simcity(clock: ManualClock, **rates: float) -> SimCityPaymentGateway:
    return SimCityPaymentGateway(clock=clock, rng=random.Random(3), rates=FaultRates(**rates))


def test_a_simcity_key_replays_for_24_hours_then_acts_anew() -> None:
    clock = ManualClock()
    gateway = simcity(clock)
    first = gateway.place_hold(FEE, "pm_card_visa", BookingId("bk_1"), "k")
    clock.advance(timedelta(hours=23, minutes=59))
    assert gateway.place_hold(FEE, "pm_card_visa", BookingId("bk_1"), "k") == first
    clock.advance(timedelta(minutes=1))
    assert gateway.place_hold(FEE, "pm_card_visa", BookingId("bk_1"), "k").id != first.id
    assert gateway.effects_per_key()["k"] == 2


def test_a_simcity_refusal_is_replayed_for_its_key_too() -> None:
    gateway = simcity(ManualClock())
    for _ in range(2):
        with pytest.raises(PermanentPaymentError, match="declined"):
            gateway.place_hold(FEE, "pm_card_chargeDeclined", BookingId("bk_1"), "k")
    assert gateway.effects == []


def test_a_simcity_timeout_after_the_effect_still_happened_and_replays() -> None:
    gateway = simcity(ManualClock())
    gateway.inject(Fault.TIMEOUT_AFTER_EFFECT, operation="place_hold")
    with pytest.raises(RetryablePaymentError):
        gateway.place_hold(FEE, "pm_card_visa", BookingId("bk_1"), "k")
    (intent,) = gateway.all_intents()
    assert gateway.place_hold(FEE, "pm_card_visa", BookingId("bk_1"), "k") == intent


def test_a_slow_simcity_answer_moves_the_injected_clock_and_times_out_after_the_effect() -> None:
    clock = ManualClock()
    gateway = SimCityPaymentGateway(
        clock=clock,
        rng=random.Random(3),
        sleep=lambda seconds: clock.advance(timedelta(seconds=seconds)),
    )
    before = clock.now()
    gateway.inject(Fault.SLOW)
    with pytest.raises(RetryablePaymentError, match="after 9 s"):
        gateway.place_hold(FEE, "pm_card_visa", BookingId("bk_1"), "k")
    assert clock.now() - before == timedelta(seconds=9)
    assert len(gateway.effects) == 1


def test_the_same_seed_gives_the_same_faults_and_webhook_order() -> None:
    def run(seed: int) -> list[str]:
        clock = ManualClock()
        gateway = SimCityPaymentGateway(
            clock=clock,
            rng=random.Random(seed),
            rates=FaultRates(gateway_502=0.3, webhook_duplicate=0.5, webhook_reorder=1.0),
        )
        seen: list[str] = []
        gateway.subscribe(lambda payload, _sig: seen.append(payload.decode()[:80]))
        for n in range(20):
            try:
                gateway.place_hold(FEE, "pm_card_visa", BookingId(f"bk_{n}"), f"k{n}")
            except RetryablePaymentError:
                seen.append(f"502 k{n}")
        for _ in range(3):
            clock.advance(timedelta(seconds=10))
            gateway.deliver_due()
        return seen

    assert run(11) == run(11)
    assert run(11) != run(12)
