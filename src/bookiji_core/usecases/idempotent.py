"""run_once: a retried command replays its first outcome, as the unit of work wraps commit.

Three short transactions around one idempotency record (docs/architecture.md, "Confirm"):
claim the key; run the work, which completes the key in its own transaction; on a domain
refusal store the refusal (a retry gets the same error), on any other failure release the key.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol, TypeVar

import attrs

from bookiji_core.errors import DomainError, IdempotencyInProgress, rebuild
from bookiji_core.idempotency import IdempotencyRecord, KeyState
from bookiji_core.ports import Clock, UnitOfWork

R = TypeVar("R")


class IdempotentCommand(Protocol):
    """A command a client may send again: its key, and the fingerprint of what it asks for."""

    @property
    def idempotency_key(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...


@attrs.frozen
class Claim:
    """The key this request holds while its work runs."""

    scope: str
    key: str

    def complete(self, uow: UnitOfWork, booking_id: str) -> None:
        """Inside the work's own transaction, so the booking and the record commit together:
        from then on the key answers with that booking."""
        _complete(uow, self, booking_id=booking_id)


def run_once(
    command: IdempotentCommand,
    scope: str,
    uow: UnitOfWork,
    clock: Clock,
    work: Callable[[Claim], R],
    replay: Callable[[str], R],
) -> R:
    """`work(claim)` the first time (it must call `claim.complete` before its commit);
    `replay(booking_id)` for a retry of a completed request; a retry of a refused one raises
    the same refusal. Another body under the key raises IdempotencyConflict; a retry while
    the first runs inside its lease raises IdempotencyInProgress."""
    claim = Claim(scope, command.idempotency_key)
    done = _claim(command, claim, uow, clock)
    if done is not None:
        if done.booking_id is None:
            raise rebuild(done.error_code or DomainError.code, done.error_message or "")
        return replay(done.booking_id)
    try:
        return work(claim)
    except IdempotencyInProgress:
        raise  # the key was taken over by a retry: the record is no longer ours to write
    except DomainError as refusal:
        with uow:
            _complete(uow, claim, error=refusal)
            uow.commit()
        raise
    except BaseException:
        _release(claim, uow)
        raise


def _claim(
    command: IdempotentCommand, claim: Claim, uow: UnitOfWork, clock: Clock
) -> IdempotencyRecord | None:
    """The completed record that answers this request, or None once the key is ours."""
    now = clock.now()
    with uow:
        record = uow.idempotency.get(claim.scope, claim.key)
        if record is not None and record.check_replay(command.fingerprint, now):
            return record
        fresh = IdempotencyRecord.start(claim.scope, claim.key, command.fingerprint, now)
        if record is None:
            uow.idempotency.insert(fresh)
        else:  # expired, or abandoned by a crashed request: take it over
            uow.idempotency.replace(fresh)
        uow.commit()
    return None


def _complete(
    uow: UnitOfWork,
    claim: Claim,
    *,
    booking_id: str | None = None,
    error: DomainError | None = None,
) -> None:
    record = uow.idempotency.get(claim.scope, claim.key)
    if record is None:  # another request took the key over after our lease ran out
        raise IdempotencyInProgress("the Idempotency-Key was taken over by a retry")
    uow.idempotency.replace(
        attrs.evolve(
            record,
            state=KeyState.COMPLETED,
            booking_id=booking_id,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
        )
    )


def _release(claim: Claim, uow: UnitOfWork) -> None:
    # An unexpected failure (storage down): free the key so that a retry can run afresh. If
    # even that fails, the key's short lease expires and a retry takes it over.
    with contextlib.suppress(Exception), uow:
        uow.idempotency.delete(claim.scope, claim.key)
        uow.commit()
