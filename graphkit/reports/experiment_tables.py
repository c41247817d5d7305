"""The ``ab`` results as the tables a person reads: formatted cells, titles, captions.

Pure arrangement of result objects (:mod:`graphkit.experiments.results`): every function
returns :class:`TableView` objects (a frame of display strings, a title, a caption) and
the CLI draws them. Numbers are shown to 4 significant digits, p-values to 3, relative
effects as signed percentages; "—" marks a value that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from graphkit.experiments.analysis import ExperimentAnalysis, SrmSummary
    from graphkit.experiments.results import (
        AAReport,
        AnalysisReport,
        PowerPlan,
        SegmentReport,
        SurvivalReport,
    )


@dataclass(frozen=True)
class TableView:
    """One table to show: its cells, title, caption, and the width its first column keeps
    (metric names are what the reader looks for: never cut them short)."""

    frame: pd.DataFrame
    title: str | None = None
    caption: str | None = None
    first_column_width: int | None = None


SHORT_TEST_NAMES = {
    "Welch two-sample t-test": "Welch t",
    "Student two-sample t-test": "Student t",
    "Mann–Whitney U test": "Mann–Whitney",
    "negative-binomial regression (NB2)": "neg. binomial",
    "Poisson regression": "Poisson",
    "two-proportion z-test (pooled)": "z-test",
    "chi-square test with Yates' continuity correction": "χ² (Yates)",
}
SHORT_CORRECTIONS = {"Benjamini–Hochberg": "BH"}


def fmt(value: float | None, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits, "—" when missing.

    Examples
    --------
    >>> fmt(3.14159), fmt(None), fmt(0.000123456, 3)
    ('3.142', '—', '0.000123')
    """
    return "—" if value is None else f"{value:.{digits}g}"


def ci(interval: tuple[float, float] | None, digits: int = 4) -> str:
    return "—" if interval is None else f"[{interval[0]:.{digits}g}, {interval[1]:.{digits}g}]"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2%}"


def pct_ci(interval: tuple[float, float] | None) -> str:
    return "—" if interval is None else f"[{interval[0]:+.2%}, {interval[1]:+.2%}]"


def _short(correction: str) -> str:
    return SHORT_CORRECTIONS.get(correction, correction)


def _two(top: str, bottom: str) -> str:
    """A cell on two lines keeps tables narrow enough for an 80-column terminal."""
    return f"{top}\n{bottom}"


def _value(value: Any) -> float | None:
    """None for a missing cell (pandas turns None into NaN)."""
    return None if value is None or value != value else float(value)


def _interval(low: Any, high: Any) -> tuple[float, float] | None:
    low, high = _value(low), _value(high)
    return None if low is None or high is None else (low, high)


def _covariate_names(columns: tuple[str, ...]) -> str:
    """``community_1, community_2, …`` (dummies) shown as ``community (2 dummies)``."""
    groups: dict[str, int] = {}
    for column in columns:
        base, _, level = column.rpartition("_")
        name = base if base and level.isdigit() else column
        groups[name] = groups.get(name, 0) + 1
    return ", ".join(
        name if count == 1 else f"{name} ({count} dummies)" for name, count in groups.items()
    )


# ------------------------------------------------------------------------- analyze


def srm_view(srm: SrmSummary) -> TableView:
    frame = pd.DataFrame(
        {
            "variant": list(srm.observed),
            "users": list(srm.observed.values()),
            "expected": [round(srm.expected[name], 1) for name in srm.observed],
        }
    )
    verdict = "MISMATCH — do not trust the results" if srm.flag else "ok"
    caption = f"χ² = {srm.chi2:.3f}, df = {srm.df}, p = {srm.p_value:.3g}: {verdict}"
    return TableView(frame, "Sample ratio check (SRM)", caption)


def effect_views(result: ExperimentAnalysis, caption: str, title: str) -> list[TableView]:
    """Effects (one row per metric × treatment), then CUPED and regression adjustment."""
    several = len({item.treatment for item in result.comparisons}) > 1
    label = {
        id(item): _two(item.metric, item.treatment) if several else item.metric
        for item in result.comparisons
    }
    effects = pd.DataFrame(
        [
            {
                "metric": label[id(item)],
                "n ctrl\ntrt": _two(str(item.n_control), str(item.n_treatment)),
                "mean ctrl\ntrt": _two(fmt(item.mean_control), fmt(item.mean_treatment)),
                "diff\n[CI]": _two(fmt(item.diff, 4), ci(item.diff_ci)),
                "relative\n[CI]": _two(pct(item.rel_diff), pct_ci(item.rel_ci)),
                "test": SHORT_TEST_NAMES.get(item.test or "", item.test or "—"),
                "p\np adj": _two(fmt(item.p_value, 3), fmt(item.p_adjusted, 3)),
            }
            for item in result.comparisons
        ]
    )
    if any(item.bootstrap_ci is not None for item in result.comparisons):
        effects.insert(4, "bootstrap\nCI", [ci(item.bootstrap_ci) for item in result.comparisons])
    width = max(len(line) for text in label.values() for line in text.split("\n"))
    views = [TableView(effects, title, caption, first_column_width=width)]
    with_cuped = [item for item in result.comparisons if item.cuped is not None]
    if with_cuped:
        cuped_rows = pd.DataFrame(
            [
                {
                    "metric": label[id(item)],
                    "θ": fmt(item.cuped.theta, 3),
                    "diff\n[CI]": _two(fmt(item.cuped.diff), ci(item.cuped.diff_ci)),
                    "p": fmt(item.cuped.p_value, 3),
                    "variance\nreduction": "—"
                    if item.cuped.variance_reduction is None
                    else f"{item.cuped.variance_reduction:.0%}",
                }
                for item in with_cuped
                if item.cuped is not None
            ]
        )
        views.append(
            TableView(cuped_rows, "CUPED (pre-period covariate)", "θ = cov(Y, X) / var(X)")
        )
    adjusted = [item for item in result.comparisons if item.regression is not None]
    if adjusted:
        regression_rows = pd.DataFrame(
            [
                {
                    "metric": label[id(item)],
                    "covariates": _covariate_names(item.regression.covariates),
                    "diff\n[CI]": _two(fmt(item.regression.estimate), ci(item.regression.ci)),
                    "p": fmt(item.regression.p_value, 3),
                    "R²": fmt(item.regression.r_squared, 3),
                }
                for item in adjusted
                if item.regression is not None
            ]
        )
        method = adjusted[0].regression.method if adjusted[0].regression else ""
        views.append(TableView(regression_rows, "Regression adjustment", method))
    return views


def verdict_view(result: ExperimentAnalysis) -> TableView:
    """The verdicts as the library lays them out (ExperimentAnalysis.to_frame)."""
    frame = result.to_frame()
    shown = pd.DataFrame(
        {
            "metric": frame["metric"] + "\n" + frame["treatment"],
            "role\nmodel": frame["role"].fillna("—") + "\n" + frame["adjustment"].fillna("—"),
            "effect\n[CI]": [
                _two(fmt(_value(row.estimate)), ci(_interval(row.ci_low, row.ci_high)))
                for row in frame.itertuples()
            ],
            "relative": [pct(_value(v)) for v in frame["relative"]],
            "p\np adj": [
                _two(fmt(_value(p), 3), fmt(_value(q), 3))
                for p, q in zip(frame["p_value"], frame["p_adjusted"], strict=True)
            ],
            "MDE\n(80%)": [
                "—" if v is None or v != v else f"±{abs(v):.1%}" for v in frame["mde_relative"]
            ],
            "P(win)": ["—" if v is None or v != v else f"{v:.1%}" for v in frame["chance_to_win"]],
            # "—" read as "no data" for a test that ran and found nothing: say which.
            "verdict": [
                (g if isinstance(g, str) else "not tested")
                if role == "guardrail"
                else "significant"
                if sig
                else "no test"
                if _value(p) is None
                else "not significant"
                for role, sig, g, p in zip(
                    frame["role"],
                    frame["significant"],
                    frame["guardrail"],
                    frame["p_value"],
                    strict=True,
                )
            ],
        }
    )
    return TableView(shown, "Verdicts", "one model per row; MDE = effect detectable with 80% power")


def analysis_views(report: AnalysisReport, alpha: float) -> list[TableView]:
    """``ab analyze``: SRM, effects (with CUPED and regression), verdicts."""
    result, data = report.analysis, report.data
    windows = (
        f"post window {data.post_days:g} days, pre window {data.pre_days:g} days; "
        if data.post_days is not None and data.pre_days is not None
        else ""
    )
    caption = f"{windows}{int(100 * (1 - alpha))}% CIs; p-values adjusted with {result.correction}"
    title = (
        f"Experiment {result.experiment}" if result.experiment else f"Experiment ({data.source})"
    )
    return [srm_view(result.srm), *effect_views(result, caption, title), verdict_view(result)]


def analysis_sentences(result: ExperimentAnalysis) -> list[str]:
    """The verdicts in words, then the guardrails' summary."""
    lines = [item.sentence for item in result.comparisons if item.sentence]
    guardrails = result.guardrail_summary()
    if guardrails:
        lines.append(guardrails.capitalize() + ".")
    return lines


def analysis_notes(result: ExperimentAnalysis) -> list[str]:
    return [
        *result.notes,
        *(
            f"{item.metric} ({item.treatment}): {note}"
            for item in result.comparisons
            for note in item.notes
        ),
    ]


# ------------------------------------------------------------------------- segments


def segment_views(report: SegmentReport) -> list[TableView]:
    """``ab segments``: SRM, then one table per metric × treatment × split."""
    views = [srm_view(report.srm)]
    for analysis in report.analyses:
        het = analysis.heterogeneity
        frame = pd.DataFrame(
            [
                {
                    "segment": s.segment,
                    "n_ctrl": s.n_control,
                    "n_trt": s.n_treatment,
                    "diff [CI]": f"{fmt(s.diff)} {ci(s.diff_ci)}",
                    "p": fmt(s.p_value, 3),
                    f"p_adj ({_short(analysis.correction)})": fmt(s.p_adjusted, 3),
                    "power": "—"
                    if s.power is None
                    else f"{s.power:.0%}" + (" (underpowered)" if s.underpowered else ""),
                }
                for s in (*analysis.segments, analysis.overall)
            ]
        )
        caption = (
            f"Cochran's Q = {het.q:.3f}, df = {het.df}, p = {het.p_value:.3g}, I² = {het.i2:.0%}"
            if het.q is not None and het.p_value is not None and het.i2 is not None
            else "no heterogeneity test"
        )
        trend = analysis.trend
        if trend is not None and trend.q is not None and trend.p_value is not None:
            caption += f"; trend test χ² = {trend.q:.3f}, df = 1, p = {trend.p_value:.3g}"
        caption += "; power: to detect the overall effect in the segment"
        cuped_text = " (CUPED)" if analysis.covariate else ""
        title = (
            f"{analysis.metric}{cuped_text} by {analysis.by}: "
            f"{analysis.treatment} vs {analysis.control}"
        )
        views.append(TableView(frame, title, caption))
    return views


def segment_notes(report: SegmentReport) -> list[str]:
    notes = list(report.notes)
    for analysis in report.analyses:
        prefix = f"{analysis.metric} by {analysis.by}: "
        notes += [prefix + note for note in (*analysis.notes, *analysis.heterogeneity.notes)]
    return notes


# ------------------------------------------------------------------------- aa, power, survival


def aa_view(report: AAReport) -> TableView:
    rows = report.rows()
    shown = pd.DataFrame(
        {
            "metric": [r["metric"] for r in rows],
            "false positives": [f"{r['false_positive_rate']:.2%}" for r in rows],
            "95% CI": [f"[{r['ci'][0]:.2%}, {r['ci'][1]:.2%}]" for r in rows],
            "alpha": [f"{r['alpha']:g}" for r in rows],
            "splits": [r["n_simulations"] for r in rows],
            "calibrated": ["yes" if r["calibrated"] else "NO" for r in rows],
        }
    )
    caption = (
        f"{report.n_users} users; 95% Clopper–Pearson intervals; "
        "calibrated = alpha inside the interval"
    )
    return TableView(shown, "A/A false-positive rate", caption)


def power_view(plan: PowerPlan) -> TableView:
    return TableView(plan.to_frame(), "Power", plan.result.formula)


def survival_view(report: SurvivalReport) -> TableView:
    result = report.comparison
    frame = pd.DataFrame(
        {
            "variant": [str(g) for g in result.groups],
            "n": [result.n[g] for g in result.groups],
            "events": [result.events[g] for g in result.groups],
            "median": [fmt(result.median_survival[g]) for g in result.groups],
        }
    )
    caption = (
        f"log-rank χ² = {result.chi2:.4g}, df = {result.df}, p = {result.p_value:.3g}"
        if result.chi2 is not None and result.p_value is not None
        else "no log-rank test"
    )
    return TableView(frame, f"Survival ({report.time_label})", caption)


# ------------------------------------------------------------------------- design, spillover


def design_frame(diagnostics: dict[str, Any]) -> pd.DataFrame:
    """``ab design``: its diagnostics (the ``diagnostics`` of its JSON) as rows to read."""

    rows: list[tuple[str, str]] = [
        ("ties", str(diagnostics["ties"])),
        ("share of ties crossing arms", _share(diagnostics["crossing_share"])),
        (
            "share of treated users' ties into other arms",
            _share(diagnostics["treated_crossing_share"]),
        ),
    ]
    for arm, values in diagnostics["arms"].items():
        rows.append(
            (
                f"{arm}: users (share), mean degree",
                f"{values['users']} ({values['share']:.1%}), {values['mean_degree']:.2f}",
            )
        )
    sizes = diagnostics["cluster_sizes"]
    if sizes:
        rows.append(
            (
                "cluster sizes: count, min / median / max",
                f"{sizes['count']}, {sizes['min']} / {sizes['median']:g} / {sizes['max']}",
            )
        )
        rows.append(("size-weighted mean cluster size", f"{sizes['weighted_mean']:.2f}"))
    rows.append(
        (f"design effect (ICC {diagnostics['icc']:g})", f"{diagnostics['design_effect']:.3f}")
    )
    return pd.DataFrame(rows, columns=["diagnostic", "value"])


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def spillover_view(report: Any, first: str = "hajek") -> TableView:
    """``ab spillover``: the estimates with the ``first`` estimator's rows on top.

    ``report`` is a :class:`graphkit.workflows.network_experiments.SpilloverReport` (not
    imported: reports never import the workflows above them).
    """
    order = {first: 0}
    frame = report.to_frame().sort_values(
        "estimator", key=lambda s: s.map(lambda e: order.get(e, 1)), kind="mergesort"
    )
    counts = ", ".join(f"{c.condition} {c.n}" for c in report.estimate.conditions)
    caption = (
        f"{report.design['kind']} design, exposure {report.exposure} ({report.direction}); "
        f"users per condition: {counts}; {report.estimate.trimmed} trimmed"
    )
    return TableView(frame, f"Spillover on {report.metric}", caption)
