"""The members service's pure rules: the annual report's counts and how names are compared."""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from services.members import domain
from services.members.domain import Holding
from shared.errors import Conflict

OLD_YEAR = (date(2030, 4, 1), date(2031, 6, 30))   # fiscal 2030 with its grace until 30 June
NEW_YEAR = (date(2031, 4, 1), date(2032, 6, 30))   # the renewal, from 1 April
REPORT_DAY = date(2031, 5, 31)                     # inside both


def test_the_report_counts_each_members_units_once_however_their_periods_overlap():
    """The 2011 report's style: "Individual: 325 (331)" — 325 members holding 331 units."""
    ids = (f"person-{n}" for n in itertools.count())
    holdings = []

    def member(*periods):
        member_id = next(ids)
        holdings.extend(Holding(member_id, "individual", "member", units, *dates) for units, dates in periods)

    for _ in range(218):
        member((1, NEW_YEAR))                          # joined this year
    for _ in range(100):
        member((1, OLD_YEAR), (1, NEW_YEAR))           # renewed during the grace period
    for _ in range(6):
        member((2, OLD_YEAR), (2, NEW_YEAR))           # two units, renewed
    member((2, OLD_YEAR), (1, NEW_YEAR))               # renewed with one unit instead of two
    member((1, (date(2030, 4, 1), date(2031, 3, 31))))  # left at the end of the year
    holdings.append(Holding("person-0", "individual", "subscriber", 3, *NEW_YEAR))  # the magazine counts apart
    row = domain.stats_on(holdings, REPORT_DAY, "individual")
    assert (row.members, row.units) == (325, 331)
    assert (row.subscribers, row.subscriptions) == (1, 3)
    before = domain.stats_on(holdings, date(2030, 5, 31), "individual")
    assert (before.members, before.units) == (108, 115)


def test_a_group_renewing_in_its_grace_period_is_one_member_with_its_units():
    holdings = [Holding("g", "group", "member", 2, *OLD_YEAR), Holding("g", "group", "member", 2, *NEW_YEAR)]
    row = domain.stats_on(holdings, REPORT_DAY, "group")
    assert (row.members, row.units) == (1, 2)
    assert domain.stats_on(holdings, date(2031, 7, 1), "group").units == 2
    assert domain.stats_on(holdings, date(2031, 3, 1), "group").units == 2


def test_one_period_per_type_and_first_day():
    period = {"type": "member", "units": 2, "starts_on": "2031-04-01", "ends_on": "2032-06-30", "fiscal_year": 2031,
              "dues_status": "paid", "renewal_due_on": None}
    domain.check_same_period("m-1", period, dict(period))
    with pytest.raises(Conflict) as clash:
        domain.check_same_period("m-1", period, {**period, "units": 3})
    assert "m-1" in clash.value.detail and "2031-04-01" in clash.value.detail and clash.value.field == "units"


@pytest.mark.parametrize("typed, stored", [("カラバオ", "ｶﾗﾊﾞｵの会"), ("からばお", "カラバオの会"), ("KALABAW", "Kalabaw-no-kai"),
                                           ("ｋａｌａｂａｗ", "Kalabaw-no-kai"), ("カラバオ", "カラハ\u3099オの会")])
def test_search_compares_width_case_and_kana_alike(typed, stored):
    assert all(word in domain.search_text({"ja": stored}, None) for word in domain.search_words(typed))


def test_group_names_match_whatever_their_width_and_spaces():
    assert domain.name_key("ｶﾗﾊﾞｵの会") == domain.name_key("カラバオ の会") == domain.name_key("カラバオ\u3000の会")
    assert domain.name_key("カラバオの会") != domain.name_key("カラバオ会")
