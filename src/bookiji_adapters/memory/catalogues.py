"""InMemoryCatalogues: vendors' own catalogues, over the in-memory storage's state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from bookiji_adapters.memory.state import Repo
from bookiji_core.catalogue import Commitment, VendorCatalogue
from bookiji_core.values import VendorId


class InMemoryCatalogues(Repo):
    """Catalogues are frozen values in `state.catalogues`: replacing one is the whole write."""

    def get(self, vendor_id: VendorId) -> VendorCatalogue | None:
        return self._s.catalogues.get(vendor_id)

    def save(self, catalogue: VendorCatalogue) -> None:
        self._s.catalogues[catalogue.vendor_id] = catalogue

    def for_vendors(self, vendor_ids: Iterable[VendorId]) -> Mapping[VendorId, VendorCatalogue]:
        found = self._s.catalogues
        return {vid: found[vid] for vid in vendor_ids if vid in found}

    def commitments(self, vendor_id: VendorId, after: datetime) -> list[Commitment]:
        held = sorted(
            (
                b
                for b in self._s.bookings.values()
                if b.vendor_id == vendor_id and b.is_active and b.interval.end > after
            ),
            key=lambda b: (b.interval.start, b.id),
        )
        quotes = self._s.quotes
        return [
            Commitment(
                b.id,
                b.interval,
                quotes[b.quote_id].request.service_type if b.quote_id in quotes else None,
            )
            for b in held
        ]
