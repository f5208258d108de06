"""Entrypoints run by their service's container through nameko's entrypoint_hook: the worker's whole
life (dependencies injected, the result or the error handed back) around the real database. Run by
tests/service/test_entrypoints.py in a process eventlet has monkey-patched, as the services' own is."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import MagicMock

import pytest
from nameko.containers import ServiceContainer
from nameko.testing.services import entrypoint_hook, replace_dependencies
from sqlalchemy.orm import sessionmaker

from services.events import models as event_models
from services.events.service import EventsService
from services.members import models as member_models
from services.members.service import MembersService
from services.notifications import models as notification_models
from services.notifications.service import NotificationsService
from shared.bus.commands import CommandRun
from shared.bus.requester import CALLER_CONTEXT, Voucher
from shared.claims import Purpose, purpose_key, sign
from shared.contracts.identity import Caller, Grant, Role
from shared.db import SETTINGS_KEY, Sessions, make_engine
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.settings import Settings
from tests.databases import make_tables

# The containers' settings (environment "test") have an empty secret key: the claims are signed with it.
SECRETARIAT = Voucher("").context(Caller(account_id="a-1", email="secretariat@example.org",
                                          grants=(Grant(role=Role.SECRETARIAT),)))
KANTO_ORGANIZER = Voucher("").context(Caller(account_id="a-2", email="kanto@example.org",
                                             grants=(Grant(role=Role.ORGANIZER, regions=("kanto",)),)))
DRAFT = {"kind": "workshop", "title": {"ja": "ワークショップ"}, "region": "kinki-kansai",
         "starts_at": "2027-09-01T10:00", "ends_at": "2027-09-01T17:00"}


@pytest.fixture
def container_of(tmp_path):
    """A factory: a service's container on its own database; what would need the broker is a mock."""
    engines = []

    def build(service_class, models) -> ServiceContainer:
        engine = make_engine(f"sqlite:///{tmp_path}/{service_class.name}.db")
        engines.append(engine)
        make_tables(engine, models)
        container = ServiceContainer(service_class, {SETTINGS_KEY: Settings(environment="test"),
                                                     "AMQP_URI": "memory://"})
        others = {name: MagicMock() for name in ("relay", "inbox", "import_runner", "mailer")
                  if hasattr(service_class, name)}
        replace_dependencies(container, db=Sessions(sessionmaker(engine, expire_on_commit=False)),
                             commands=CommandRun(models.commands, None, "s" * 32), **others)
        return container
    yield build
    for engine in engines:
        engine.dispose()


def test_an_entrypoint_run_by_its_container_answers_with_the_use_case_result(container_of):
    container = container_of(EventsService, event_models)
    with entrypoint_hook(container, "create_event", SECRETARIAT) as create_event:
        created = create_event(DRAFT)
    with entrypoint_hook(container, "get_event", SECRETARIAT) as get_event:
        assert get_event(created["id"])["title"] == {"ja": "ワークショップ"}
        with pytest.raises(NotFound):
            get_event("no-such-event")
    with entrypoint_hook(container, "get_event") as get_event, pytest.raises(NotFound):
        get_event(created["id"])  # a draft, asked by nobody


def test_a_call_without_a_valid_claim_cannot_act_as_an_organizer(container_of):
    """What a plain AMQP client holding the broker's password could send."""
    container = container_of(EventsService, event_models)
    other_key = {CALLER_CONTEXT: sign(Caller(account_id="x", email="x@example.org",
                                             grants=(Grant(role=Role.SECRETARIAT),)),
                                      purpose_key("another key", Purpose.BUS_CALLER), timedelta(minutes=1))}
    expired = {CALLER_CONTEXT: sign(Caller(account_id="a-1", email="secretariat@example.org",
                                           grants=(Grant(role=Role.SECRETARIAT),)),
                                    purpose_key("", Purpose.BUS_CALLER), timedelta(minutes=1),
                                    now=datetime.now(UTC) - timedelta(minutes=5))}
    for context in (None, {"organizer": True}, other_key, expired, {CALLER_CONTEXT: "not.a-claim"}):
        with entrypoint_hook(container, "create_event", context) as create_event, \
                pytest.raises(Unauthenticated):
            create_event(DRAFT)
    with entrypoint_hook(container, "create_event", KANTO_ORGANIZER) as create_event, \
            pytest.raises(Forbidden, match="region kinki-kansai"):
        create_event(DRAFT)  # a Kansai event, for an organizer of Kanto


def test_a_members_entrypoint_refuses_an_unknown_member_as_not_found(container_of):
    container = container_of(MembersService, member_models)
    with entrypoint_hook(container, "patch_member", SECRETARIAT) as patch_member, \
            pytest.raises(NotFound) as unknown:
        patch_member("no-such-member", {"display_name": "Ana"})
    assert unknown.value.field == "member_id"


def test_a_subscription_to_a_list_that_does_not_exist_is_not_found(container_of):
    container = container_of(NotificationsService, notification_models)
    with entrypoint_hook(container, "subscribe") as subscribe, pytest.raises(NotFound):
        subscribe("no-such-list", {"email": "reader@example.org"})
