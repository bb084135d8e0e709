"""The history tables carry hash chains: `verify` names the first row edited, inserted,
deleted or truncated away, even when the database's guards were switched off to do it; the
guards themselves refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE; an erasure keeps the chain
whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, insert, text
from sqlalchemy.exc import DBAPIError

from bookiji_adapters.memory import InMemoryTelemetry
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.sqlalchemy.history import BY_NAME, link
from bookiji_core.access import AccessLogEntry, Role
from bookiji_core.booking_states import ActorType, AuditEntry, BookingState
from bookiji_core.ledger import LedgerEntry, LedgerKind
from bookiji_core.principals import AdminAction, PrincipalAction
from bookiji_core.privacy import ERASED
from bookiji_core.values import BookingId, Money
from bookiji_entry.bootstrap import bootstrap
from bookiji_entry.cli import main
from bookiji_entry.cli.audit import BROKEN
from bookiji_entry.parts import Database
from bookiji_entry.settings import Profile, Settings
from bookiji_entry.workers.history import HistoryWatch

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
CAD_1 = Money("CAD", 100)
SQLITE_GUARDS = {
    "access_log": ("access_log_no_update", "access_log_no_delete"),
    "ledger_entries": ("ledger_entries_no_update", "ledger_entries_no_delete"),
    "booking_audit": ("booking_audit_no_delete", "booking_audit_erasure_only"),
    "principal_actions": ("principal_actions_no_update", "principal_actions_no_delete"),
}


def fill(storage: SqlAlchemyStorage, n: int = 5, first: int = 1) -> None:
    for i in range(first, first + n):
        at = NOW + timedelta(minutes=i)
        with storage.unit_of_work() as uow:
            uow.access_log.append(AccessLogEntry(f"cus_{i}", "adm_1", "support", f"bk_{i}", at))
            uow.audit.append(
                AuditEntry(
                    BookingId(f"bk_{i}"),
                    BookingState.HOLD_PLACED,
                    BookingState.CANCELLED,
                    "cancel",
                    ActorType.CUSTOMER,
                    f"cus_{i}",
                    f"call me on 555-010{i}",
                    at,
                )
            )
            entry = LedgerEntry(
                BookingId(f"bk_{i}"), f"pi_{i}", LedgerKind.HOLD, Money("CAD", 100), f"ch_{i}", at
            )
            assert uow.ledger.append(entry)
            assert not uow.ledger.append(entry)  # once, by its key
            uow.principals.record(
                PrincipalAction(at, "adm_1", AdminAction.INVITE, f"cus_{i}", Role.CUSTOMER, "pilot")
            )
            uow.commit()


def problems(storage: SqlAlchemyStorage) -> dict[str, str | None]:
    return {r.chain: r.problem for r in storage.verify_history()}


@contextmanager
def behind_the_guards(storage: SqlAlchemyStorage, table: str) -> Iterator[Connection]:
    """A transaction in which the table's triggers do not fire, as an insider would arrange."""
    with storage.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for trigger in SQLITE_GUARDS[table]:
                conn.execute(text(f"DROP TRIGGER {trigger}"))
        yield conn


def test_untouched_chains_are_intact_and_count_their_rows(sql_storage: SqlAlchemyStorage) -> None:
    fill(sql_storage)

    reports = sql_storage.verify_history()

    assert [(r.chain, r.rows, r.problem) for r in reports] == [
        ("access_log", 5, None),
        ("booking_audit", 5, None),
        ("ledger_entries", 5, None),
        ("principal_actions", 5, None),
    ]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "UPDATE access_log SET purpose = 'nothing to see' WHERE id = 3",
            "row id=3 (position 3) does not match its hash: edited",
        ),
        (
            "INSERT INTO access_log (subject_id, actor_id, purpose, resource, at) "
            "SELECT subject_id, actor_id, purpose, resource, at FROM access_log WHERE id = 2",
            "row id=6 has no chain position: inserted",
        ),
        (
            "INSERT INTO access_log "
            "(subject_id, actor_id, purpose, resource, at, chain_seq, row_hash) "
            "SELECT 'cus_x', actor_id, purpose, resource, at, 6, row_hash "
            "FROM access_log WHERE id = 5",
            "row id=6 (position 6) does not match its hash: edited",
        ),
        (
            "DELETE FROM access_log WHERE id = 2",
            "position 2 missing before row id=3 (position 3): deleted after row id=1",
        ),
        (
            "DELETE FROM access_log WHERE id >= 4",
            "the rows after row id=3 (position 3) are gone, the checkpoint says 5: truncated",
        ),
        (
            "DELETE FROM access_log",
            "the rows from position 1 are gone, the checkpoint says 5: truncated",
        ),
        (
            "UPDATE history_heads SET seq = 3 WHERE chain = 'access_log'",
            "its checkpoint (history_heads) was edited",
        ),
    ],
    ids=["edit", "insert", "insert-forged", "delete", "truncate-tail", "truncate", "checkpoint"],
)
def test_verify_names_the_first_row_tampered_with_behind_the_guards(
    sql_storage: SqlAlchemyStorage, statement: str, expected: str
) -> None:
    fill(sql_storage)
    with behind_the_guards(sql_storage, "access_log") as conn:
        conn.execute(text(statement))

    found = problems(sql_storage)

    assert found["access_log"] is not None and found["access_log"].startswith(expected), found
    assert [c for c, p in found.items() if p is not None] == ["access_log"]


def test_a_row_forged_with_the_key_is_still_past_the_checkpoint(
    sql_storage: SqlAlchemyStorage,
) -> None:
    fill(sql_storage)
    chain = BY_NAME["access_log"]
    with sql_storage.engine.connect() as conn:
        last = conn.execute(
            text("SELECT row_hash FROM access_log WHERE chain_seq = 5")
        ).scalar_one()
    row = {"subject_id": "cus_x", "actor_id": "adm_1", "purpose": "p", "resource": "r", "at": NOW}
    forged = link(sql_storage.history_key, last, chain, 6, row)
    with behind_the_guards(sql_storage, "access_log") as conn:
        conn.execute(insert(chain.table).values(**row, chain_seq=6, row_hash=forged))

    assert problems(sql_storage)["access_log"] == (
        "row id=6 lies past the checkpoint (position 5): inserted"
    )


@pytest.mark.postgres
def test_postgres_truncate_behind_the_guards_is_named(postgres_storage: SqlAlchemyStorage) -> None:
    fill(postgres_storage)
    with postgres_storage.engine.begin() as conn:
        conn.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER USER"))
        conn.execute(text("TRUNCATE ledger_entries"))
        conn.execute(text("ALTER TABLE ledger_entries ENABLE TRIGGER USER"))

    assert problems(postgres_storage)["ledger_entries"] == (
        "the rows from position 1 are gone, the checkpoint says 5: truncated "
        "(or the last rows deleted)"
    )


@pytest.mark.parametrize(
    ("table", "statement", "expected"),
    [
        (
            "booking_audit",
            "UPDATE booking_audit SET reason = 'all fine' WHERE id = 2",
            "row id=2 (position 2): its reason does not match its digest: edited",
        ),
        (
            "booking_audit",
            "UPDATE booking_audit SET to_state = 'provider_confirmed' WHERE id = 4",
            "row id=4 (position 4) does not match its hash",
        ),
        (
            "ledger_entries",
            "UPDATE ledger_entries SET amount = 1 WHERE id = 1",
            "row id=1 (position 1) does not match its hash",
        ),
        (
            "principal_actions",
            "DELETE FROM principal_actions WHERE id = 5",
            "the rows after row id=4 (position 4) are gone",
        ),
    ],
)
def test_every_history_table_is_chained(
    sql_storage: SqlAlchemyStorage, table: str, statement: str, expected: str
) -> None:
    fill(sql_storage)
    with behind_the_guards(sql_storage, table) as conn:
        conn.execute(text(statement))

    found = problems(sql_storage)

    assert (found[table] or "").startswith(expected), found


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount = 1",
        "DELETE FROM ledger_entries",
        "DELETE FROM booking_audit",
        "UPDATE booking_audit SET actor_id = 'someone else'",
        "UPDATE booking_audit SET reason_salt = 'ab'",
        "UPDATE principal_actions SET reason = 'x'",
        "DELETE FROM history_heads",
    ],
)
def test_the_guards_refuse_to_rewrite_history(
    sql_storage: SqlAlchemyStorage, statement: str
) -> None:
    fill(sql_storage, 1)
    with pytest.raises(DBAPIError, match="append-only"), sql_storage.engine.begin() as conn:
        conn.execute(text(statement))


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table", ["access_log", "principal_actions", "booking_audit", "ledger_entries", "history_heads"]
)
def test_postgres_refuses_truncate(postgres_storage: SqlAlchemyStorage, table: str) -> None:
    fill(postgres_storage, 1)
    with pytest.raises(DBAPIError, match="append-only"), postgres_storage.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {table}"))


def test_erasing_a_reason_keeps_the_chain_whole(sql_storage: SqlAlchemyStorage) -> None:
    fill(sql_storage)
    with sql_storage.unit_of_work() as uow:
        assert uow.privacy.erase_audit_reasons("cus_2", ERASED) == 1
        uow.commit()

    assert set(problems(sql_storage).values()) == {None}
    with sql_storage.engine.connect() as conn:
        row = conn.execute(text("SELECT reason, reason_salt FROM booking_audit WHERE id = 2")).one()
    assert tuple(row) == (ERASED, None)


def test_a_transaction_reads_the_history_it_has_written(sql_storage: SqlAlchemyStorage) -> None:
    entry = AccessLogEntry("cus_1", "adm_1", "support", "bk_1", NOW)
    with sql_storage.unit_of_work() as uow:
        uow.access_log.append(entry)
        assert uow.access_log.for_subject("cus_1") == [entry]
    # Not committed: nothing was written, and the chain did not move.
    with sql_storage.unit_of_work() as uow:
        assert uow.access_log.for_subject("cus_1") == []
    assert {r.chain: r.rows for r in sql_storage.verify_history()}["access_log"] == 0


def test_the_watch_reports_every_chain_and_a_chain_cut_short(
    sql_storage: SqlAlchemyStorage,
) -> None:
    telemetry = InMemoryTelemetry()
    database = Database(sql_storage.unit_of_work, verify_history=sql_storage.verify_history)  # type: ignore[arg-type]
    watch = HistoryWatch(database, telemetry)
    fill(sql_storage, 3)
    with sql_storage.engine.connect() as conn:
        saved = conn.execute(
            text("SELECT seq, head_hash, mac FROM history_heads WHERE chain = 'access_log'")
        ).one()
    fill(sql_storage, 2, first=4)

    assert watch.tick() == []
    assert telemetry.chains["access_log"] == (5, True)
    # Cut the chain and put back the checkpoint it had at 3 rows: a walk alone sees nothing.
    with behind_the_guards(sql_storage, "access_log") as conn:
        conn.execute(text("DELETE FROM access_log WHERE chain_seq > 3"))
        conn.execute(
            text(
                "UPDATE history_heads SET seq = :seq, head_hash = :head_hash, mac = :mac "
                "WHERE chain = 'access_log'"
            ),
            dict(saved._mapping),
        )
    assert set(problems(sql_storage).values()) == {None}

    assert watch.tick() == ["access_log: it has 3 rows, 5 at an earlier check: cut short"]
    assert telemetry.chains["access_log"] == (3, False)


def test_bkctl_audit_verify_names_the_break_and_exits_6(
    sql_storage: SqlAlchemyStorage, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(sql_storage)
    storage = sql_storage
    database = Database(
        storage.unit_of_work,  # type: ignore[arg-type]
        storage.upgrade,
        storage.dispose,
        storage.verify_history,
    )
    settings = Settings(profile=Profile.TEST, database_url=storage.url.render_as_string(False))
    services = bootstrap(settings, database=database, telemetry=InMemoryTelemetry())

    assert main(["audit", "verify"], services=services) == 0
    assert "access_log: 5 rows, intact" in capsys.readouterr().out
    with behind_the_guards(storage, "access_log") as conn:
        conn.execute(text("UPDATE access_log SET actor_id = 'nobody' WHERE id = 4"))

    assert main(["audit", "verify"], services=services) == BROKEN
    out = capsys.readouterr().out
    assert "access_log: BROKEN: row id=4 (position 4) does not match its hash: edited" in out
    assert "ledger_entries: 5 rows, intact" in out
    assert services.telemetry.chains["access_log"] == (3, False)  # type: ignore[attr-defined]


def test_many_ledger_entries_in_one_transaction_chain_as_one_at_a_time_would(
    sql_storage: SqlAlchemyStorage,
) -> None:
    """The relay records a batch at once: its head is read once and written back at commit;
    a rolled-back batch moves nothing, and the next transaction goes on from the head."""

    def hold(i: int) -> LedgerEntry:
        at = NOW + timedelta(minutes=i)
        return LedgerEntry(BookingId(f"bk_{i}"), f"pi_{i}", LedgerKind.HOLD, CAD_1, f"ch_{i}", at)

    with sql_storage.unit_of_work() as uow:  # a batch that fails: rolled back
        assert all(uow.ledger.append(hold(i)) for i in range(1, 4))
    with sql_storage.unit_of_work() as uow:
        assert all(uow.ledger.append(hold(i)) for i in range(1, 6))
        assert not uow.ledger.append(hold(3))  # once, by its key, within the batch too
        uow.commit()
    with sql_storage.unit_of_work() as uow:
        assert uow.ledger.append(hold(6))
        assert [e.gateway_ref for e in uow.ledger.for_booking(BookingId("bk_6"))] == ["ch_6"]
        uow.commit()
    fill(sql_storage, 2, first=7)  # a transaction with the other chains too

    reports = {r.chain: (r.rows, r.problem) for r in sql_storage.verify_history()}
    assert reports["ledger_entries"] == (8, None)
    assert set(problems(sql_storage).values()) == {None}
