"""Random identifiers, as the core's Ids port."""

from __future__ import annotations

import secrets


class RandomIds:
    """`<prefix>_<22 url-safe random characters>`: 128 bits, unguessable, no coordination."""

    def new(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_urlsafe(16)}"
