"""nameko's RPC and event entrypoints as the services use them: the same queues, bound the same way,
but the shared exchanges they bind to (`nameko-rpc`, another service's `….events`) are only checked,
never declared. Declaring an exchange needs the right to configure it, which is also the right to
delete it; the operator declares the topology (shared.bus.topology) and a service's broker user has
no such right (shared.bus.permissions). Every service entrypoint comes from here (a test checks)."""
from __future__ import annotations

from nameko.events import EventHandler
from nameko.rpc import Rpc, RpcConsumer

from shared.db import SETTINGS_KEY


def _check_only(queue, config) -> None:
    queue.exchange.passive = True  # kombu then declares it with passive=True: exists, or NOT_FOUND
    # Of the type the operator declared the others with (quorum on a cluster): a queue redeclared with
    # another type is refused by the broker.
    queue.queue_arguments = {**(queue.queue_arguments or {}), **config[SETTINGS_KEY].queue_type.arguments}


class _RpcConsumer(RpcConsumer):
    def setup(self):
        super().setup()
        _check_only(self.queue, self.container.config)


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


class Subscriber(EventHandler):
    def setup(self):
        super().setup()
        _check_only(self.queue, self.container.config)


rpc = _Rpc.decorator
