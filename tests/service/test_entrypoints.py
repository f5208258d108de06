"""Each service's entrypoints (service.py) through nameko's own testing tools: a worker built by
`worker_factory`, or a container's entrypoint run by `entrypoint_hook`, with the real database (SQLite
in a temporary directory) and the real command log; only what would need the broker is replaced."""
from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy.orm import sessionmaker

from services.events import models as event_models
from services.events import registrations
from services.events.service import EventsService
from services.members import models as member_models
from services.members.service import MembersService
from services.notifications import models as notification_models
from services.notifications.service import NotificationsService
from shared.bus.commands import CommandRun
from shared.bus.requester import CALLER_CONTEXT, Asking, Voucher
from shared.claims import Purpose, purpose_key
from shared.db import Sessions, make_engine
from shared.errors import Invalid, NotFound
from tests.conftest import ROOT
from tests.databases import make_tables
from tests.integration.patience import PATIENCE
from tests.samples import SECRETARIAT

SECRET = "s" * 32
DRAFT = {"kind": "workshop", "title": {"ja": "ワークショップ"}, "region": "kinki-kansai",
         "starts_at": "2027-09-01T10:00", "ends_at": "2027-09-01T17:00"}
GROUP = {"name": {"ja": "カラバオの会"}, "kind": "community_association", "region": "kanto",
         "contact_email": "office@kalabaw.example"}


@pytest.fixture
def database(tmp_path):
    """A factory: the Sessions a worker of the given service's models gets, on a file of its own."""
    engines = []

    def sessions_for(models) -> Sessions:
        engine = make_engine(f"sqlite:///{tmp_path}/{len(engines)}.db")
        engines.append(engine)
        make_tables(engine, models)
        return Sessions(sessionmaker(engine, expire_on_commit=False))
    yield sessions_for
    for engine in engines:
        engine.dispose()


def commands_for(models, key: str | None = None) -> CommandRun:
    return CommandRun(models.commands, key, SECRET)


def asking(caller=None) -> Asking:
    """What a worker's `asking` is for a call that carried `caller`'s claim (or none)."""
    claim = Voucher(SECRET).context(caller)[CALLER_CONTEXT] if caller else None
    return Asking(claim, purpose_key(SECRET, Purpose.BUS_CALLER))


def test_an_unknown_or_unpublished_event_is_the_not_found_the_gateway_answers_404(database):
    sessions = database(event_models)
    secretariat = worker_factory(EventsService, db=sessions, commands=commands_for(event_models),
                                 asking=asking(SECRETARIAT))
    public = worker_factory(EventsService, db=sessions, asking=asking())
    draft = secretariat.create_event(DRAFT)
    with pytest.raises(NotFound) as unknown:
        public.get_event("no-such-event")
    assert unknown.value.status == 404 and unknown.value.field == "event_id"
    with pytest.raises(NotFound):
        public.get_event(draft["id"])  # a draft is nobody's business but the organizers'
    assert secretariat.get_event(draft["id"])["status"] == "draft"


def test_a_contract_that_does_not_hold_is_refused_before_any_use_case_runs(database):
    events = worker_factory(EventsService, db=database(event_models), commands=commands_for(event_models),
                            asking=asking(SECRETARIAT))
    with pytest.raises(Invalid) as refused:
        events.create_event({**DRAFT, "ends_at": "2027-08-01T10:00"})
    assert refused.value.field == "ends_at"
    assert events.list_events({"include_drafts": True}) == []


def test_a_command_sent_twice_with_one_idempotency_key_runs_once(database):
    sessions = database(member_models)
    first = worker_factory(MembersService, db=sessions, commands=commands_for(member_models, "key-1"),
                           asking=asking(SECRETARIAT))
    again = worker_factory(MembersService, db=sessions, commands=commands_for(member_models, "key-1"),
                           asking=asking(SECRETARIAT))
    created = first.create_group(GROUP)
    assert again.create_group(GROUP)["id"] == created["id"]
    other = worker_factory(MembersService, db=sessions, commands=commands_for(member_models),
                           asking=asking(SECRETARIAT))
    assert [m["id"] for m in other.directory({})] == [created["id"]]


def test_a_dry_run_subscriber_import_reports_what_it_would_do_and_keeps_nothing(database):
    notifications = worker_factory(NotificationsService, db=database(notification_models),
                                   commands=commands_for(notification_models), asking=asking(SECRETARIAT))
    notifications.create_list({"slug": "magazine", "name": {"ja": "会報"}})
    csv = (b"email,language,consent_basis,consent_date\n"
           b"reader@example.org,ja,magazine_subscription,2020-04-01\n")
    content = base64.b64encode(csv).decode()
    report = notifications.import_subscribers("magazine", content, True)
    assert report["dry_run"] and report["created"] == 1
    assert notifications.list_subscribers("magazine") == []
    assert notifications.import_subscribers("magazine", content)["created"] == 1
    assert [s["email"] for s in notifications.list_subscribers("magazine")] == ["reader@example.org"]


def test_an_event_from_the_bus_goes_to_its_use_case_through_the_inbox(database):
    inbox = MagicMock()
    events = worker_factory(EventsService, db=database(event_models), inbox=inbox)
    payload = {"event_id": "e-1", "member_id": "m-1"}
    events.record_member_joined(payload)
    inbox.apply.assert_called_once_with(payload, registrations.record_member_joined)


def test_entrypoints_run_by_their_containers_in_an_eventlet_process():
    """nameko's entrypoint_hook drives a real container, which needs eventlet's monkey-patching as the
    services have it: those tests run in a process of their own (tests/service/hooked_entrypoints.py)."""
    hooked = Path(__file__).with_name("hooked_entrypoints.py")
    run = subprocess.run([sys.executable, "-c", HOOKED_RUN, str(hooked)], cwd=ROOT, capture_output=True, text=True,
                         timeout=PATIENCE)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


HOOKED_RUN = """
import sys, warnings
warnings.filterwarnings("ignore", message=r"\\s*Eventlet is deprecated")
import eventlet
eventlet.monkey_patch()
import pytest
sys.exit(pytest.main([sys.argv[1], "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis", "-o", "addopts="]))
"""
