"""Walk the history hash chains (history.py) and name the first row that breaks each.

A break is one of: a row without a position (inserted around the adapter), a position repeated
(inserted), a position skipped (deleted), a row whose content or order no longer gives its hash
(edited, or written without the key), a booking audit reason that does not match its digest
(edited), fewer rows than the checkpoint says (truncated, or the last rows deleted), more rows
than it says (appended around the adapter), or a checkpoint whose MAC is wrong (edited). The
walk reads the tables directly, so database guards switched off do not hide anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
from sqlalchemy import Connection, RowMapping, select

from bookiji_adapters.sqlalchemy.history import (
    CHAINS,
    GENESIS,
    Chain,
    head_mac,
    link,
    reason_digest,
)
from bookiji_adapters.sqlalchemy.tables import history_heads
from bookiji_core.privacy import ERASED


@attrs.frozen
class ChainReport:
    chain: str
    rows: int
    problem: str | None = None
    row_id: int | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        if self.problem is None:
            return f"{self.chain}: {self.rows} rows, intact"
        return f"{self.chain}: BROKEN: {self.problem}"


def verify_all(conn: Connection, key: bytes) -> list[ChainReport]:
    return [verify_chain(conn, key, chain) for chain in CHAINS]


def verify_chain(conn: Connection, key: bytes, chain: Chain) -> ChainReport:
    t = chain.table.c
    extra = [t.reason, t.reason_salt] if chain.name == "booking_audit" else []
    columns = [t.id, t.chain_seq, t.row_hash, *(t[n] for n in chain.columns), *extra]
    unplaced = conn.scalar(select(t.id).where(t.chain_seq.is_(None)).order_by(t.id).limit(1))
    if unplaced is not None:
        return ChainReport(
            chain.name,
            0,
            f"row id={unplaced} has no chain position: inserted around the service",
            unplaced,
        )
    stmt = select(*columns).where(t.chain_seq.is_not(None)).order_by(t.chain_seq, t.id)
    rows = conn.execution_options(yield_per=1000).execute(stmt).mappings()
    walked = _walk(key, chain, rows)
    if isinstance(walked, ChainReport):
        return walked
    count, last_id, last_hash = walked
    return _against_checkpoint(conn, key, chain.name, count, last_id, last_hash)


def _walk(
    key: bytes, chain: Chain, rows: Iterable[RowMapping]
) -> ChainReport | tuple[int, int | None, str]:
    previous, count, last_id = GENESIS, 0, None
    for row in rows:
        expected = count + 1
        seq, row_id = int(row["chain_seq"]), int(row["id"])
        if seq < expected:
            problem = f"row id={row_id} repeats position {seq}: inserted"
            return ChainReport(chain.name, count, problem, row_id)
        if seq > expected:
            gap = str(expected) if seq == expected + 1 else f"{expected}-{seq - 1}"
            problem = (
                f"position {gap} missing before row id={row_id} (position {seq}): "
                f"deleted after row id={last_id}"
            )
            return ChainReport(chain.name, count, problem, row_id)
        if link(key, previous, chain, seq, dict(row)) != row["row_hash"]:
            problem = (
                f"row id={row_id} (position {seq}) does not match its hash: edited "
                "(or written without the key)"
            )
            return ChainReport(chain.name, count, problem, row_id)
        if chain.name == "booking_audit" and not _reason_matches(row):
            problem = (
                f"row id={row_id} (position {seq}): its reason does not match its digest: edited"
            )
            return ChainReport(chain.name, count, problem, row_id)
        previous, count, last_id = str(row["row_hash"]), expected, row_id
    return count, last_id, previous


def _reason_matches(row: RowMapping) -> bool:
    salt: Any = row["reason_salt"]
    if salt is None:  # erased: the text is the placeholder, the digest stays
        return bool(row["reason"] == ERASED)
    return bool(reason_digest(salt, row["reason"]) == row["reason_digest"])


def _against_checkpoint(
    conn: Connection, key: bytes, chain: str, count: int, last_id: int | None, last_hash: str
) -> ChainReport:
    h = history_heads.c
    head = conn.execute(select(h.seq, h.head_hash, h.mac).where(h.chain == chain)).first()
    if head is None:
        if count == 0:
            return ChainReport(chain, 0)
        return ChainReport(chain, count, "its checkpoint (history_heads) is missing: deleted")
    seq, head_hash = int(head.seq), str(head.head_hash)
    if head.mac != head_mac(key, chain, seq, head_hash):
        return ChainReport(chain, count, "its checkpoint (history_heads) was edited")
    if count < seq:
        after = f"after row id={last_id} (position {count})" if last_id else "from position 1"
        problem = (
            f"the rows {after} are gone, the checkpoint says {seq}: truncated "
            "(or the last rows deleted)"
        )
        return ChainReport(chain, count, problem, last_id)
    if count > seq:
        problem = f"row id={last_id} lies past the checkpoint (position {seq}): inserted"
        return ChainReport(chain, count, problem, last_id)
    if last_hash != head_hash:
        problem = f"row id={last_id} (position {count}) is not the checkpoint's last row: edited"
        return ChainReport(chain, count, problem, last_id)
    return ChainReport(chain, count)
