"""The table `make bench` ends with: each figure, its goal, what this run measured (the median of its
rounds), the rounds' spread, and whether it met the goal. The goals are the benchmarks' own (each
module's GOALS): written once, printed beside their figure while it runs and here at the end."""
from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    at_least: float | None = None
    at_most: float | None = None

    def met_by(self, value: float) -> bool:
        return (self.at_least is None or value >= self.at_least) and (self.at_most is None or value <= self.at_most)

    def __str__(self) -> str:
        if self.at_least is not None:
            return f"≥ {self.at_least:g}"
        if self.at_most is not None:
            return f"≤ {self.at_most:g}"
        return "—"


NO_GOAL = Goal()


@dataclass(frozen=True)
class Figure:
    name: str
    goal: Goal
    rounds: tuple[float, ...]  # one value per round; a figure measured once has one

    @property
    def value(self) -> float:
        return statistics.median(self.rounds)

    @property
    def spread(self) -> str:
        """The rounds' range, as a share of their median: how far apart the same measurement came out."""
        if len(self.rounds) < 2:
            return "1 round"
        relative = (max(self.rounds) - min(self.rounds)) / self.value if self.value else 0.0
        return f"{min(self.rounds):.3f}–{max(self.rounds):.3f} (±{relative * 50:.0f}%, {len(self.rounds)})"

    @property
    def verdict(self) -> str:
        if self.goal == NO_GOAL:
            return "(reported)"
        return "pass" if self.goal.met_by(self.value) else "FAIL"


def table(figures: list[Figure]) -> str:
    width = max(len(figure.name) for figure in figures)
    spread = max(len(figure.spread) for figure in figures)
    lines = [f"{'figure':<{width}}  {'goal':>8}  {'median':>9}  {'rounds (spread, n)':<{spread}}  result",
             "-" * (width + spread + 37)]
    lines += [f"{figure.name:<{width}}  {figure.goal!s:>8}  {figure.value:>9.3f}  {figure.spread:<{spread}}  "
              f"{figure.verdict}" for figure in figures]
    return "\n".join(lines)
