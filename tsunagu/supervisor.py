"""`tsunagu run`: start everything, load the demo once, print where things are, stay in the foreground,
restart a part that dies, and on Ctrl-C or SIGTERM stop everything it started."""
from __future__ import annotations

import fcntl
import os
import secrets
import signal
import threading
import time

from shared.bus.parts import BrokerPart, user_of
from shared.contracts.identity import sign_in_url
from shared.rpc import RpcPool
from shared.settings import KEPT_SECRETS, SERVICE_NAMES, LocalState, Settings, load_settings
from tsunagu import demo
from tsunagu.stack import Stack, prepare_var_dir


def keep_local_secrets(state: LocalState) -> None:
    """Makes the secrets that are not set in the environment (the secret key), once, and keeps them in
    var/ (where load_settings finds them)."""
    for name, file_name in KEPT_SECRETS.items():
        path = state.var_dir / file_name
        if not getattr(state, name) and not (path.is_file() and path.read_text().strip()):
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32) + "\n")


def _load_demo_once(settings: Settings) -> None:
    marker = settings.var_dir / "demo-data.loaded"
    if marker.exists():
        return
    pool = RpcPool.for_operator(settings)
    try:
        loaded = demo.load(pool)
        # a link to sign in as each demo account (one use, 15 minutes; each is in the mail sink too)
        with pool.services() as rpc:
            links = [(email, sign_in_url(settings.gateway_url, rpc.members.issue_sign_in_link(email, "en")))
                     for email in loaded["accounts"]]
    finally:
        pool.close()
    marker.write_text(f"{loaded}\n")
    print(f"  demo data loaded: {len(loaded['groups'])} member groups, {len(loaded['events'])} events "
          f"(announced to the general list), {len(loaded['accounts'])} accounts")
    print("  sign in as (each link: one use, 15 minutes; `tsunagu accounts link EMAIL` makes another):")
    for email, url in links:
        print(f"    {email:<32} {url}")


def run_foreground(load_demo: bool = True) -> int:
    os.umask(0o077)  # databases, mail, logs and secrets are for this user alone, in every child too
    state = LocalState()
    prepare_var_dir(state.var_dir)
    lock = open(state.var_dir / "tsunagu.lock", "w")  # noqa: SIM115 — held for the whole run
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"Tsunagu is already running with {state.var_dir.resolve()}; stop it first, or give this "
              "copy its own TSUNAGU_VAR_DIR and ports.", flush=True)
        return 1
    keep_local_secrets(state)
    try:
        settings = load_settings()
    except ValueError as refused:  # pydantic's ValidationError: say which setting, then stop
        print(f"Tsunagu cannot start with these settings:\n{refused}", flush=True)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    stack = Stack(settings)
    print("Starting Tsunagu: RabbitMQ, SMTP sink, events, members, notifications, gateway…", flush=True)
    try:
        stack.start()
        if load_demo:
            _load_demo_once(settings)
        url = settings.gateway_url
        admin = settings.amqp_user or user_of(BrokerPart.OPERATOR)
        print(f"""
Tsunagu is running.
  Gateway            {url}
  API documentation  {url}/docs
  Health             {url}/health
  RabbitMQ admin     http://127.0.0.1:{settings.amqp_management_port}  ({admin}: tsunagu broker password operator)
  Mail sink          smtp://{settings.smtp_host}:{settings.smtp_port} → {settings.mail_dir.resolve()}
  Logs               {stack.log_dir}
Press Ctrl-C to stop.""", flush=True)
        while not stop.wait(1.0):
            for name, code in stack.exited().items():
                print(f"{name} exited with {code}; restarting it (log: {stack.log_dir / (name + '.log')})",
                      flush=True)
                if name == "gateway":
                    stack.start_gateway()
                elif name == "smtp-sink":
                    stack.start_sink()
                elif name in SERVICE_NAMES:
                    stack.start_service(name)
                time.sleep(1)
    except Exception as exc:  # noqa: BLE001 — say what failed, then clean up below
        print(f"Tsunagu could not start: {exc}", flush=True)
        return 1
    finally:
        print("Stopping Tsunagu…", flush=True)
        stack.stop()
        print("Stopped.", flush=True)
    return 0
