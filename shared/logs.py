"""How the services log: answers are not faults.

nameko logs every exception an RPC entrypoint raises with its traceback — an expected one too (as a
warning with `exc_info`). A NotFound, a Conflict or an Invalid is an answer the caller receives with
its detail; written as a traceback, each 404 cost about 1.2 KB of log. Such records become one line
at DEBUG level (so nothing at the services' usual INFO level); a real fault keeps its traceback.
"""
from __future__ import annotations

import logging

from shared.errors import DOMAIN_ERRORS

NAMEKO_WORKER_LOGGER = "nameko.containers"


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
