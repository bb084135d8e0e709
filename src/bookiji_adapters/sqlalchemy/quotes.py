"""Quotes as SQL rows, their ranked candidates as a JSON column."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, insert, select

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository
from bookiji_adapters.sqlalchemy.tables import quotes
from bookiji_core.quoting import Candidate, Quote, QuoteRequest
from bookiji_core.values import CustomerId, Interval, Location, Money, QuoteId, VendorId


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {
        "vendor_id": candidate.vendor_id,
        "price_amount": candidate.price.amount,
        "price_currency": candidate.price.currency,
        "eta_minutes": candidate.eta_minutes,
        "zone": candidate.zone,
        "distance_km": candidate.distance_km,
        "score": candidate.score,
    }


def _candidate(data: dict[str, Any]) -> Candidate:
    return Candidate(
        vendor_id=VendorId(data["vendor_id"]),
        price=Money(data["price_currency"], data["price_amount"]),
        eta_minutes=data["eta_minutes"],
        zone=data["zone"],
        distance_km=data["distance_km"],
        score=data["score"],
    )


def _quote_row(quote: Quote) -> dict[str, Any]:
    request = quote.request
    return {
        "id": quote.id,
        "customer_id": request.customer_id,
        "service_type": request.service_type,
        "latitude": request.location.latitude,
        "longitude": request.location.longitude,
        "radius_km": request.radius_km,
        "starts_at": request.interval.start,
        "ends_at": request.interval.end,
        "candidates": [_candidate_json(c) for c in quote.candidates],
        "price_amount": quote.price.amount,
        "price_currency": quote.price.currency,
        "eta_minutes": quote.eta_minutes,
        "fee_amount": quote.commitment_fee.amount,
        "fee_currency": quote.commitment_fee.currency,
        "created_at": quote.created_at,
        "expires_at": quote.expires_at,
        "intent_hash": quote.intent_hash,
    }


def _quote(row: RowMapping) -> Quote:
    request = QuoteRequest(
        customer_id=CustomerId(row["customer_id"]),
        service_type=row["service_type"],
        location=Location(row["latitude"], row["longitude"]),
        radius_km=row["radius_km"],
        interval=Interval(row["starts_at"], row["ends_at"]),
    )
    return Quote(
        id=QuoteId(row["id"]),
        request=request,
        candidates=tuple(_candidate(c) for c in row["candidates"]),
        price=Money(row["price_currency"], row["price_amount"]),
        eta_minutes=row["eta_minutes"],
        commitment_fee=Money(row["fee_currency"], row["fee_amount"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        intent_hash=row["intent_hash"],
    )


# Built once: every quote and every confirm runs them.
_GET = select(quotes).where(quotes.c.id == bindparam("id"))
_LIVE_BY_INTENT = (
    select(quotes)
    .where(quotes.c.intent_hash == bindparam("intent_hash"), quotes.c.expires_at > bindparam("now"))
    .order_by(quotes.c.created_at.desc())
    .limit(1)
)


class SqlAlchemyQuotes(SqlAlchemyRepository):
    def add(self, quote: Quote) -> None:
        self._conn.execute(insert(quotes), _quote_row(quote))

    def get(self, quote_id: QuoteId) -> Quote | None:
        row = self._conn.execute(_GET, {"id": quote_id}).mappings().first()
        return None if row is None else _quote(row)

    def live_by_intent(self, intent_hash: str, now: datetime) -> Quote | None:
        params = {"intent_hash": intent_hash, "now": now}
        row = self._conn.execute(_LIVE_BY_INTENT, params).mappings().first()
        return None if row is None else _quote(row)
