"""Parsers of single settings values, each raising SettingsError with the variable's name:
what `settings.py` reads the environment with."""

from __future__ import annotations

import re
from collections.abc import Mapping

_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class SettingsError(ValueError):
    """The environment does not describe a deployment this process may start."""


def value(environ: Mapping[str, str], name: str) -> str | None:
    """`NAME`, or the content of the file `NAME_FILE` names (a secret mounted as a file);
    both set is refused, as is a file that cannot be read."""
    value = environ.get(name, "").strip() or None
    path = environ.get(f"{name}_FILE", "").strip()
    if not path:
        return value
    if value is not None:
        raise SettingsError(f"set {name} or {name}_FILE, not both")
    try:
        with open(path, encoding="utf-8") as file:
            content = file.read().strip()
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{name}_FILE: cannot read {path!r}: {error}") from None
    if not content:
        raise SettingsError(f"{name}_FILE: {path!r} is empty")
    return content


def boolean(name: str, value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def integer(name: str, value: str | None, default: int, *, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {number}")
    return number


def role(name: str, value: str) -> str:
    if not _ROLE.fullmatch(value):
        raise SettingsError(f"{name} must be a lower-case SQL identifier, got {value!r}")
    return value


def http_url(variable: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"{variable} must be an http:// or https:// URL, not {value!r}")
    return value.rstrip("/")
