"""The `ping` every service answers, so the gateway's /health learns each one's state over the bus."""
from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

from shared.bus.entrypoints import rpc

if TYPE_CHECKING:
    from shared.db import Sessions


class Pingable:
    """Mixed into each service class; needs the service's `db` (a Database dependency)."""

    name: str
    db: Sessions

    @rpc
    def ping(self) -> dict:
        # On a connection of its own: a ping must not wait behind workers that hold the service's
        # connection while a fault lasts. Raises Unavailable when the database cannot be read.
        self.db.probe()
        # `instance` tells several instances of one service apart (they share one RPC queue)
        return {"service": self.name, "status": "ok", "database": "ok",
                "instance": f"{socket.gethostname()}:{os.getpid()}"}
