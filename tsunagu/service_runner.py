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

    from nameko.runners import ServiceRunner

    from shared.db import SETTINGS_KEY
    from shared.settings import load_settings

    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    config = settings.nameko_config()
    config[SETTINGS_KEY] = settings
    runner = ServiceRunner(config)
    runner.add_service(load_service_class(name))

    def shutdown(signum, _frame):
        logging.getLogger(__name__).info("stopping on signal %s", signum)
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    logging.getLogger(__name__).info("%s service started", name)
    runner.wait()
