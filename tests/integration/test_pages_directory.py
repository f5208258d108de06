"""The directory's page on a phone: a public group is found by the language it helps in; a group that
shows itself to members only is not, until a member signs in through a mailed link's page — then it is
there, marked not to be passed on; and on their own page the member chooses to be listed, by name only.
Every page checked in Chromium, in Nepali."""
from __future__ import annotations

import uuid

import pytest

from shared.contracts.identity import sign_in_url
from shared.rpc import RpcPool
from tests.integration.browser import PageChecks, phone
from tests.integration.conftest import Gateway

pytestmark = pytest.mark.browser


def test_the_directory_shows_the_public_and_to_a_signed_in_member_the_members_only_groups(stack):
    settings = stack.settings
    gateway, suffix = Gateway(settings), uuid.uuid4().hex[:6]
    public, members_only = (gateway.http.post("/members/groups", json={
        "name": {"ja": f"{name} {suffix}"}, "kind": "npo", "region": "chubu-tokai", "help_languages": ["vi", "ne"],
        "public_contact": "052-000-0000", "visibility": visibility}).json()
        for name, visibility in (("ベトナム相談 東海", "public"), ("会員向け相談", "members")))
    person = gateway.http.post("/members/individuals", json={"display_name": "会員", "region": "chubu-tokai",
                                                             "email": f"member-{suffix}@example.org"}).json()
    pool = RpcPool.for_operator(settings)
    try:
        with pool.services() as rpc:
            rpc.members.add_account({"email": f"member-{suffix}@example.org",
                                     "grants": [{"role": "member", "member_id": person["id"]}]})
            link = sign_in_url(settings.gateway_url, rpc.members.issue_sign_in_link(f"member-{suffix}@example.org",
                                                                                      "ja"))
    finally:
        pool.close()

    with phone(settings.gateway_url, locale="ne-NP") as (page, visits):
        checks = PageChecks(page, visits)
        page.goto(f"{settings.gateway_url}/groups?q={suffix}&language=vi")
        assert page.evaluate("document.documentElement.lang") == "ne"
        names = page.inner_text("main")
        assert f"ベトナム相談 東海 {suffix}" in names and "会員向け相談" not in names
        assert "Tiếng Việt" in names and "052-000-0000" in names  # what the group chose to show
        checks.check("directory, nobody")

        page.goto(link)  # the mailed link opens a page whose button signs in
        checks.check("sign-in")
        page.get_by_role("button").click()
        page.goto(f"{settings.gateway_url}/groups?q={suffix}")
        entries = page.inner_text("main")
        assert f"会員向け相談 {suffix}" in entries and "सदस्यका लागि मात्र" in entries  # marked: members only
        checks.check("directory, a member")

        page.get_by_role("link", name="मेरो पृष्ठ").click()  # their own page
        checks.check("my page")
        page.get_by_label("सार्वजनिक निर्देशिकामा मलाई देखाउनुहोस्").check()
        page.get_by_label("मेरो नाम").check()
        page.get_by_role("button", name="सुरक्षित गर्नुहोस्").click()
        assert page.get_by_label("सार्वजनिक निर्देशिकामा मलाई देखाउनुहोस्").is_checked()
    checks.assert_passed()
    assert public["id"] != members_only["id"]
    entry = gateway.http.get(f"/members/{person['id']}").json()
    assert entry["directory_opt_in"] is True and entry["public_fields"] == ["display_name"]
