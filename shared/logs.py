"""How every process logs: one JSON object per line, with the correlation id; answers are not faults.

A line: {"at": "2026-12-07T09:30:01.123Z", "service": "events", "level": "INFO", "logger": "…",
"message": "…", "correlation_id": "…", …fields} — the fields being what the call passed as `extra`.
A traceback is the line's "exception" field, never lines of its own, so a log file stays one event per
line whatever happened.

nameko logs every exception an RPC entrypoint raises with its traceback — an expected one too (as a
warning with `exc_info`). A NotFound, a Conflict or an Invalid is an answer the caller receives with
its detail; written as a traceback, each 404 cost about 1.2 KB of log. Such records become one line
at DEBUG level (so nothing at the services' usual INFO level); a real fault keeps its traceback.
"""
from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime

from shared import correlation
from shared.errors import DOMAIN_ERRORS

NAMEKO_WORKER_LOGGER = "nameko.containers"
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class DomainErrorsAreAnswers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, DOMAIN_ERRORS):
            return True
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        record.msg, record.args = "answered %s: %s", (type(error).__name__, error)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def quiet_domain_errors() -> None:
    """Installs the filter where nameko logs its workers' exceptions."""
    logger = logging.getLogger(NAMEKO_WORKER_LOGGER)
    if not any(isinstance(existing, DomainErrorsAreAnswers) for existing in logger.filters):
        logger.addFilter(DomainErrorsAreAnswers())


class JsonLines(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {"at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "service": self.service, "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        found = getattr(record, "correlation_id", None) or correlation.current()
        if found:
            line["correlation_id"] = found
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in line and name != "correlation_id":
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(service: str, level: str = "INFO") -> dict:
    """Every record of the process as JSON lines on stderr (the stack writes them to a rotated file);
    a `logging.config.dictConfig` dictionary, which is also what uvicorn takes for the gateway."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines, "service": service}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": level},
        # uvicorn's own loggers would otherwise keep the handlers and plain format it gives them
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error")},
    }


def configure(service: str, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(service, level))
