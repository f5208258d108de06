"""Logs stay bounded: a part's output is rotated by size, and answers (404, 409, 422) leave no traceback."""
from __future__ import annotations

import logging
import stat
import subprocess
import sys

import pytest

from shared.errors import Conflict, NotFound
from shared.logs import NAMEKO_WORKER_LOGGER, quiet_domain_errors
from tsunagu.logs import RotatingLog, pump

LINE = "x" * 99 + "\n"


def test_a_log_over_the_size_limit_is_rotated(tmp_path):
    path = tmp_path / "events.log"
    child = subprocess.Popen([sys.executable, "-c", f"import sys\nfor i in range(1000): sys.stdout.write({LINE!r})"],
                             stdout=subprocess.PIPE)
    pump(child.stdout, RotatingLog(path, max_bytes=20_000, backups=2)).join(timeout=60)
    assert child.wait() == 0
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == ["events.log", "events.log.1", "events.log.2"]  # 100 KB written, at most 3 × 20 KB kept
    for name in kept:
        size = (tmp_path / name).stat().st_size
        assert 0 < size <= 20_000 and size % len(LINE) == 0  # whole lines, never split
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert (tmp_path / "events.log.2").stat().st_size == 20_000


def test_an_existing_log_is_appended_to_and_rotated_when_full(tmp_path):
    path = tmp_path / "gateway.log"
    path.write_text("earlier run\n")
    log = RotatingLog(path, max_bytes=30, backups=1)
    log.write(b"0123456789\n")
    log.write(b"0123456789abcdef\n")
    log.close()
    assert (tmp_path / "gateway.log.1").read_text() == "earlier run\n0123456789\n"
    assert path.read_text() == "0123456789abcdef\n"


def nameko_logs_a_failed_worker(error: Exception, caplog) -> list[logging.LogRecord]:
    """What nameko 2.14's container does when an entrypoint raises (containers.py, _run_worker)."""
    caplog.clear()
    try:
        raise error
    except Exception as exc:  # noqa: BLE001 — whatever the worker raised is what the log shows
        logging.getLogger(NAMEKO_WORKER_LOGGER).warning("(expected) error handling worker %s: %s", "<worker>", exc,
                                                        exc_info=True)
    return [record for record in caplog.records if record.name == NAMEKO_WORKER_LOGGER]


@pytest.fixture
def quiet():
    logger = logging.getLogger(NAMEKO_WORKER_LOGGER)
    before = list(logger.filters)
    quiet_domain_errors()
    yield
    logger.filters[:] = before


@pytest.mark.usefixtures("quiet")
def test_domain_errors_leave_no_traceback_and_faults_keep_theirs(caplog):
    caplog.set_level(logging.INFO)
    assert nameko_logs_a_failed_worker(NotFound("no event 42", "event_id"), caplog) == []
    assert nameko_logs_a_failed_worker(Conflict("only a draft can be published"), caplog) == []
    [fault] = nameko_logs_a_failed_worker(KeyError("title"), caplog)
    assert fault.exc_info and "Traceback" in caplog.text
    caplog.set_level(logging.DEBUG)  # asked for: one line, still no traceback
    [answer] = nameko_logs_a_failed_worker(NotFound("no event 42", "event_id"), caplog)
    assert answer.getMessage() == "answered NotFound: event_id: no event 42" and not answer.exc_info
