"""Logs: one JSON object per line on stderr, for every logger of the process (uvicorn's
included), at the level `BOOKIJI_LOG_LEVEL` sets (docs/processes.md, "Logs").

Each line has ts, level, logger, msg, the record's `fields`, and the correlation id of the
work in progress (`bookiji_core.correlation`): the request's X-Request-ID in the API, the id
an outbox message carries from its request in the relay and the webhook handler."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from bookiji_core import correlation

ACCESS_LOGGER = "bookiji.access"


class JsonLines(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg, correlation_id when there is one,
    the record's `fields`, and the traceback (as one string) of a logged exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        carried = correlation.current()
        if carried is not None:
            line["correlation_id"] = carried
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), ensure_ascii=False, default=str)


class Stderr(logging.Handler):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # a broken stderr must not fail the request
            self.handleError(record)


def json_handler() -> Stderr:
    handler = Stderr()
    handler.setFormatter(JsonLines())
    return handler


def configure(level: str) -> None:
    """This process's logging: the root logger writes JSON lines at `level`; the access log
    (its own handler, so that it is never written twice) follows the same level."""
    root = logging.getLogger()
    root.handlers = [json_handler()]
    root.setLevel(level.upper())
    logging.getLogger(ACCESS_LOGGER).setLevel(level.upper())
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one per plugin
    logging.captureWarnings(True)


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """uvicorn's `log_config`: its loggers (`uvicorn`, `uvicorn.error`, `uvicorn.access`)
    get no handlers of their own and pass their records to the root logger's JSON handler.
    uvicorn applies it with `logging.config.dictConfig` in each of its worker processes too."""
    named = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLines"}},
        "handlers": {"stderr": {"()": f"{__name__}.Stderr", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": named},
        "loggers": {
            "uvicorn": {"handlers": [], "level": named, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": named, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": named, "propagate": True},
            ACCESS_LOGGER: {"level": named},
        },
    }
