"""SimCity's synthetic customers and vendors through the front door: the same moves as
`Actions`, over the service's HTTP API with their own bearer tokens, so that the HTTP latency
and availability SLIs see the traffic (BOOKIJI_SIMCITY_HTTP_URL).

The answer is read back from the service's storage (the daemon runs beside it), so the
traffic's bookkeeping is the same as when it calls the use cases; a refusal answered as a
problem is raised as the domain error of its code, as the use case would have raised it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

import httpx

from bookiji_core.access import Principal, Role, hash_token
from bookiji_core.booking import Booking
from bookiji_core.errors import rebuild
from bookiji_core.quoting import QuoteRequest
from bookiji_core.usecases.confirm import ConfirmResult
from bookiji_core.usecases.quote import QuoteResult
from bookiji_core.values import BookingId, CustomerId, VendorId
from bookiji_simcity.world import Actions

TIMEOUT_SECONDS = 5.0


class FrontDoorError(Exception):
    """The service answered 5xx or not at all: counted as an error, like a crash."""


class FrontDoorActions(Actions):
    def __init__(self, *, url: str, **parts: Any) -> None:
        super().__init__(**parts)
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=TIMEOUT_SECONDS)
        self._tokens: dict[str, str] = {}

    def admit(self, customers: Iterable[CustomerId], vendors: Iterable[VendorId]) -> int:
        """A fresh token (stored hashed) for each synthetic person who has none yet."""
        fresh = 0
        with self.uow() as uow:
            for role, ids in ((Role.CUSTOMER, customers), (Role.VENDOR, vendors)):
                for subject in ids:
                    if subject in self._tokens:
                        continue
                    token = f"simcity-{secrets.token_urlsafe(24)}"
                    uow.principals.add(hash_token(token), Principal(role, subject))
                    self._tokens[subject] = token
                    fresh += 1
            uow.commit()
        return fresh

    def close(self) -> None:
        self._http.close()

    def _call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._tokens[who]}", **kwargs.pop("headers", {})}
        try:
            answer = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise FrontDoorError(f"{method} {path}: {exc!r}") from exc
        if answer.status_code >= 500:
            raise FrontDoorError(f"{method} {path}: {answer.status_code}")
        if answer.status_code >= 400:
            problem = answer.json()
            raise rebuild(str(problem.get("code")), str(problem.get("detail", "")))
        return answer

    def quote(self, request: QuoteRequest) -> QuoteResult:
        body = {
            "service_type": request.service_type,
            "location": {
                "latitude": request.location.latitude,
                "longitude": request.location.longitude,
                "radius_km": request.radius_km,
            },
            "date_time": request.interval.start.isoformat().replace("+00:00", "Z"),
            "duration_minutes": request.interval.minutes,
        }
        answer = self._call(request.customer_id, "POST", "/api/quote", json=body).json()
        with self.uow() as uow:
            quote = uow.quotes.get(answer["quote_id"])
        if quote is None:
            raise FrontDoorError(f"quote {answer['quote_id']} is not in storage")
        return QuoteResult(quote, bool(answer["reused"]))

    def confirm(
        self, customer_id: CustomerId, quote_id: str, provider_id: str, method: str, key: str
    ) -> ConfirmResult:
        body = {"quote_id": quote_id, "provider_id": provider_id, "payment_method": method}
        answer = self._call(
            customer_id, "POST", "/api/bookings/confirm", json=body,
            headers={"Idempotency-Key": key},
        )  # fmt: skip
        booking = self._booking(BookingId(answer.json()["booking_id"]))
        return ConfirmResult(booking, answer.headers.get("Idempotent-Replayed") == "true")

    def cancel(self, customer_id: CustomerId, booking_id: BookingId, reason: str) -> Booking:
        path = f"/api/bookings/{booking_id}/cancel"
        self._call(customer_id, "POST", path, json={"reason": reason})
        return self._booking(booking_id)

    def vendor_confirm(self, vendor_id: VendorId, booking_id: BookingId) -> Booking:
        self._call(vendor_id, "POST", f"/api/bookings/{booking_id}/provider-confirm")
        return self._booking(booking_id)

    def _booking(self, booking_id: BookingId) -> Booking:
        with self.uow() as uow:
            found = uow.bookings.get(booking_id)
        if found is None:
            raise FrontDoorError(f"booking {booking_id} is not in storage")
        return found
