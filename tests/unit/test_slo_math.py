"""The SLO report's arithmetic: histogram_quantile's interpolation, availability, budget."""

from __future__ import annotations

import math

import pytest

from bookiji_entry.slo import Sample, quantile, report

INF = math.inf
BUCKETS = [(0.1, 0.0), (0.5, 10.0), (1.0, 20.0), (INF, 20.0)]


@pytest.mark.parametrize("q, expected", [(0.5, 0.5), (0.75, 0.75), (0.99, 0.99), (0.25, 0.3)])
def test_a_quantile_is_interpolated_linearly_inside_its_bucket(q: float, expected: float) -> None:
    assert quantile(q, BUCKETS) == pytest.approx(expected)


def test_the_first_bucket_interpolates_from_zero() -> None:
    assert quantile(0.5, [(0.005, 10.0), (INF, 10.0)]) == pytest.approx(0.0025)


def test_a_rank_in_the_inf_bucket_is_the_highest_finite_bound() -> None:
    assert quantile(0.5, [(1.0, 0.0), (5.0, 1.0), (INF, 5.0)]) == 5.0


@pytest.mark.parametrize("buckets", [[], [(INF, 0.0)], [(0.1, 0.0), (INF, 0.0)], [(0.1, 3.0)]])
def test_no_observations_or_no_inf_bucket_is_no_answer(buckets: list[tuple[float, float]]) -> None:
    assert quantile(0.95, buckets) is None


def test_unsorted_and_slightly_non_monotonic_buckets_are_tolerated() -> None:
    shuffled = [(INF, 20.0), (0.5, 10.0), (1.0, 19.0), (0.1, 0.0)]

    assert quantile(0.5, shuffled) == pytest.approx(0.5)


def requests(route: str, code: str, count: float) -> Sample:
    return Sample(
        "bookiji_http_requests_total", {"route": route, "method": "GET", "code": code}, count
    )


def test_availability_counts_5xx_on_api_routes_only() -> None:
    result = report(
        [
            requests("/api/quote", "201", 990),
            requests("/api/quote", "422", 5),
            requests("/api/bookings/confirm", "503", 5),
            requests("/metrics", "500", 50),
        ],
        source="test",
        window="test",
    )

    assert (result.api_requests, result.api_errors) == (1000, 5)
    assert result.availability == pytest.approx(0.995)
    assert result.error_budget_left == pytest.approx(0.5)
    assert result.verdicts()["availability"] is True


def test_an_overspent_budget_is_negative_and_a_breach() -> None:
    result = report(
        [requests("/api/quote", "201", 980), requests("/api/quote", "500", 20)],
        source="test",
        window="test",
    )

    assert result.error_budget_left == pytest.approx(-1.0)
    assert result.verdicts()["availability"] is False


def test_latency_is_judged_only_on_the_routes_with_an_slo() -> None:
    slow = [(0.25, 0.0), (0.5, 80.0), (0.75, 100.0), (INF, 100.0)]

    def buckets(route: str) -> list[Sample]:
        return [
            Sample(
                "bookiji_http_request_duration_seconds_bucket",
                {"route": route, "method": "POST", "code": "201", "le": str(le)},
                count,
            )
            for le, count in slow
        ]

    result = report(
        buckets("/api/bookings/confirm") + buckets("/api/bookings/{booking_id}"),
        source="test",
        window="test",
    )

    verdicts = result.verdicts()
    assert verdicts["latency /api/bookings/confirm"] is False  # P95 0.6875 s > 0.5 s
    assert "latency /api/bookings/{booking_id}" not in verdicts
    assert result.latency[0].route == "/api/bookings/confirm"  # SLO routes first


def test_without_samples_every_verdict_is_no_data() -> None:
    result = report([], source="test", window="test")

    assert result.latency == ()
    assert set(result.verdicts().values()) == {None}
