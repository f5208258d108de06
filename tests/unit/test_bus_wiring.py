"""The one subscription list and the services' handlers say the same thing, and the queues we
declare ahead of nameko are the ones nameko declares."""
from __future__ import annotations

import inspect

import pytest
from nameko.containers import ServiceContainer
from nameko.events import EventHandler
from nameko.testing.utils import get_extension

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
