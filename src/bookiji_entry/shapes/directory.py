"""GET /api/directory: vendors by zone (beta); never a name, contact, address or position."""

from __future__ import annotations

import msgspec

from bookiji_core.usecases.directory import Zone


class Listing(msgspec.Struct, forbid_unknown_fields=True):
    provider_id: str
    services: list[str]
    rating: float
    response_minutes: int


class DirectoryZone(msgspec.Struct):
    zone: str
    vendors: list[Listing]


class Directory(msgspec.Struct):
    """The directory, zones and vendors in order."""

    zones: list[DirectoryZone]

    @classmethod
    def of(cls, zones: list[Zone]) -> Directory:
        return cls(
            [
                DirectoryZone(
                    z.zone,
                    [
                        Listing(v.provider_id, list(v.services), v.rating, v.response_minutes)
                        for v in z.vendors
                    ],
                )
                for z in zones
            ]
        )
