"""The `ping` every service answers, so the gateway's /health learns each one's state over the bus."""
from __future__ import annotations

import os
import socket

from nameko.rpc import rpc
from sqlalchemy import text


class Pingable:
    """Mixed into each service class; needs the service's `db` (a Database dependency)."""

    @rpc
    def ping(self) -> dict:
        with self.db() as session:
            session.execute(text("SELECT 1"))
        # `instance` tells several instances of one service apart (they share one RPC queue)
        return {"service": self.name, "status": "ok", "database": "ok",
                "instance": f"{socket.gethostname()}:{os.getpid()}"}
