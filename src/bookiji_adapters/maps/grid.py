"""GridMapProvider: the offline fallback. A zone is the catalogue's label for the place, or
else the named grid cell holding the point."""

from __future__ import annotations

import math

from bookiji_core.values import Location


class GridMapProvider:
    """Cells of `cell_degrees` x `cell_degrees` (0.05° is about 5 km north-south), named by
    their south-west corner, e.g. `grid N49.25 W123.15`. Needs no network, so it cannot be
    down; coarse enough never to reveal an address."""

    def __init__(self, cell_degrees: float = 0.05) -> None:
        if not 0 < cell_degrees <= 90:
            raise ValueError(f"cell_degrees must be in (0, 90], got {cell_degrees}")
        self.cell_degrees = cell_degrees

    def zone_for(self, location: Location, label: str = "") -> str:
        if label:  # the catalogue already names the place; no need to invent a cell name
            return label
        size = self.cell_degrees
        south = math.floor(location.latitude / size) * size
        west = math.floor(location.longitude / size) * size
        return f"grid {_hemisphere(south, 'N', 'S')} {_hemisphere(west, 'E', 'W')}"


def _hemisphere(corner: float, positive: str, negative: str) -> str:
    letter = positive if corner >= 0 else negative
    return f"{letter}{abs(corner):.2f}"
