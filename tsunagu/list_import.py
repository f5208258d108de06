"""`tsunagu lists import SLUG FILE.csv`: bring a list's subscribers in (consent held elsewhere), with the
report of every line that was refused."""
from __future__ import annotations

import base64
from pathlib import Path

from shared.rpc import RpcPool
from shared.settings import load_settings


def run(slug: str, path: Path, dry_run: bool) -> int:
    pool = RpcPool.for_operator(load_settings(), timeout=300)
    try:
        with pool.services() as rpc:
            report = rpc.notifications.import_subscribers(slug, base64.b64encode(path.read_bytes()).decode(), dry_run)
    finally:
        pool.close()
    print(f"{'dry run, nothing changed — ' if dry_run else ''}{report['rows']} rows: {report['created']} added, "
          f"{report['updated']} confirmed, {report['unchanged']} already on the list, "
          f"{len(report['rejected'])} rejected")
    for problem in report["rejected"]:
        print(f"  line {problem['row']}: {problem['field'] or '-'}: {problem['reason']}")
    return 1 if report["rejected"] else 0
