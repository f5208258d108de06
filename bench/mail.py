"""An announcement to 100,000 subscribers through the notifications service into the local SMTP sink,
against bare smtplib loops sending the same kind of mail into the same sink in the same run — on one
connection (goal: the service ≥ 2× its rate) and on as many connections as the service uses (reported);
with the notifications process's memory before and at its peak (goal: flat, under 250 MB).

The sink accepts each message after ACCEPT_DELAY_MS, as a mail server does once it has queued the
message, a network round trip away (postfix's smtp-sink -w): sending is then paced by the server, as
in production, and not by a sink answering in microseconds from the cores the sender runs on. The bare
loops run ROUNDS rounds of BARE_MESSAGES each (a rate needs no more); the service sends to everyone."""
from __future__ import annotations

import os
import smtplib
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

from bench.environment import Running
from bench.summary import Goal
from shared.rpc import RpcPool
from shared.settings import Settings

GOALS = {"ratio": Goal(at_least=2.0), "rss_peak_mib": Goal(at_most=250)}  # ratio: to one bare connection

SUBSCRIBERS = int(os.environ.get("TSUNAGU_BENCH_SUBSCRIBERS", "100000"))
CHUNK = 5000
ACCEPT_DELAY_MS = 10.0
ROUNDS = 3
BARE_MESSAGES = 2000


def _rss_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0.0


def _notifications_pid() -> int:
    return int(subprocess.check_output(["pgrep", "-f", "tsunagu.cli service notifications"]).split()[0])


def _fresh_mail_folder(settings: Settings) -> None:
    folder = settings.mail_dir
    if folder.exists():
        folder.rename(folder.with_name(f"mail-{time.time_ns()}"))
    folder.mkdir()


def bare_smtplib(settings: Settings, count: int, connections: int = 1) -> float:
    """The same kind of mail the service sends (plain text and HTML, the list headers), built and sent
    in a loop per connection, the mails shared among `connections` threads: the cost of sending these
    mails at all, with no ledger and no queue."""
    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(lambda first: _bare_loop(settings, range(first, count, connections)), range(connections)))
    return time.perf_counter() - started


def _bare_loop(settings: Settings, numbers: range) -> None:
    text = "今号の特集は技能実習制度です。\n" * 5 + "\n--\n配信停止: https://tsunagu.example/lists/unsubscribe/1/x\n"
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port) as smtp:
        for n in numbers:
            message = EmailMessage()
            message["From"] = settings.mail_from
            message["To"] = f"bare{n}@example.org"
            message["Subject"] = "会報 第100号"
            message["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
            message["Message-ID"] = f"<bare-{n}@bench>"
            message["List-Id"] = "Magazine <bench-magazine.lists.tsunagu.localhost>"
            message["List-Unsubscribe"] = "<https://tsunagu.example/lists/unsubscribe/1/x>, <mailto:u@example.org>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            message.set_content(text, charset="utf-8")
            message.add_alternative(f"<html><body><p>{text}</p></body></html>", subtype="html", charset="utf-8")
            smtp.send_message(message)


def _sink_accepting_after(running: Running, delay_ms: float) -> None:
    stack = running.stack
    stack.stop_process("smtp-sink")
    stack.settings.sink_accept_delay_ms = delay_ms
    stack.start_sink()


def _bare_rates(settings: Settings, connections: int) -> tuple[list[float], list[float]]:
    """Messages per second of the bare loop on one connection and on `connections`, round by round."""
    one, many = [], []
    for _ in range(ROUNDS):
        for rates, count in ((one, 1), (many, connections)):
            _fresh_mail_folder(settings)
            rates.append(BARE_MESSAGES / bare_smtplib(settings, BARE_MESSAGES, count))
    return one, many


def run(running: Running) -> dict:
    settings = running.settings
    _sink_accepting_after(running, ACCEPT_DELAY_MS)
    pool = RpcPool.for_operator(settings, timeout=300)
    try:
        with pool.services() as rpc:
            rpc.notifications.create_list({"slug": "bench-magazine", "name": {"ja": "会報", "en": "Magazine"}})
            for start in range(0, SUBSCRIBERS, CHUNK):
                rpc.notifications.add_confirmed_subscribers("bench-magazine", [
                    {"email": f"reader{n}@example.org", "language": ("ja", "en", "vi")[n % 3]}
                    for n in range(start, min(start + CHUNK, SUBSCRIBERS))])
        pid = _notifications_pid()
        before = _rss_mib(pid, "VmRSS")
        connections = settings.smtp_connections
        one, many = _bare_rates(settings, connections)
        # The sink writes a file per mail into one folder, and a folder does not shrink when emptied:
        # each run gets a new, empty one, or the second would pay for the first one's files.
        _fresh_mail_folder(settings)
        started = time.perf_counter()
        with pool.services() as rpc:
            announcement = rpc.notifications.post_announcement("bench-magazine", {
                "subject": {"ja": "会報 第100号", "en": "Newsletter no. 100"},
                "body": {"ja": "今号の特集は技能実習制度です。\n" * 5,
                         "en": "This issue: technical intern training.\n" * 5}})
        peak = before
        while True:
            with pool.services() as rpc:
                progress = rpc.notifications.announcement(announcement["id"])
            peak = max(peak, _rss_mib(pid, "VmRSS"))
            if progress["sent"] + progress["failed"] >= SUBSCRIBERS:
                break
            time.sleep(2.0)  # counting 100,000 ledger rows is work for the service too: ask rarely
        ours = SUBSCRIBERS / (time.perf_counter() - started)
        high_water = _rss_mib(pid, "VmHWM")
    finally:
        pool.close()
        _sink_accepting_after(running, 0.0)
    ratios = tuple(ours / rate for rate in one)
    ratios_same = tuple(ours / rate for rate in many)
    print(f"\n== An announcement to {SUBSCRIBERS:,} subscribers into the local SMTP sink, which accepts each "
          f"message after {ACCEPT_DELAY_MS:g} ms ==")
    print(f"bare smtplib loop, one connection     {_rates(one)} msg/s   ({ROUNDS} rounds of {BARE_MESSAGES:,})")
    print(f"bare smtplib, {connections} connections         {_rates(many)} msg/s")
    print(f"notifications service (ledger, i18n)  {ours:8.1f} msg/s   ({progress['failed']} failed)")
    print(f"ratio service ({connections} connections) / bare smtplib, one connection: {_rates(ratios)} "
          f"(goal {GOALS['ratio']}); / bare smtplib, {connections} connections: {_rates(ratios_same)}")
    print(f"notifications memory: {before:.0f} MiB before, {peak:.0f} MiB at most while sending "
          f"(high-water mark {high_water:.0f} MiB; goal: flat, {GOALS['rss_peak_mib']} MiB)")
    return {"ratio": statistics.median(ratios), "rounds": ratios, "same_connections_rounds": ratios_same,
            "connections": connections, "rss_before_mib": before, "rss_peak_mib": peak, "hwm_mib": high_water}


def _rates(values) -> str:
    return " ".join(f"{value:8.2f}" for value in values)
