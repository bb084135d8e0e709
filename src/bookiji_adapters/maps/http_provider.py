"""HttpMapProvider: zones from a map service over HTTP, with a short timeout.

The API it expects (the SimCity map server speaks it too; a vendor's API sits behind a thin
proxy that speaks it):

    GET {base}/v1/zone?lat=49.283&lon=-123.121
    200 {"zone": "Downtown"}

Anything else (a timeout, a refused connection, a non-2xx status, a body without a non-empty
`zone` string) raises, and `FallbackMapProvider` answers from its fallback. The service gets the
point rounded to 3 decimals (about 100 m): enough to name an area, and it never learns a
vendor's exact position.
"""

from __future__ import annotations

import httpx

from bookiji_core.values import Location

TIMEOUT_SECONDS = 0.3  # per phase (connect, write, read); the quote SLO is P95 500 ms
PLACES = 3
MAX_ZONE_LENGTH = 120


class MapLookupFailed(Exception):
    """The map service answered, but not with a usable zone."""


class HttpMapProvider:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def zone_for(self, location: Location, label: str = "") -> str:
        # The service names places itself; `label` is for offline providers.
        point = location.rounded(PLACES)
        response = self._client.get(
            "/v1/zone",
            params={"lat": f"{point.latitude:.{PLACES}f}", "lon": f"{point.longitude:.{PLACES}f}"},
        )
        response.raise_for_status()
        try:
            zone = response.json()["zone"]
        except (ValueError, KeyError, TypeError) as exc:
            raise MapLookupFailed(f"no zone in the map service's answer: {exc!r}") from None
        if not isinstance(zone, str) or not zone.strip() or len(zone) > MAX_ZONE_LENGTH:
            raise MapLookupFailed(f"unusable zone from the map service: {zone!r}")
        return zone.strip()

    def close(self) -> None:
        self._client.close()
