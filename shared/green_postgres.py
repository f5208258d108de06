"""psycopg2 made cooperative under eventlet, for the services (nameko runs every worker as a
greenthread of one process).

eventlet patches the standard library's sockets, not psycopg2's C code: without this, every query
blocks the whole service process until PostgreSQL answers — all its other workers, its relay, its
heartbeats. A registration waiting for an event's row lock held by another copy of the service would
stall that copy entirely. With psycopg2's wait callback, a query waits for its socket through eventlet's
hub, and the process's other greenthreads run meanwhile (what psycogreen does, in a few lines).
"""
from __future__ import annotations


def make_psycopg2_green() -> None:
    import psycopg2
    from eventlet.hubs import trampoline
    from psycopg2 import extensions

    def wait(connection, timeout=None):  # noqa: ARG001 — psycopg2's signature; eventlet has no use for it
        while True:
            state = connection.poll()
            if state == extensions.POLL_OK:
                return
            if state == extensions.POLL_READ:
                trampoline(connection.fileno(), read=True)
            elif state == extensions.POLL_WRITE:
                trampoline(connection.fileno(), write=True)
            else:
                raise psycopg2.OperationalError(f"unexpected state from poll(): {state}")

    extensions.set_wait_callback(wait)
