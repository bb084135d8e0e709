"""In-memory small records: operator controls, idempotency keys, access log, heartbeats."""

from __future__ import annotations

from datetime import datetime

from bookiji_adapters.memory.state import Repo
from bookiji_core.access import AccessLogEntry
from bookiji_core.errors import IdempotencyInProgress
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.ports.workers import Heartbeat


class InMemoryControls(Repo):
    def get(self, name: str) -> str | None:
        return self._s.controls.get(name)

    def set(self, name: str, value: str, at: datetime) -> None:
        self._s.controls[name] = value

    def increment(self, name: str, by: float, at: datetime) -> None:
        # The storage lock serialises transactions: read-add-write is atomic here.
        self._s.controls[name] = repr(float(self._s.controls.get(name, "0")) + by)

    def with_prefix(self, prefix: str) -> dict[str, str]:
        return {k: v for k, v in self._s.controls.items() if k.startswith(prefix)}


class InMemoryIdempotencyKeys(Repo):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self._s.idempotency.get((scope, key))

    def insert(self, record: IdempotencyRecord) -> None:
        if (record.scope, record.key) in self._s.idempotency:
            raise IdempotencyInProgress("a request with this Idempotency-Key is already running")
        self._s.idempotency[(record.scope, record.key)] = record

    def replace(self, record: IdempotencyRecord) -> None:
        self._s.idempotency[(record.scope, record.key)] = record

    def delete(self, scope: str, key: str) -> None:
        self._s.idempotency.pop((scope, key), None)


class InMemoryAccessLog(Repo):
    def append(self, entry: AccessLogEntry) -> None:
        self._s.access_log.append(entry)

    def for_subject(self, subject_id: str) -> list[AccessLogEntry]:
        return [e for e in self._s.access_log if e.subject_id == subject_id]


class InMemoryWorkerHeartbeats(Repo):
    def beat(self, heartbeat: Heartbeat) -> None:
        self._s.heartbeats[(heartbeat.worker, heartbeat.host, heartbeat.pid)] = heartbeat

    def remove(self, worker: str, host: str, pid: int) -> None:
        self._s.heartbeats.pop((worker, host, pid), None)

    def all(self) -> list[Heartbeat]:
        return [self._s.heartbeats[key] for key in sorted(self._s.heartbeats)]

    def forget_before(self, at: datetime) -> int:
        old = [key for key, beat in self._s.heartbeats.items() if beat.beat_at < at]
        for key in old:
            del self._s.heartbeats[key]
        return len(old)
