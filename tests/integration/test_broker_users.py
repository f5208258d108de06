"""Each part is a broker user of its own, tried on a real RabbitMQ: what it must do works, what belongs
to another part is refused by the broker itself (shared.bus.permissions); and the running system
really connects as those users."""
from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from urllib.parse import unquote, urlparse

import amqp
import pytest
from amqp.exceptions import AccessRefused

from shared.bus.parts import BrokerPart, user_of
from shared.bus.topology import retry_queue
from shared.settings import Settings
from tests.integration.conftest import management_api
from tests.integration.patience import eventually
from tsunagu.ports import free_amqp_port
from tsunagu.stack import Stack

GATEWAY, EVENTS, MEMBERS, NOTIFICATIONS = (BrokerPart.GATEWAY, BrokerPart.EVENTS, BrokerPart.MEMBERS,
                                           BrokerPart.NOTIFICATIONS)
REPLY_KEY = uuid.uuid4().hex  # what the gateway's reply key looks like
NAMEKO_REPLY_KEY = str(uuid.uuid4())  # … and a nameko proxy's
EVENTS_SUBSCRIPTION = "evt-members-member_joined--events.record_member_joined"
NOTIFICATIONS_SUBSCRIPTION = "evt-events-event_published--notifications.announce_event"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    stack = Stack(Settings(environment="test", secret_key="broker-users-" + "s" * 32, amqp_port=free_amqp_port(),
                           var_dir=tmp_path_factory.mktemp("broker-users")))
    stack.start_broker()
    stack.declare_topology()
    yield stack.settings
    stack.stop_broker()


def connect(settings: Settings, user: str, password: str) -> amqp.Connection:
    connection = amqp.Connection(f"{settings.amqp_host}:{settings.amqp_port}", userid=user, password=password,
                                 virtual_host=settings.amqp_vhost, confirm_publish=True, connect_timeout=10)
    connection.connect()
    return connection


def as_part(settings: Settings, part: BrokerPart, action: Callable[[amqp.Channel], object]) -> None:
    """Run `action` on a fresh channel of `part`'s own connection; a refusal raises AccessRefused."""
    uri = urlparse(settings.amqp_uri_for(part))
    connection = connect(settings, unquote(uri.username or ""), unquote(uri.password or ""))
    try:
        action(connection.channel())
    finally:
        with contextlib.suppress(Exception):  # a refusal already closed the channel, sometimes the connection
            connection.close()


def publish(exchange: str, routing_key: str) -> Callable[[amqp.Channel], object]:
    # confirm_publish: the broker answers each publish, so a refusal is raised here, not later
    return lambda channel: channel.basic_publish(amqp.Message(b"{}"), exchange, routing_key)


def consume(queue: str) -> Callable[[amqp.Channel], object]:
    return lambda channel: channel.basic_consume(queue, callback=lambda _message: None)


def bind_own_queue(exchange: str, routing_key: str) -> Callable[[amqp.Channel], object]:
    def bind(channel: amqp.Channel) -> None:
        queue, *_ = channel.queue_declare("", exclusive=True, auto_delete=True)
        channel.queue_bind(queue, exchange, routing_key)
    return bind


ALLOWED = {
    "the gateway calls a service": (GATEWAY, publish("nameko-rpc", "members.get_group")),
    "the gateway listens to the members' events": (GATEWAY, bind_own_queue("members.events", "session_revoked")),
    "the gateway binds its reply queue with its key": (GATEWAY, bind_own_queue("nameko-rpc", REPLY_KEY)),
    "a service publishes its own events": (EVENTS, publish("events.events", "event_published")),
    "a service answers the gateway": (MEMBERS, publish("nameko-rpc", REPLY_KEY)),
    "a service answers a nameko proxy": (MEMBERS, publish("nameko-rpc", NAMEKO_REPLY_KEY)),
    "a service consumes its RPC queue": (MEMBERS, lambda channel: (
        channel.queue_declare("rpc-members", durable=True, auto_delete=False),
        channel.queue_bind("rpc-members", "nameko-rpc", "members.*"), consume("rpc-members")(channel))),
    "a service consumes its subscription": (EVENTS, consume(EVENTS_SUBSCRIPTION)),
    "a service puts an event aside on its own retry exchange": (
        EVENTS, publish("events.retry", retry_queue("events", EVENTS_SUBSCRIPTION).name)),
    "a service dead-letters": (NOTIFICATIONS, publish("tsunagu.dead-letters", "tsunagu.dead-letters")),
    "a part checks that a shared exchange is there": (
        NOTIFICATIONS, lambda channel: channel.exchange_declare("nameko-rpc", "topic", passive=True)),
}

REFUSED = {
    "the gateway publishes a member's event": (GATEWAY, publish("members.events", "member_joined")),
    "the gateway reaches a queue through the default exchange": (GATEWAY, publish("", "rpc-members")),
    "the gateway forges a reply": (GATEWAY, publish("nameko-rpc", NAMEKO_REPLY_KEY)),
    "the gateway consumes a service's calls": (GATEWAY, consume("rpc-members")),
    "the gateway binds a queue to a service's calls": (GATEWAY, bind_own_queue("nameko-rpc", "members.*")),
    "the gateway declares the RPC exchange": (
        GATEWAY, lambda channel: channel.exchange_declare("nameko-rpc", "topic", durable=True, auto_delete=False)),
    "a service publishes another's events": (EVENTS, publish("members.events", "member_joined")),
    "a service calls another": (EVENTS, publish("nameko-rpc", "members.list_accounts")),
    "a service binds its queue to another's calls": (
        EVENTS, lambda channel: channel.queue_bind("rpc-events", "nameko-rpc", "members.*")),
    "a service consumes another's subscription": (EVENTS, consume(NOTIFICATIONS_SUBSCRIPTION)),
    "a service consumes another's calls": (NOTIFICATIONS, consume("rpc-members")),
    "a service puts an event on another's retry exchange": (
        EVENTS, publish("notifications.retry", retry_queue("notifications", NOTIFICATIONS_SUBSCRIPTION).name)),
    "a service reaches a queue through the default exchange": (NOTIFICATIONS, publish("", EVENTS_SUBSCRIPTION)),
    "a service reads the dead letters": (EVENTS, consume("tsunagu.dead-letters")),
    "a service deletes the RPC exchange": (NOTIFICATIONS, lambda channel: channel.exchange_delete("nameko-rpc")),
    "a service deletes another's event exchange": (MEMBERS, lambda channel: channel.exchange_delete("events.events")),
}


@pytest.mark.parametrize("what", ALLOWED)
def test_each_part_may_do_its_own_work(broker, what):
    part, action = ALLOWED[what]
    as_part(broker, part, action)


@pytest.mark.parametrize("what", REFUSED)
def test_the_broker_refuses_what_belongs_to_another_part(broker, what):
    part, action = REFUSED[what]
    with pytest.raises(AccessRefused):
        as_part(broker, part, action)


@pytest.mark.parametrize("password", ["guest", ""])
def test_rabbitmq_s_guest_cannot_sign_in(broker, password):
    with pytest.raises(AccessRefused):
        connect(broker, "guest", password)


def test_a_part_s_password_opens_only_its_own_user(broker):
    gateway = unquote(urlparse(broker.amqp_uri_for(GATEWAY)).password or "")
    with pytest.raises(AccessRefused):
        connect(broker, user_of(EVENTS), gateway)


def test_the_running_system_connects_as_each_part_s_own_user(stack):
    def connected_users() -> set[str]:  # the management API lists a connection once its statistics came in
        return {connection["user"] for connection in management_api(stack.settings, "connections")}

    parts = {user_of(part) for part in (GATEWAY, EVENTS, MEMBERS, NOTIFICATIONS)}
    assert parts <= eventually(lambda: (users := connected_users()) >= parts and users, timeout=60) or set()
