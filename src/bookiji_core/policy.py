"""BookingPolicy: the booking rules a deployment may tune; settings override its defaults."""

from __future__ import annotations

from datetime import timedelta

import attrs


def _positive(_inst: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if value <= timedelta(0):
        raise ValueError(f"{attribute.name} must be positive, got {value}")


@attrs.frozen
class BookingPolicy:
    """One instance per deployment, built by the composition root."""

    # T: how long a vendor has to confirm before the booking is auto-cancelled and the
    # customer's hold released (15 minutes in the pilot).
    confirm_within: timedelta = attrs.field(default=timedelta(minutes=15), validator=_positive)
