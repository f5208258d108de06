"""`tsunagu members import FILE.csv`: the import, in chunks, with a progress bar and the full report."""
from __future__ import annotations

import base64
import csv
import io
import sys
from pathlib import Path

from shared.rpc import RpcPool
from shared.settings import load_settings
from shared.spreadsheets import decode_spreadsheet

CHUNK_ROWS = 200


def _chunks(text: str):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return [], 0
    header, data = rows[0], rows[1:]
    chunks = []
    for start in range(0, len(data), CHUNK_ROWS):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(data[start:start + CHUNK_ROWS])
        chunks.append((start, out.getvalue().encode("utf-8")))
    return chunks, len(data)


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{' ' * (width - filled)}] {done}/{total}"


def run(path: Path, dry_run: bool) -> int:
    text = decode_spreadsheet(path.read_bytes())
    chunks, total = _chunks(text)
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    rejected = []
    pool = RpcPool(load_settings().amqp_uri, 1, timeout=120)
    try:
        for start, content in chunks:
            with pool.services() as rpc:
                report = rpc.members.import_csv(base64.b64encode(content).decode(), dry_run)
            for key in totals:
                totals[key] += report[key]
            # lines in a chunk count from its own header: put them back where they are in the file
            rejected += [{**problem, "row": problem["row"] + start if problem["row"] > 1 else 1}
                         for problem in report["rejected"]]
            done = min(start + CHUNK_ROWS, total)
            print(f"\r{_bar(done, total)}", end="", file=sys.stderr, flush=True)
    finally:
        pool.close()
    print(file=sys.stderr)
    verb = "would be" if dry_run else "were"
    print(f"{total} rows: {totals['created']} {verb} created, {totals['updated']} updated, "
          f"{totals['unchanged']} unchanged, {len(rejected)} rejected")
    for problem in sorted(rejected, key=lambda p: p["row"]):
        print(f"  line {problem['row']}: {problem['field'] or '-'}: {problem['reason']}")
    return 1 if rejected else 0
