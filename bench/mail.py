"""An announcement to 100,000 subscribers through the notifications service into the local SMTP sink,
against a bare smtplib loop sending the same number of messages into the same sink, in the same run;
with the notifications process's memory before and at its peak. Goals: ≥ 0.7× the bare loop; memory
flat, under 250 MB."""
from __future__ import annotations

import os
import smtplib
import subprocess
import time
from email.message import EmailMessage

from shared.rpc import RpcPool
from shared.settings import Settings

SUBSCRIBERS = int(os.environ.get("TSUNAGU_BENCH_SUBSCRIBERS", "100000"))
CHUNK = 5000


def _rss_mib(pid: int, field: str) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0.0


def _notifications_pid() -> int:
    return int(subprocess.check_output(["pgrep", "-f", "tsunagu.cli service notifications"]).split()[0])


def bare_smtplib(settings: Settings, count: int) -> float:
    started = time.perf_counter()
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port) as smtp:
        for n in range(count):
            message = EmailMessage()
            message["From"] = settings.mail_from
            message["To"] = f"bare{n}@example.org"
            message["Subject"] = "会報 第100号"
            message["Message-ID"] = f"<bare-{n}@bench>"
            message.set_content("今号の特集は技能実習制度です。\n" * 5, charset="utf-8")
            smtp.send_message(message)
    return time.perf_counter() - started


def run(settings: Settings) -> dict:
    pool = RpcPool(settings.amqp_uri, 1, timeout=300)
    try:
        with pool.services() as rpc:
            rpc.notifications.create_list({"slug": "bench-magazine", "name": {"ja": "会報", "en": "Magazine"}})
            for start in range(0, SUBSCRIBERS, CHUNK):
                rpc.notifications.add_confirmed_subscribers("bench-magazine", [
                    {"email": f"reader{n}@example.org", "language": ("ja", "en", "vi")[n % 3]}
                    for n in range(start, min(start + CHUNK, SUBSCRIBERS))])
        pid = _notifications_pid()
        before = _rss_mib(pid, "VmRSS")
        baseline = bare_smtplib(settings, SUBSCRIBERS)
        # The sink writes a file per mail into one folder: empty it, or the second run pays for a folder
        # twice as full as the first one did.
        for path in settings.mail_dir.glob("*.eml"):
            path.unlink()
        started = time.perf_counter()
        with pool.services() as rpc:
            announcement = rpc.notifications.post_announcement("bench-magazine", {
                "subject": {"ja": "会報 第100号", "en": "Newsletter no. 100"},
                "body": {"ja": "今号の特集は技能実習制度です。\n" * 5, "en": "This issue: technical intern training.\n" * 5}})
        peak = before
        while True:
            with pool.services() as rpc:
                progress = rpc.notifications.announcement(announcement["id"])
            peak = max(peak, _rss_mib(pid, "VmRSS"))
            if progress["sent"] + progress["failed"] >= SUBSCRIBERS:
                break
            time.sleep(0.5)
        ours = time.perf_counter() - started
        high_water = _rss_mib(pid, "VmHWM")
    finally:
        pool.close()
    ratio = (SUBSCRIBERS / ours) / (SUBSCRIBERS / baseline)
    print(f"\n== An announcement to {SUBSCRIBERS:,} subscribers into the local SMTP sink ==")
    print(f"bare smtplib loop, one connection     {SUBSCRIBERS / baseline:8.1f} msg/s   ({baseline:.1f} s)")
    print(f"notifications service (ledger, i18n)  {SUBSCRIBERS / ours:8.1f} msg/s   ({ours:.1f} s, "
          f"{progress['failed']} failed)")
    print(f"ratio service / bare smtplib: {ratio:.2f}× (goal ≥ 0.7×)")
    print(f"notifications memory: {before:.0f} MiB before, {peak:.0f} MiB at most while sending "
          f"(high-water mark {high_water:.0f} MiB; goal: flat, under 250 MB)")
    return {"ratio": ratio, "rss_before_mib": before, "rss_peak_mib": peak, "hwm_mib": high_water}
