"""A Tokai organizer, in the console on a phone, makes a two-day National Forum with two 分科会, sees that
it clashes with another network-wide event, publishes it anyway, approves a pending registration,
downloads the CSV, reads the needs per session, and at last cancels it with a reason — in Chromium, every
page checked."""
from __future__ import annotations

import uuid

import pytest

from shared.contracts.identity import sign_in_url
from shared.rpc import RpcPool
from tests.integration.browser import PageChecks, phone
from tests.integration.conftest import Gateway

pytestmark = pytest.mark.browser


def test_an_organizer_makes_a_forum_publishes_over_a_clash_approves_and_reads_the_needs(stack):
    settings = stack.settings
    gateway, suffix = Gateway(settings), uuid.uuid4().hex[:6]
    other = gateway.new_event(kind="negotiation", title={"ja": f"省庁交渉 {suffix}"}, region="kanto",
                              starts_at="2027-10-02T14:00:00", ends_at="2027-10-02T17:00:00")
    assert gateway.publish(other["id"]).status_code == 200
    organizer = f"tokai-{suffix}@example.org"
    pool = RpcPool.for_operator(settings)
    try:
        with pool.services() as rpc:
            rpc.members.add_account({"email": organizer, "grants": [{"role": "organizer", "regions": ["chubu-tokai"]}]})
            link = sign_in_url(settings.gateway_url, rpc.members.issue_sign_in_link(organizer, "ja"))
    finally:
        pool.close()
    title = f"全国フォーラム東海 {suffix}"

    with phone(settings.gateway_url, locale="ja-JP") as (page, visits):
        checks = PageChecks(page, visits)
        page.goto(link)
        page.get_by_role("button").click()
        page.goto(f"{settings.gateway_url}/")
        page.get_by_role("link", name="管理", exact=True).click()  # the header shows organizers the console
        checks.check("console")
        page.get_by_role("link", name="新しいイベント").click()
        page.get_by_label("種類").first.select_option("national_forum")
        page.get_by_label("タイトル（日本語）").first.fill(title)
        page.get_by_label("地域").select_option("chubu-tokai")
        page.get_by_label("市区町村").fill("名古屋市")
        page.get_by_label("会場").fill("中京大学")
        page.locator("#starts_at").fill("2027-10-02T13:00")
        page.locator("#ends_at").fill("2027-10-03T16:00")
        page.get_by_label("定員（空欄：制限なし）").fill("300")
        page.get_by_label("参加登録は主催者の承認を待つ").check()
        for row, (name, day) in enumerate([("第1分科会 移住女性", "03"), ("第2分科会 技能実習生", "03")]):
            page.locator(f"#session_{row}_title").fill(name)
            page.locator(f"#session_{row}_starts_at").fill(f"2027-10-{day}T09:30")
            page.locator(f"#session_{row}_ends_at").fill(f"2027-10-{day}T12:00")
        checks.check("new event")
        page.get_by_role("button", name="イベントを作る（下書き）").click()
        assert page.locator("h1").inner_text() == title
        assert f"省庁交渉 {suffix}" in page.inner_text("#clashes ~ ul, main")  # the clash, named
        checks.check("the draft")
        page.get_by_role("button", name="公開する").click()  # not without saying so
        assert page.locator(".notice").is_visible()
        page.get_by_label("上記の重なりを承知で公開する").check()
        page.get_by_role("button", name="公開する").click()
        assert "公開中" in page.inner_text(".kind")
        event_id = page.url.rstrip("/").split("/")[-1]

        forum = gateway.http.get(f"/events/{event_id}").json()
        sub_session = forum["sessions"][0]["id"]
        pending = gateway.http.post(f"/events/{event_id}/registrations", json={
            "display_name": "Lan", "email": f"lan-{suffix}@example.org", "session_ids": [sub_session],
            "needs": {"interpretation": [{"source": "ja", "target": "vi"}], "childcare": 1}})
        assert pending.status_code == 201 and pending.json()["status"] == "pending", pending.text
        page.reload()
        assert "主催者の確認待ち" in page.inner_text("#registrations ~ ul, main")
        checks.check("a registration waits")
        page.get_by_role("button", name="承認").click()
        assert "確定" in page.inner_text("main") or "確保中" in page.inner_text("main")
        with page.expect_download() as download:
            page.get_by_role("link", name="CSVでダウンロード（Excel）").click()
        csv = download.value.path().read_bytes().decode("utf-8-sig")
        assert f"lan-{suffix}@example.org" in csv
        needs = page.inner_text("table.needs")
        assert "第1分科会 移住女性" in needs and "ja>vi: 1" in needs
        checks.check("approved, needs")
        page.locator("#status").select_option("pending")  # the filter: no one is pending any more
        page.get_by_role("button", name="表示", exact=True).click()
        assert "まだ参加登録はありません。" in page.inner_text("main") and "Lan" not in page.inner_text("main")
        page.goto(f"{settings.gateway_url}/console/events/{event_id}")
        page.get_by_role("button", name="この参加登録を取り消す").click()
        assert "キャンセル済み" in page.locator("li", has_text="Lan").inner_text()
        checks.check("a registration cancelled")
        page.get_by_label("中止の理由（参加者とカレンダーに表示されます）").fill("台風のため")
        page.get_by_role("button", name="イベントを中止する").click()
        assert "中止" in page.inner_text(".kind")
        checks.check("cancelled")
    checks.assert_passed()
    (registration,) = gateway.http.get(f"/events/{event_id}/registrations").json()
    assert registration["status"] == "cancelled"  # by the organizer, before the event was cancelled
    cancelled = gateway.http.get(f"/events/{event_id}").json()
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "台風のため")
