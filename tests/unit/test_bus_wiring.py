"""The one subscription list and the services' handlers say the same thing, and the queues we
declare ahead of nameko are the ones nameko declares."""
from __future__ import annotations

import inspect
import re

import pytest
from nameko.containers import ServiceContainer
from nameko.events import EventHandler
from nameko.rpc import RpcConsumer
from nameko.testing.utils import get_extension

from shared.bus.parts import BrokerPart
from shared.bus.permissions import permissions_of
from shared.bus.subscriptions import SUBSCRIPTIONS
from shared.bus.topology import subscription_queue
from shared.contracts import EVENT_TYPES
from shared.db import SETTINGS_KEY
from shared.settings import Settings
from tsunagu.service_runner import SERVICE_CLASSES, load_service_class


def handlers_of(service_class):
    found = []
    for name, method in inspect.getmembers(service_class, inspect.isfunction):
        for extension in getattr(method, "nameko_entrypoints", ()):
            if isinstance(extension, EventHandler):
                found.append((extension, name))
    return found


def test_every_handler_is_in_the_subscription_list_and_every_subscription_has_a_handler():
    declared = set()
    for service_name in SERVICE_CLASSES:
        for extension, method in handlers_of(load_service_class(service_name)):
            declared.add((service_name, extension.source_service, extension.event_type, method))
            assert extension.requeue_on_error and extension.reliable_delivery
    listed = {(s.consumer, s.contract.source, s.contract.event_type, s.handler) for s in SUBSCRIPTIONS}
    assert declared == listed


def test_every_subscribed_event_has_a_contract():
    for sub in SUBSCRIPTIONS:
        assert EVENT_TYPES[sub.contract.event_type] is sub.contract


@pytest.mark.parametrize("sub", SUBSCRIPTIONS, ids=lambda s: s.queue_name)
def test_the_queue_we_declare_is_the_one_nameko_declares(sub):
    config = {"AMQP_URI": "memory://", SETTINGS_KEY: Settings(environment="test")}
    container = ServiceContainer(load_service_class(sub.consumer), config)
    handler = get_extension(container, EventHandler, method_name=sub.handler)
    handler.setup()
    ours = subscription_queue(sub)
    assert handler.queue.name == ours.name
    assert handler.queue.routing_key == ours.routing_key
    assert (handler.queue.durable, handler.queue.auto_delete, handler.queue.exclusive) == (
        ours.durable, ours.auto_delete, ours.exclusive)
    assert handler.queue.exchange.name == ours.exchange.name
    assert handler.queue.exchange.type == ours.exchange.type
    assert handler.queue.exchange.durable == ours.exchange.durable
    assert handler.queue.exchange.passive  # checked, not declared: the exchange is the operator's


@pytest.mark.parametrize("service_name", SERVICE_CLASSES)
def test_a_service_declares_only_its_own_queues_and_binds_them_to_exchanges_it_only_checks(service_name):
    """nameko's own `rpc` or `event_handler` would declare the shared exchanges, which a service's broker
    user may not (shared.bus.permissions): every entrypoint comes from shared.bus.entrypoints."""
    config = {"AMQP_URI": "memory://", SETTINGS_KEY: Settings(environment="test")}
    container = ServiceContainer(load_service_class(service_name), config)
    consumers = [extension for extension in container.extensions if isinstance(extension, (RpcConsumer, EventHandler))]
    assert any(isinstance(extension, RpcConsumer) for extension in consumers)
    for extension in consumers:
        extension.setup()
        rights = permissions_of(BrokerPart(service_name))
        assert re.fullmatch(rights.configure, extension.queue.name), extension.queue.name
        assert extension.queue.exchange.passive, (type(extension).__name__, extension.queue.exchange.name)
