"""The whole system on one machine: a private RabbitMQ, the SMTP sink, the three services and the
gateway, each a child process, started in order and stopped in reverse order.

`tsunagu run` uses it in the foreground; the integration tests use it with their own ports and
directory, and stop, kill and restart its parts to prove nothing is lost.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from shared.settings import SERVICE_NAMES, Settings
from tsunagu.logs import RotatingLog, pump
from tsunagu.ports import port_is_free

ROOT = Path(__file__).resolve().parent.parent
RABBITMQ_SCRIPT = ROOT / "deploy" / "local" / "rabbitmq.sh"
PR_SET_PDEATHSIG = 1
PRIVATE = 0o077  # umask: what the stack and its children create is for this user alone
# What rabbitmq.sh reads of the settings (the node gets no secret)
BROKER_SCRIPT_SETTINGS = ("TSUNAGU_BROKER_START_TIMEOUT", "TSUNAGU_LOG_MAX_BYTES", "TSUNAGU_LOG_BACKUPS")


def _child_setup() -> None:  # runs in the child before exec
    os.umask(PRIVATE)
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def prepare_var_dir(var_dir: Path) -> None:
    """VAR_DIR holds databases, mail, logs and secrets: 0700, also when an earlier version made it 0755."""
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    var_dir.chmod(0o700)


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the TSUNAGU_ environment variables a child process reads back."""
    env = {}
    for name, value in settings.model_dump().items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""  # unset: the child derives it as this process did
        env[f"TSUNAGU_{name.upper()}"] = str(value)
    return env


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s") from None
            time.sleep(0.1)


class Stack:
    def __init__(self, settings: Settings, python: str = sys.executable):
        self.settings = settings
        self.python = python
        self.var = settings.var_dir.resolve()
        self.log_dir = self.var / "log"
        self.processes: dict[str, subprocess.Popen] = {}
        self.copies: dict[str, tuple[str, int]] = {}  # process → (service, its TSUNAGU_INSTANCE)
        self.broker_started = False  # stop only a broker this stack started, never someone else's

    # --- the broker -------------------------------------------------------------------------
    @property
    def broker_dir(self) -> Path:
        return self.var / "rabbitmq"

    @property
    def clustered(self) -> bool:
        return self.settings.broker_nodes > 1

    def _broker_script(self, *args: str, check: bool = True) -> None:
        env = {**os.environ, **{name: value for name, value in settings_env(self.settings).items()
                                if name in BROKER_SCRIPT_SETTINGS}}
        subprocess.run([str(RABBITMQ_SCRIPT), *args], check=check, preexec_fn=_child_setup, env=env)

    def start_broker(self) -> None:
        """One node, or with TSUNAGU_BROKER_NODES=3 a cluster of three on loopback."""
        self.broker_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.settings.amqp_user:  # a broker user per part, which the node loads as it boots
            from tsunagu.broker import write_definitions
            write_definitions(self.settings, self.broker_dir / "definitions.json")
        try:
            self._broker_script("cluster-start" if self.clustered else "start", str(self.broker_dir),
                                str(self.settings.amqp_port), str(self.settings.amqp_management_port))
        except BaseException:
            # The node may have been launched before the start failed (or was interrupted): whatever runs
            # from our broker directory is stopped, so the next start does not find it half alive.
            self.broker_started = True
            self.stop_broker()
            raise
        self.broker_started = True

    def stop_broker(self) -> None:
        if self.broker_started:
            self._broker_script("cluster-stop" if self.clustered else "stop", str(self.broker_dir), check=False)
            self.broker_started = False

    def stop_broker_node(self, number: int) -> None:
        """Node `number` (1–3) of the cluster goes away, as a machine does (the fault tests)."""
        self._broker_script("node-stop", str(self.broker_dir), str(number))

    def start_broker_node(self, number: int) -> None:
        self._broker_script("node-start", str(self.broker_dir), str(number))

    def declare_topology(self) -> None:
        from kombu import Connection

        from shared.bus.topology import declare_all
        with Connection(self.settings.amqp_uri, connect_timeout=10) as connection:
            declare_all(connection, self.settings.queue_type)

    def migrate(self) -> None:
        """What `tsunagu migrate` does, before any service starts (each refuses a database behind)."""
        from tsunagu.migrate import migrate
        earlier = os.umask(PRIVATE)  # it makes the SQLite files, as a child of the stack would: 0600
        try:
            done = migrate(self.settings)
        finally:
            os.umask(earlier)
        for line in done:
            print(f"migrate: {line}", flush=True)

    # --- child processes ---------------------------------------------------------------------
    def _spawn(self, name: str, *args: str, **extra_env: str) -> subprocess.Popen:
        self.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        env = {**os.environ, **settings_env(self.settings), "PYTHONUNBUFFERED": "1", **extra_env}
        log = RotatingLog(self.log_dir / f"{name}.log", self.settings.log_max_bytes, self.settings.log_backups)
        try:
            process = subprocess.Popen([self.python, "-m", "tsunagu.cli", *args], env=env, cwd=ROOT,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True, preexec_fn=_child_setup)
        except BaseException:
            log.close()
            raise
        assert process.stdout is not None, "stdout=PIPE"
        pump(process.stdout, log)
        self.processes[name] = process
        return process

    def start_sink(self) -> None:
        self._spawn("smtp-sink", "smtp-sink")
        wait_for_port(self.settings.smtp_host, self.settings.smtp_port, 30)

    def start_service(self, name: str, instance: str | None = None) -> None:
        """Start a service; with `instance`, one more copy of it under that name (they share its queues)
        and a metrics port of its own."""
        alive = {number for process, (service, number) in self.copies.items()
                 if service == name and process in self.processes and self.processes[process].poll() is None}
        number = min(set(range(len(alive) + 1)) - alive)  # a copy restarted takes its old number back
        self._spawn(instance or name, "service", name, TSUNAGU_INSTANCE=str(number))
        self.copies[instance or name] = (name, number)

    def start_gateway(self, instance: str | None = None, port: int | None = None) -> None:
        """The gateway; with `instance` and `port`, one more on that port (a second host's, behind the same
        proxy)."""
        port = port or self.settings.http_port
        self._spawn(instance or "gateway", "gateway", TSUNAGU_HTTP_PORT=str(port))
        wait_for_port(self.settings.http_host, port, 60)

    def stop_process(self, name: str, timeout: float = 20) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill_process(self, name: str) -> None:
        """SIGKILL: no chance to finish anything (fault tests)."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    # --- the whole --------------------------------------------------------------------------
    def health(self, timeout: float = 10) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"{self.settings.gateway_url}/health", timeout=timeout) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def wait_healthy(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            try:
                status, body = self.health()
                if status == 200:
                    return body
                last = body
            except OSError as exc:
                last = exc
            if self.exited():
                raise RuntimeError(f"a part of the system exited: {self.exited()}; see {self.log_dir}")
            time.sleep(0.5)
        raise TimeoutError(f"the system did not become healthy in {timeout:.0f}s: {last}")

    def check_ports_free(self) -> None:
        """Fail early and clearly when something else holds one of our ports."""
        wanted = [("TSUNAGU_AMQP_PORT", self.settings.amqp_host, self.settings.amqp_port + node)
                  for node in range(self.settings.broker_nodes)]
        wanted += [("TSUNAGU_HTTP_PORT", self.settings.http_host, self.settings.http_port),
                   ("TSUNAGU_SMTP_PORT", self.settings.smtp_host, self.settings.smtp_port)]
        for variable, host, port in wanted:
            if not port_is_free(host, port):
                raise RuntimeError(f"{host}:{port} is already in use (another Tsunagu, or a system "
                                   f"service?); choose another port with {variable}")

    def start(self) -> None:
        prepare_var_dir(self.var)
        self.check_ports_free()
        self.start_broker()
        self.declare_topology()
        self.start_sink()
        self.migrate()
        for name in SERVICE_NAMES:
            self.start_service(name)
        self.start_gateway()
        self.wait_healthy()

    def stop(self) -> None:
        # The gateway first (no new requests), then the services (finish their work), then the rest.
        extra_instances = [name for name in self.processes if name not in (*SERVICE_NAMES, "gateway", "smtp-sink")]
        for group in (["gateway"], [*SERVICE_NAMES, *extra_instances], ["smtp-sink"]):
            for name in group:
                process = self.processes.get(name)
                if process is not None and process.poll() is None:
                    process.terminate()
            for name in group:
                self.stop_process(name)
        self.stop_broker()

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
