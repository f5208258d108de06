"""Who is asking: roles and their scopes, and the signed claims that carry a verified caller."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from shared.claims import Purpose, purpose_key, sign, verify
from shared.contracts.identity import Caller, Grant, Role
from shared.errors import Unauthenticated

SECRET = "a-secret-key-of-at-least-32-characters"
BUS = purpose_key(SECRET, Purpose.BUS_CALLER)
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
KANSAI_ORGANIZER = Caller(account_id="a1", email="kansai@example.org",
                          grants=(Grant(role=Role.ORGANIZER, regions=("kinki-kansai",)),))


def test_each_role_takes_only_its_own_scope_and_a_scoped_role_needs_one():
    assert Grant(role="organizer", networks=("labour",)).networks == ("labour",)
    assert Grant(role="group_contact", groups=("g1",)).groups == ("g1",)
    assert Grant(role="secretariat").role is Role.SECRETARIAT
    for wrong, words in [({"role": "organizer"}, "needs its scope"),
                         ({"role": "group_contact"}, "needs its scope"),
                         ({"role": "member"}, "needs its scope"),
                         ({"role": "secretariat", "regions": ["kanto"]}, "regions: not a scope"),
                         ({"role": "member", "member_id": "m1", "groups": ["g1"]}, "groups: not a scope"),
                         ({"role": "organizer", "regions": ["atlantis"]}, "regions"),
                         ({"role": "owner"}, "role")]:
        with pytest.raises(ValidationError, match=words):
            Grant(**wrong)


def test_an_organizer_runs_events_of_their_regions_or_networks_only():
    both = Caller(account_id="a2", email="x@example.org", grants=(
        Grant(role="organizer", regions=("kinki-kansai",)), Grant(role="organizer", networks=("medical",))))
    assert KANSAI_ORGANIZER.organizes("kinki-kansai")
    assert not KANSAI_ORGANIZER.organizes("chubu-tokai")
    assert not KANSAI_ORGANIZER.organizes(None, ["medical"])
    assert both.organizes("chubu-tokai", ["medical", "labour"])
    secretariat = Caller(account_id="s", email="s@example.org", grants=(Grant(role="secretariat"),))
    assert secretariat.organizes("hokkaido") and secretariat.speaks_for("any-group")
    contact = Caller(account_id="c", email="c@example.org", grants=(Grant(role="group_contact", groups=("g1",)),))
    assert contact.speaks_for("g1") and not contact.speaks_for("g2") and not contact.organizes("kinki-kansai")


def test_a_claim_holds_for_its_purpose_and_lifetime_only():
    token = sign(KANSAI_ORGANIZER, BUS, timedelta(minutes=5), now=NOW)
    assert verify(token, BUS, Caller, now=NOW + timedelta(minutes=4)) == KANSAI_ORGANIZER
    with pytest.raises(Unauthenticated, match="expired"):
        verify(token, BUS, Caller, now=NOW + timedelta(minutes=5))
    with pytest.raises(Unauthenticated, match="signature"):
        verify(token, purpose_key(SECRET, Purpose.SESSION), Caller, now=NOW)
    with pytest.raises(Unauthenticated, match="signature"):
        verify(token, purpose_key("another-secret-key-of-32-characters!!", Purpose.BUS_CALLER), Caller, now=NOW)
    for nothing in (None, "", "no-dot", "a.b.c"):
        with pytest.raises(Unauthenticated, match="no signed claim"):
            verify(nothing, BUS, Caller, now=NOW)


def test_a_claim_altered_in_any_way_is_refused():
    token = sign(KANSAI_ORGANIZER, BUS, timedelta(minutes=5), now=NOW)
    payload, signature = token.split(".")
    promoted = sign(Caller(account_id="a1", email="kansai@example.org", grants=(Grant(role="secretariat"),)),
                    BUS, timedelta(minutes=5), now=NOW).split(".")[0]
    for forged in (f"{promoted}.{signature}", f"{payload}.{signature[:-2]}AA", f"{payload[:-1]}x.{signature}",
                   f"{payload}.", f".{signature}"):
        with pytest.raises(Unauthenticated):
            verify(forged, BUS, Caller, now=NOW)


def test_a_signed_claim_that_is_not_the_expected_statement_is_refused():
    grant_token = sign(Grant(role="secretariat"), BUS, timedelta(minutes=5), now=NOW)
    with pytest.raises(Unauthenticated, match="cannot be read"):
        verify(grant_token, BUS, Caller, now=NOW)


def test_a_claim_made_for_a_request_is_used_again_for_half_its_life_and_only_for_that_proof(monkeypatch):
    from shared.bus import requester
    clock = [1000.0]
    monkeypatch.setattr(requester.time, "monotonic", lambda: clock[0])
    voucher = requester.Voucher("k" * 32)
    ana = Caller(account_id="a-1", email="ana@example.org", grants=(Grant(role=Role.SECRETARIAT),))
    first = voucher.context(ana, remember_as="127.0.0.1 cookie-1")
    assert voucher.context(ana, remember_as="127.0.0.1 cookie-1") is first
    assert voucher.context(ana, remember_as="127.0.0.1 cookie-2") is not first
    assert voucher.context(ana) is not first  # nothing to remember it by: a claim of its own
    clock[0] += requester.CLAIM_LIFETIME.total_seconds() / 2
    assert voucher.context(ana, remember_as="127.0.0.1 cookie-1") is not first  # half its life is over
    key = purpose_key("k" * 32, Purpose.BUS_CALLER)
    assert verify(first[requester.CALLER_CONTEXT], key, Caller) == ana


def test_a_refused_claim_is_refused_every_time_it_is_shown():
    key = purpose_key("k" * 32, Purpose.BUS_CALLER)
    forged = sign(Caller(account_id="x", email="x@example.org", grants=(Grant(role=Role.SECRETARIAT),)),
                  purpose_key("other", Purpose.BUS_CALLER), timedelta(minutes=1))
    for _ in range(2):  # remembering what reads never remembers what does not
        with pytest.raises(Unauthenticated):
            verify(forged, key, Caller)
