"""nameko's RPC and event entrypoints as the services use them: the same queues, bound the same way,
but the shared exchanges they bind to (`nameko-rpc`, another service's `….events`) are only checked,
never declared. Declaring an exchange needs the right to configure it, which is also the right to
delete it; the operator declares the topology (shared.bus.topology) and a service's broker user has
no such right (shared.bus.permissions). Every service entrypoint comes from here (a test checks)."""
from __future__ import annotations

from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.events import EventHandler
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

from shared.db import SETTINGS_KEY


def _check_only(queue, config) -> None:
    queue.exchange.passive = True  # kombu then declares it with passive=True: exists, or NOT_FOUND
    # Of the type the operator declared the others with (quorum on a cluster): a queue redeclared with
    # another type is refused by the broker.
    queue.queue_arguments = {**(queue.queue_arguments or {}), **config[SETTINGS_KEY].queue_type.arguments}


class _ReplyPublisher(Publisher):
    # A reply goes to the caller's own transient queue: waiting for the broker's confirm of each one
    # cost a round trip per call and kept nothing safer. A reply lost with a broker that fails at that
    # moment leaves the caller to time out, as a lost request does; a command is then repeated with its
    # idempotency key and answered from its kept result (shared.bus.commands).
    use_confirms = False


class _Responder(Responder):
    publisher_cls = _ReplyPublisher


class _RpcConsumer(RpcConsumer):
    def setup(self):
        super().setup()
        _check_only(self.queue, self.container.config)

    def handle_result(self, message, result, exc_info):
        """nameko's own, with replies published unconfirmed (_ReplyPublisher)."""
        config = self.container.config
        responder = _Responder(config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
                               config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
                               ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


class Subscriber(EventHandler):
    def setup(self):
        super().setup()
        _check_only(self.queue, self.container.config)


rpc = _Rpc.decorator
