"""Bytes and plain values in, shapes out (and back): the one place a shape error becomes a
problem. Malformed JSON is 400 `malformed_json`; JSON of the wrong shape is 422
`invalid_input` naming the field as the core does (`location.latitude`, `weekly.mon`)."""

from __future__ import annotations

import re
from typing import Any, BinaryIO, TypeVar

import msgspec

from bookiji_core.errors import InvalidInput
from bookiji_entry.problem_codes import EdgeError

T = TypeVar("T")

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"missing required field `(?P<name>[^`]+)`")
_UNKNOWN = re.compile(r"unknown field `(?P<name>[^`]+)`")


def decode(raw: bytes, shape: type[T]) -> T:
    """A JSON body as `shape`. Parsed first as plain JSON, so that any malformed body (bad
    UTF-8, a lone surrogate, too deep, a number no float holds) is a 400 whatever its shape."""
    try:
        value = msgspec.json.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise EdgeError("malformed_json", f"the request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput("body", "the request body must be a JSON object")
    return convert(_integral(value), shape)


def _integral(value: Any) -> Any:
    """JSON does not tell 60 from 60.0 (nor does JSON Schema's `integer`): an integral number
    is an integer, whichever way it is written; 60.5 stays a float (and no integer)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def convert(value: Any, shape: type[T], *, strict: bool = True) -> T:
    """Plain values (a decoded body, CLI flags, a query string with `strict=False`) as
    `shape`, or InvalidInput naming the first wrong field."""
    try:
        return msgspec.convert(value, shape, strict=strict)
    except msgspec.ValidationError as exc:
        raise invalid(str(exc)) from None


def shaped(value: Any, shape: type[T]) -> T:
    """A record the server built (the core's export, the daemon's status) as its answer's
    shape. A mismatch is the server's bug, never the client's: it raises TypeError (a 500)."""
    try:
        return msgspec.convert(value, shape)
    except msgspec.ValidationError as exc:
        raise TypeError(f"the server's {shape.__name__} does not fit its shape: {exc}") from exc


def invalid(message: str) -> InvalidInput:
    found = _AT.search(message)
    path = found.group("path") if found else ""
    field = re.sub(r"\[[^\]]*\]", "", path).lstrip(".")
    named = _MISSING.search(message)
    unknown = _UNKNOWN.search(message)
    if named:  # the missing field itself
        field = f"{field}.{named.group('name')}" if field else named.group("name")
    elif unknown and not field:  # an unknown key of the body; nested, the object naming it
        field = unknown.group("name")
    text = _AT.sub("", message)
    return InvalidInput(field or "body", f"{field}: {text}" if field else text)


def encode(value: object) -> bytes:
    return msgspec.json.encode(value)


# List items encoded per call by `write_pretty`: bounded buffers, whatever the list's length.
PRETTY_CHUNK = 500
_ENCODER = msgspec.json.Encoder()


def write_pretty(out: BinaryIO, record: dict[str, Any], *, chunk: int = PRETTY_CHUNK) -> None:
    """`record` as UTF-8 JSON in `json.dumps(record, indent=2, ensure_ascii=False)`'s layout
    (a float may spell its exponent differently: `1e16`, not `1e+16`), plus a newline,
    written a top-level field, and of a long list `chunk` items, at a time: a privacy export
    of 10,000 bookings is some 27 MB that never has to be one string."""
    out.write(b"{")
    for n, (key, value) in enumerate(record.items()):
        out.write(b",\n  " if n else b"\n  ")
        out.write(_ENCODER.encode(key) + b": ")
        if not (isinstance(value, list) and value):
            out.write(_pretty(value).replace(b"\n", b"\n  "))
            continue
        out.write(b"[\n")
        for first in range(0, len(value), chunk):
            # "[\n  item,\n  item\n]" -> the items, two spaces deeper.
            items = _pretty(value[first : first + chunk])[2:-2]
            out.write((b",\n  " if first else b"  ") + items.replace(b"\n", b"\n  "))
        out.write(b"\n  ]")
    out.write(b"\n}\n" if record else b"}\n")


def _pretty(value: object) -> bytes:
    return msgspec.json.format(_ENCODER.encode(value), indent=2)


def plain(value: object) -> Any:
    """A shape as JSON-ready builtins (for `bkctl --json`)."""
    return msgspec.to_builtins(value)
