"""The whole system on PostgreSQL (each service its own schema), and a dead letter replayed once the
cause is mended."""
from __future__ import annotations

import contextlib
import time

import pytest

from shared.bus.dead_letters import list_dead_letters, replay_dead_letters
from shared.errors import Conflict
from shared.rpc import RpcPool
from tests.integration.conftest import (
    SUBSCRIBERS,
    Gateway,
    MailBox,
    expected_recipients,
    seed_general_list,
    stack_settings,
)
from tests.integration.patience import PATIENCE
from tsunagu.stack import Stack

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory, postgres_url):
    settings = stack_settings(tmp_path_factory.mktemp("pg-stack"), database_url=postgres_url)
    with Stack(settings) as running:
        yield running


def test_an_announcement_without_its_list_is_kept_then_replayed(pg_stack):
    gateway, mailbox = Gateway(pg_stack.settings), MailBox(pg_stack.settings.mail_dir)
    event = gateway.new_event(title={"ja": "PostgreSQL で動く全国フォーラム"}, kind="national_forum")
    assert gateway.publish(event["id"]).status_code == 200

    # The general list does not exist yet: the consumer retries, then keeps the message with the reason.
    deadline = time.monotonic() + PATIENCE
    letters = []
    while not letters and time.monotonic() < deadline:
        letters = [d for d in list_dead_letters(pg_stack.settings.amqp_uri)
                   if d.payload.get("event", {}).get("id") == event["id"]]
        time.sleep(0.5)
    assert letters and "no mailing list 'general'" in letters[0].reason
    assert mailbox.recipients_for(event["id"]) == {}

    seed_general_list(pg_stack.settings)
    assert replay_dead_letters(pg_stack.settings.amqp_uri) >= 1
    arrived = mailbox.wait_for([event["id"]], len(SUBSCRIBERS))[event["id"]]
    assert arrived == expected_recipients()
    assert list_dead_letters(pg_stack.settings.amqp_uri) == []


def test_the_vertical_slice_on_postgresql(pg_stack):
    gateway, mailbox = Gateway(pg_stack.settings), MailBox(pg_stack.settings.mail_dir)
    if gateway.http.get("/health").status_code != 200:
        pytest.fail("the PostgreSQL stack is not healthy")
    with contextlib.suppress(Conflict):  # the general list, unless the dead-letter test made it already
        seed_general_list(pg_stack.settings)
    event = gateway.new_event()
    assert gateway.publish(event["id"]).status_code == 200
    assert mailbox.wait_for([event["id"]], len(SUBSCRIBERS))[event["id"]] == expected_recipients()
    pool = RpcPool.for_operator(pg_stack.settings, 1)
    try:
        with pool.services() as rpc:
            counts = rpc.notifications.announcement_deliveries(event["id"], 1)
    finally:
        pool.close()
    assert counts == {"pending": 0, "sent": len(SUBSCRIBERS), "failed": 0}


def test_never_oversold_with_two_instances_on_postgresql(pg_stack):
    from tests.integration.oversell import check_never_oversold
    check_never_oversold(pg_stack)
