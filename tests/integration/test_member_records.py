"""Member records through the gateway on the real stack: periods, dates, changes and the directory,
and what a client may send wrong — always a 4xx problem naming the field, never a 500."""
from __future__ import annotations

import uuid

import httpx
import pytest

PROBLEM_JSON = "application/problem+json"


def new_group(http: httpx.Client, **fields) -> dict:
    answer = http.post("/members/groups", json={"name": {"ja": f"会 {uuid.uuid4().hex[:6]}"}, "kind": "npo",
                                                "region": "shikoku", **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()


def group_figures(http: httpx.Client, as_of: str) -> tuple[int, int]:
    stats = http.get("/members/stats", params={"as_of": as_of}).json()
    return stats["group"]["members"], stats["group"]["units"]


@pytest.mark.usefixtures("stack")
def test_a_renewal_in_the_grace_period_counts_once_and_the_same_period_again_is_one(gateway):
    http = gateway.http
    before = group_figures(http, "2031-05-31")
    group = new_group(http)
    old_year = {"units": 2, "starts_on": "2030-04-01", "ends_on": "2031-06-30", "fiscal_year": 2030}
    first = http.post(f"/members/{group['id']}/memberships", json=old_year)
    again = http.post(f"/members/{group['id']}/memberships", json=old_year)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    clash = http.post(f"/members/{group['id']}/memberships", json={**old_year, "units": 3})
    assert clash.status_code == 409 and first.json()["id"] in clash.json()["detail"]
    renewal = http.post(f"/members/{group['id']}/memberships",
                        json={"units": 2, "starts_on": "2031-04-01", "ends_on": "2032-06-30", "fiscal_year": 2031})
    assert renewal.status_code == 201
    assert len(http.get(f"/members/{group['id']}").json()["memberships"]) == 2
    after = group_figures(http, "2031-05-31")
    assert (after[0] - before[0], after[1] - before[1]) == (1, 2)  # one member, two units


def test_a_change_is_held_to_the_rules_of_a_creation(stack, gateway):
    http = gateway.http
    group = new_group(http, website="https://example.org")
    refused = {"website": {"website": "javascript:alert(document.cookie)"},
               "display_name": {"display_name": "x" * 121},
               "name": {"name": {"ja": "x" * 10_000}},
               "networks": {"networks": [f"n{n}" for n in range(1000)]},
               "public_contact": {"public_contact": "x" * 201},
               "city": {"city": "名古屋\u0000市"}}
    for field, patch in refused.items():
        answer = http.patch(f"/members/{group['id']}", json=patch)
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM_JSON, (field, answer.text)
        assert answer.json()["errors"][0]["field"].startswith(field), answer.json()
    shown = [e for e in httpx.get(f"{stack.settings.gateway_url}/directory", params={"region": "shikoku"}).json()
             if e["id"] == group["id"]]
    assert shown[0]["website"] == "https://example.org"


def test_the_public_directory_finds_by_what_is_shown_in_any_width(stack, gateway):
    http = gateway.http
    kalabaw = new_group(http, name={"ja": "ｶﾗﾊﾞｵの会 四国"})
    hidden_name = f"秘密の名前{uuid.uuid4().hex[:6]}"
    person = http.post("/members/individuals", json={
        "display_name": hidden_name, "email": f"{uuid.uuid4().hex[:8]}@example.org", "region": "shikoku",
        "networks": ["livelihood"], "directory_opt_in": True, "public_fields": ["preferred_language"]}).json()
    public = httpx.Client(base_url=stack.settings.gateway_url)
    found = [e["id"] for e in public.get("/directory", params={"q": "カラバオ 四国"}).json()]
    assert kalabaw["id"] in found
    assert public.get("/directory", params={"q": hidden_name}).json() == []
    assert person["id"] not in [e["id"] for e in public.get("/directory", params={"region": "shikoku"}).json()]
    assert person["id"] not in [e["id"] for e in public.get("/directory", params={"network": "livelihood"}).json()]
    assert person["id"] in [e["id"] for e in http.get("/directory", params={"q": hidden_name}).json()]  # organizers
    public.close()


@pytest.mark.usefixtures("stack")
def test_what_a_client_sends_wrong_is_a_4xx_naming_the_field(gateway):
    http = gateway.http
    group = new_group(http)
    wrong = [(http.get("/members/stats", params={"as_of": "0001-01-01"}), "as_of"),
             (http.get("/members/renewals", params={"due_before": "9999-12-31"}), "due_before"),
             (http.get("/directory", params={"offset": "9223372036854775808"}), "offset"),
             (http.post(f"/members/{group['id']}/memberships", json={"starts_on": "0001-01-01",
                                                                     "ends_on": "2030-03-31"}), "starts_on"),
             (http.post(f"/members/{group['id']}/memberships", json={"starts_on": "2025/4/1",
                                                                     "ends_on": "2030-03-31"}), "starts_on")]
    for answer, field in wrong:
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM_JSON, (field, answer.text)
        assert answer.json()["errors"][0]["field"] == field, answer.json()
    assert "YYYY-MM-DD" in wrong[-1][0].json()["detail"]
