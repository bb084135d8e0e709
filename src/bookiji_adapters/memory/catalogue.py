"""In-memory vendors (with their opening windows), customers and quotes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from bookiji_adapters.memory.state import Repo
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.quoting import Quote
from bookiji_core.values import Area, CustomerId, Interval, QuoteId, VendorId


class InMemoryVendors(Repo):
    def add(self, vendor: Vendor) -> None:
        self._s.vendors[vendor.id] = vendor

    def get(self, vendor_id: VendorId) -> Vendor | None:
        return self._s.vendors.get(vendor_id)

    def listed(self, limit: int) -> list[Vendor]:
        return sorted((v for v in self._s.vendors.values() if v.services), key=lambda v: v.id)[
            :limit
        ]

    def offering(
        self, service_type: str, min_rating: float, within: Area | None = None
    ) -> list[Vendor]:
        return sorted(
            (
                v
                for v in self._s.vendors.values()
                if v.offers(service_type)
                and v.rating >= min_rating
                and (within is None or within.holds_in_box(v.location))
            ),
            key=lambda v: v.id,
        )

    def add_window(self, vendor_id: VendorId, window: Interval) -> None:
        self._s.windows.setdefault(vendor_id, []).append(window)

    def windows(
        self, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        return {
            vid: [w for w in self._s.windows.get(vid, []) if w.overlaps(within)]
            for vid in vendor_ids
        }


class InMemoryCustomers(Repo):
    def add(self, customer: Customer) -> None:
        self._s.customers[customer.id] = customer

    def get(self, customer_id: CustomerId) -> Customer | None:
        return self._s.customers.get(customer_id)


class InMemoryQuotes(Repo):
    def add(self, quote: Quote) -> None:
        self._s.quotes[quote.id] = quote

    def get(self, quote_id: QuoteId) -> Quote | None:
        return self._s.quotes.get(quote_id)

    def live_by_intent(self, intent_hash: str, now: datetime) -> Quote | None:
        live = [
            q for q in self._s.quotes.values() if q.intent_hash == intent_hash and q.is_live(now)
        ]
        return max(live, key=lambda q: q.created_at, default=None)
