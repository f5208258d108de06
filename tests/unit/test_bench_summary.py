"""The table `make bench` ends with says pass or FAIL by each figure's own goal."""
from __future__ import annotations

from bench import feeds, gateway
from bench.summary import NO_GOAL, Figure, Goal, table


def test_a_figure_passes_or_fails_by_its_goal_in_either_direction():
    assert Figure("x", Goal(at_least=0.8), 0.8).verdict == "pass"
    assert Figure("x", Goal(at_least=0.8), 0.79).verdict == "FAIL"
    assert Figure("x", Goal(at_most=2.5), 2.6).verdict == "FAIL"
    assert Figure("x", NO_GOAL, 0.5).verdict == "(reported)"


def test_the_table_has_one_line_per_figure_with_goal_value_and_result():
    lines = table([Figure("registrations / echo", gateway.GOALS["register"], 0.36),
                   Figure("feed, one event changed / bare full build", feeds.GOALS["one_change"], 0.019)]).splitlines()
    assert len(lines) == 4
    assert lines[2].split()[-3:] == ["0.75", "0.360", "FAIL"]
    assert lines[3].split()[-3:] == ["0.1", "0.019", "pass"]

