"""`tsunagu members import FILE.csv`: queue the import, show its progress, print the full report."""
from __future__ import annotations

import base64
import sys
import time
from pathlib import Path

from shared.errors import Invalid
from shared.rpc import RpcPool
from shared.settings import load_settings

POLL_SECONDS = 0.5


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{' ' * (width - filled)}] {done}/{total}"


def run(path: Path, dry_run: bool) -> int:
    pool = RpcPool.for_operator(load_settings(), timeout=120)
    try:
        with pool.services() as rpc:
            try:
                job = rpc.members.start_import(base64.b64encode(path.read_bytes()).decode(), dry_run)
            except Invalid as exc:
                print(f"{path}: {exc.detail}", file=sys.stderr)
                return 2
            while job["status"] in ("queued", "running"):
                print(f"\r{_bar(job['rows_done'], job['rows'])}", end="", file=sys.stderr, flush=True)
                time.sleep(POLL_SECONDS)
                job = rpc.members.import_job(job["id"])
    finally:
        pool.close()
    print(f"\r{_bar(job['rows_done'], job['rows'])}", file=sys.stderr)
    if job["status"] == "failed":
        print(f"the import failed: {job['error']}")
        return 2
    report = job["report"]
    verb = "would be" if dry_run else "were"
    print(f"{report['rows']} rows: {report['created']} {verb} created, {report['updated']} updated, "
          f"{report['unchanged']} unchanged, {len(report['rejected'])} rejected")
    for problem in report["rejected"]:
        print(f"  line {problem['row']}: {problem['field'] or '-'}: {problem['reason']}")
    return 1 if report["rejected"] else 0
