"""Runs one nameko service in this process until SIGTERM or SIGINT.

eventlet must patch the standard library before anything else imports it, so `run` is called by the
command line before any other Tsunagu import happens in this process.
"""
from __future__ import annotations

import importlib
import logging
import signal

SERVICE_CLASSES = {
    "events": "services.events.service:EventsService",
    "members": "services.members.service:MembersService",
    "notifications": "services.notifications.service:NotificationsService",
}


def load_service_class(name: str):
    module_name, _, class_name = SERVICE_CLASSES[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def run(name: str) -> None:
    import eventlet
    eventlet.monkey_patch()
    from shared.green_postgres import make_psycopg2_green
    make_psycopg2_green()  # PostgreSQL's waits yield to the other workers, as socket waits do

    from nameko.runners import ServiceRunner

    from shared.bus.parts import BrokerPart
    from shared.db import SETTINGS_KEY, make_engine
    from shared.logs import configure, quiet_domain_errors
    from shared.migrations import SchemaBehind, require_current
    from shared.settings import load_settings

    settings = load_settings()
    configure(name, settings.log_level)
    quiet_domain_errors()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a service only reads its revision
    log = logging.getLogger(__name__)
    config = settings.nameko_config(BrokerPart(name))  # connects as this service's broker user
    config[SETTINGS_KEY] = settings
    service_class = load_service_class(name)
    engine = make_engine(settings.database_url_for(name), schema=name)
    # The one check that the tables are current, before the container starts (a failure inside its start
    # would be reported in tracebacks from every greenthread).
    try:
        require_current(engine, name)
    except SchemaBehind as behind:  # not a fault that passes: starting again would not mend it
        log.error("%s", behind)
        raise SystemExit(2) from None
    finally:
        engine.dispose()
    stopping = eventlet.event.Event()
    current: list[ServiceRunner] = []

    def shutdown(signum, _frame):
        if stopping.ready():
            return  # already stopping: a second stop of the same runner would wait on the first for ever
        log.info("stopping on signal %s", signum)
        stopping.send(True)
        if current:
            eventlet.spawn_n(current[0].stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    while not stopping.ready():
        runner = ServiceRunner(config)
        runner.add_service(service_class)
        current[:] = [runner]
        runner.start()
        log.info("%s service started", name)
        try:
            runner.wait()
        except Exception:  # noqa: BLE001 — any death of the container: it is started again below
            # nameko lets a container die when, say, an ack meets a connection the broker just dropped.
            # Unacked messages go back to their queues and the inbox makes their redelivery harmless,
            # so the service starts again instead of leaving its queues without a consumer.
            log.exception("the %s container died; starting it again", name)
            runner.kill()
            stopping.wait(2)
