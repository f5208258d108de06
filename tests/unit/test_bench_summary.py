"""The table `make bench` ends with says pass or FAIL by each figure's own goal, for the median of its
rounds, with the rounds' spread beside it."""
from __future__ import annotations

from bench import feeds, gateway
from bench.summary import NO_GOAL, Figure, Goal, table


def test_a_figure_passes_or_fails_by_its_goal_in_either_direction():
    assert Figure("x", Goal(at_least=0.8), (0.8,)).verdict == "pass"
    assert Figure("x", Goal(at_least=0.8), (0.79,)).verdict == "FAIL"
    assert Figure("x", Goal(at_most=2.5), (2.6,)).verdict == "FAIL"
    assert Figure("x", NO_GOAL, (0.5,)).verdict == "(reported)"


def test_a_figure_is_the_median_of_its_rounds_and_says_how_far_apart_they_came_out():
    figure = Figure("x", Goal(at_least=0.75), (0.9, 0.5, 0.7))
    assert figure.value == 0.7 and figure.verdict == "FAIL"  # not the best round
    assert figure.spread == "0.500–0.900 (±29%, 3)"
    assert Figure("x", NO_GOAL, (1.0,)).spread == "1 round"


def test_the_table_has_one_line_per_figure_with_goal_median_spread_and_result():
    lines = table([Figure("registrations / echo", gateway.GOALS["register"], (0.36, 0.34, 0.38)),
                   Figure("feed, one event changed / bare full build", feeds.GOALS["one_change"], (0.019,))]
                  ).splitlines()
    assert len(lines) == 4
    assert lines[2].split()[-7:] == ["≥", "0.75", "0.360", "0.340–0.380", "(±6%,", "3)", "FAIL"]
    assert lines[3].split()[-6:] == ["≤", "0.1", "0.019", "1", "round", "pass"]
