"""UtcDateTime's one-step SQLite processors give exactly what SQLAlchemy's two layers gave:
the same text (so stored timestamps keep sorting chronologically) and the same aware UTC back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from bookiji_adapters.sqlalchemy.columns import UtcDateTime

SQLITE = sqlite.dialect()
MOMENTS = [
    datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
    datetime(2026, 12, 2, 10, 0, 0, 1, tzinfo=UTC),
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-7))),
    datetime(2026, 3, 29, 1, 30, 5, 250, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]


def sqlalchemy_text(moment: datetime) -> str:
    process = DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None
    return str(process(moment.astimezone(UTC).replace(tzinfo=None)))


@pytest.mark.parametrize("moment", MOMENTS)
def test_the_text_is_sqlalchemys_and_reads_back_as_the_same_instant(moment: datetime) -> None:
    to_text = UtcDateTime().bind_processor(SQLITE)
    from_text = UtcDateTime().result_processor(SQLITE, None)
    assert to_text is not None and from_text is not None

    text = to_text(moment)
    assert text == sqlalchemy_text(moment)
    back = from_text(text)
    assert back == moment
    assert back.tzinfo is UTC


def test_text_order_is_time_order() -> None:
    to_text = UtcDateTime().bind_processor(SQLITE)
    assert to_text is not None
    ordered = sorted(MOMENTS)
    assert sorted(ordered, key=to_text) == ordered


def test_none_passes_and_a_naive_datetime_is_refused() -> None:
    to_text = UtcDateTime().bind_processor(SQLITE)
    from_text = UtcDateTime().result_processor(SQLITE, None)
    assert to_text is not None and from_text is not None
    assert to_text(None) is None and from_text(None) is None
    with pytest.raises(ValueError, match="naive"):
        to_text(datetime(2026, 12, 2, 10, 0))


def test_text_with_an_offset_or_without_a_time_still_reads() -> None:
    from_text = UtcDateTime().result_processor(SQLITE, None)
    assert from_text is not None
    assert from_text("2026-12-02 10:00:00+02:00") == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert from_text("2026-12-02") == datetime(2026, 12, 2, tzinfo=UTC)
    assert from_text("2026-12-02 10:00:00") == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_postgresql_keeps_the_driver_s_timestamptz() -> None:
    dialect = postgresql.dialect()
    moment = datetime(2026, 12, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    result = UtcDateTime().result_processor(dialect, None)
    back = result(moment) if result is not None else moment
    assert back == moment and back.utcoffset() == timedelta(0)
