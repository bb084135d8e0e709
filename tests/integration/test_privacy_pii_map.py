"""docs/privacy/pii_map.yml covers the real schema, column by column, and says enough about each
column that holds personal data: a new PII column cannot slip in unmapped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import inspect

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core.privacy import ERASED

PII_MAP = Path(__file__).resolve().parents[2] / "docs" / "privacy" / "pii_map.yml"
PII = {"direct", "pseudonymous", "none"}
ABOUT_PERSONAL = ("category", "purpose", "retention", "export", "delete")


@pytest.fixture(scope="module")
def pii_map() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PII_MAP.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def schema(sqlite_storage: SqlAlchemyStorage) -> dict[str, list[str]]:
    """Every table and column the migrations create (the database, not tables.py)."""
    found = inspect(sqlite_storage.engine)
    return {t: [c["name"] for c in found.get_columns(t)] for t in found.get_table_names()}


def mapped(pii_map: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t: spec["columns"] for t, spec in pii_map["tables"].items()}


def test_every_column_of_the_schema_is_in_the_pii_map(
    pii_map: dict[str, Any], schema: dict[str, list[str]]
) -> None:
    columns = mapped(pii_map)
    unmapped = [
        f"{table}.{column}"
        for table, names in schema.items()
        for column in names
        if column not in columns.get(table, {})
    ]

    assert unmapped == [], f"add these to {PII_MAP.name}, pii: direct|pseudonymous|none"


def test_the_pii_map_lists_no_column_the_schema_lacks(
    pii_map: dict[str, Any], schema: dict[str, list[str]]
) -> None:
    stale = [
        f"{table}.{column}"
        for table, columns in mapped(pii_map).items()
        for column in columns
        if column not in schema.get(table, [])
    ]

    assert stale == []


def test_every_column_says_whether_it_holds_personal_data(pii_map: dict[str, Any]) -> None:
    unclear = [
        f"{table}.{column}"
        for table, columns in mapped(pii_map).items()
        for column, spec in columns.items()
        if spec.get("pii") not in PII
    ]

    assert unclear == []


def test_personal_columns_name_owner_category_purpose_retention_export_and_delete(
    pii_map: dict[str, Any],
) -> None:
    owners = set(pii_map["data_owners"])
    categories = set(pii_map["categories"])
    missing = []
    for table, spec in pii_map["tables"].items():
        assert spec.get("owner") in owners, table
        for column, about in spec["columns"].items():
            assert about.get("owner", spec["owner"]) in owners, (table, column)
            if about["pii"] == "none":
                continue
            missing += [f"{table}.{column}: {k}" for k in ABOUT_PERSONAL if not about.get(k)]
            assert about.get("category") in categories, (table, column)
    assert missing == []


def test_the_seeds_personal_fields_are_mapped_as_personal(pii_map: dict[str, Any]) -> None:
    # The fields the domain names as PII (DOMAIN.md, "People and data") are marked direct.
    columns = mapped(pii_map)
    named = (
        [("customers", c) for c in ("name", "email", "phone")]
        + [("vendors", c) for c in ("name", "email", "phone", "address", "latitude", "longitude")]
        + [("quotes", "latitude"), ("quotes", "longitude"), ("bookings", "payment_method")]
    )

    assert [(t, c) for t, c in named if columns[t][c]["pii"] != "direct"] == []
    assert columns["booking_audit"]["actor_id"]["pii"] == "pseudonymous"


def test_what_the_map_says_is_overwritten_uses_the_shredders_placeholder(
    pii_map: dict[str, Any],
) -> None:
    overwritten = [
        about["delete"]
        for columns in mapped(pii_map).values()
        for about in columns.values()
        if "overwritten with" in str(about.get("delete", ""))
    ]

    assert overwritten
    assert all(f'"{ERASED}"' in text for text in overwritten)
