"""codec.write_pretty: a record written in pieces reads as `json.dumps(indent=2)` wrote it,
byte for byte (the layout `bkctl privacy export` always had), whatever the chunk size."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bookiji_entry.shapes import codec

RECORDS: list[dict[str, Any]] = [
    {},
    {"empty_list": [], "empty_object": {}, "none": None},
    {"one": [1]},
    {
        "bookings": [
            {"id": f"bk_{n}", "audit": [{"reason": 'é \n \u2028 \x01 "q" \\'}], "fee": n / 4}
            for n in range(7)
        ],
        "profile": {"name": "Zoë", "windows": [{"start": "2030-01-07T08:00:00Z"}]},
        "numbers": list(range(13)),
    },
]


@pytest.mark.parametrize("record", RECORDS)
@pytest.mark.parametrize("chunk", [1, 2, 3, 500])
def test_a_record_written_in_chunks_is_json_dumps_indented_by_two(
    record: dict[str, Any], chunk: int
) -> None:
    out = io.BytesIO()

    codec.write_pretty(out, record, chunk=chunk)

    assert out.getvalue() == (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode()
    assert json.loads(out.getvalue()) == record
