"""Availability from the catalogue: who sells the requested service, and their open windows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from bookiji_core.catalogue import Vendor, VendorCatalogue
from bookiji_core.schedule import subtract
from bookiji_core.values import Interval, VendorId


def priced_for(
    service_type: str,
    minutes: int,
    vendors: Iterable[Vendor],
    catalogues: Mapping[VendorId, VendorCatalogue],
) -> list[Vendor]:
    """The vendors whose offer of the service allows `minutes`, each at that offer's rate.
    A vendor without a catalogue keeps its one rate and allows any duration."""
    kept: list[Vendor] = []
    for vendor in vendors:
        catalogue = catalogues.get(vendor.id)
        if catalogue is None:
            kept.append(vendor)
            continue
        offer = catalogue.offer(service_type)
        if offer is not None and offer.allows(minutes):
            kept.append(attrs.evolve(vendor, hourly_rate=offer.hourly_rate))
    return kept


def open_windows(
    vendor_ids: Iterable[VendorId],
    catalogues: Mapping[VendorId, VendorCatalogue],
    fixed: Mapping[VendorId, Sequence[Interval]],
    within: Interval,
) -> dict[VendorId, list[Interval]]:
    """Each vendor's open windows overlapping `within`: its rules, plus its explicit windows
    (all there is for a vendor without a catalogue)."""
    found: dict[VendorId, list[Interval]] = {}
    for vid in vendor_ids:
        catalogue = catalogues.get(vid)
        explicit = fixed.get(vid, ())
        if catalogue is None:
            found[vid] = list(explicit)
        else:
            found[vid] = catalogue.schedule.open_windows(within, explicit)
    return found


def free_windows(windows: Iterable[Interval], busy: Sequence[Interval]) -> list[Interval]:
    """The open time that no active booking occupies."""
    return [part for w in windows for part in subtract(w, busy)]
