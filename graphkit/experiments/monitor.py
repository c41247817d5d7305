"""Replaying an experiment look by look: fixed-horizon and always-valid results side by side.

At each look (e.g. every day) the analysis sees only the users assigned and the events
recorded so far. For every metric × treatment the look shows the fixed-horizon p-value
and CI (valid only if this were the one planned look) next to the always-valid p-value
and confidence sequence of :func:`graphkit.experiments.inference.sequential`; the
always-valid p-value is the running minimum over the looks so far, which stays valid
under continuous monitoring. The sequences are shown per look, not intersected: while
users' post windows are still filling, a per-user metric grows from look to look, so
the quantity estimated drifts and an intersection could exclude its final value (under
"no effect at all" the null holds at every look, so the error control is unaffected).
``sequential_significant`` marks looks at which the sequential test rejects;
``naive_significant`` shows what stopping at a fixed-horizon ``p < alpha`` would do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from graphkit.experiments.analysis import Comparison, ExperimentAnalysis
from graphkit.experiments.inference import Estimate, Interval, sequential


@dataclass(frozen=True)
class Look:
    """One metric × treatment at one look."""

    look: int
    at: str
    metric: str
    treatment: str
    n: int
    estimate: float | None
    ci: Interval | None
    p_value: float | None
    sequence: Interval | None
    always_valid_p: float | None
    naive_significant: bool
    sequential_significant: bool


@dataclass(frozen=True)
class MonitorResult:
    """Every look of an experiment replay (see the module docstring)."""

    experiment: str | None
    every_days: float
    alpha: float
    tuning: int
    looks: tuple[Look, ...]
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "look": item.look,
                    "at": item.at,
                    "metric": item.metric,
                    "treatment": item.treatment,
                    "n": item.n,
                    "estimate": item.estimate,
                    "ci_low": None if item.ci is None else item.ci[0],
                    "ci_high": None if item.ci is None else item.ci[1],
                    "p_value": item.p_value,
                    "cs_low": None if item.sequence is None else item.sequence[0],
                    "cs_high": None if item.sequence is None else item.sequence[1],
                    "always_valid_p": item.always_valid_p,
                    "naive_significant": item.naive_significant,
                    "sequential_significant": item.sequential_significant,
                }
                for item in self.looks
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "every_days": self.every_days,
            "alpha": self.alpha,
            "sequential_tuning": self.tuning,
            "looks": self.to_frame()
            .astype(object)
            .where(self.to_frame().notna(), None)
            .to_dict(orient="records"),
            "notes": list(self.notes),
        }


def _per_user(estimate: Estimate | None, interval: Interval | None) -> Interval | None:
    """An interval on the estimate's scale as a per-user difference."""
    if estimate is None or interval is None:
        return None
    low, high = estimate.absolute(interval[0]), estimate.absolute(interval[1])
    return None if low is None or high is None else (low, high)


def chosen_estimate(item: Comparison) -> Estimate | None:
    """The estimate the verdict of ``item`` used (CUPED, regression or the row's own)."""
    if item.verdict is None:
        return None
    return {
        "CUPED": item.cuped_estimate,
        "regression": item.regression_estimate,
    }.get(item.verdict.adjustment, item.estimate)


def replay(
    analyses: Sequence[tuple[str, ExperimentAnalysis]],
    *,
    tuning: int,
    every_days: float,
    experiment: str | None = None,
    notes: Sequence[str] = (),
) -> MonitorResult:
    """Looks from fixed-horizon analyses taken at successive times (``(time, analysis)``).

    The analyses must be fixed-horizon (``sequential=False``); the always-valid numbers
    are computed here from the same estimates (the p-value as a running minimum).
    """
    looks: list[Look] = []
    best_p: dict[tuple[str, str], float] = {}
    alpha = analyses[0][1].alpha if analyses else 0.05
    for number, (at, analysis) in enumerate(analyses, start=1):
        for item in analysis.comparisons:
            key = (item.metric, item.treatment)
            estimate = chosen_estimate(item)
            n = item.n_control + item.n_treatment
            ci = p_value = seq = valid_p = None
            if estimate is not None:
                ci = estimate.ci(alpha)
                p_value = estimate.p_value()
                look = sequential(estimate, n, alpha, tuning)
                valid_p = min(best_p.get(key, 1.0), look.p_value)
                best_p[key] = valid_p
                seq = look.interval
            elif key in best_p:
                valid_p = best_p[key]
            looks.append(
                Look(
                    look=number,
                    at=at,
                    metric=item.metric,
                    treatment=item.treatment,
                    n=n,
                    estimate=None if estimate is None else estimate.absolute(estimate.value),
                    ci=_per_user(estimate, ci),
                    p_value=p_value,
                    sequence=_per_user(estimate, seq),
                    always_valid_p=valid_p,
                    naive_significant=p_value is not None and p_value < alpha,
                    sequential_significant=valid_p is not None and valid_p < alpha,
                )
            )
    return MonitorResult(experiment, every_days, alpha, tuning, tuple(looks), tuple(notes))
