"""The A/B experiment report: SRM, metrics, CUPED, graph segments, survival, in words.

Every number comes from the experiment workflows (:mod:`graphkit.workflows.experiments`);
this module only arranges them (:class:`ExperimentResults`) into a
:class:`~graphkit.reports.document.Report` (:func:`experiment_document`). The rules of
the summary sentences:

* **SRM** first: the split is "as planned" when the χ² goodness-of-fit p-value is at or
  above the threshold (0.001 by default), otherwise the report warns that no comparison
  should be trusted until the cause is found.
* A metric **moved** when its p-value, adjusted across every metric × treatment with the
  chosen correction (Holm by default), is below alpha. Both moved and unmoved metrics
  are stated with the relative change and the CI of the difference.
* **CUPED** (the pre-period value of each metric as covariate) is reported beside the
  unadjusted result, with its variance reduction; its p-value is not corrected.
* The effect **differs by graph position** when Cochran's Q test across the segments
  (degree deciles, influencers vs others) has p < alpha; segments without a standard
  error are left out of Q (the workflow notes say which).
* **Survival**: Kaplan–Meier time to churn (no event for ``churn_days`` days) per arm and
  the log-rank test; "the arms differ" when its p < alpha.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.figure
import pandas as pd

from graphkit.reports import experiment_plots
from graphkit.reports.document import Bullets, Fact, Figure, Paragraph, Report, Section, Table

if TYPE_CHECKING:  # only read: importing lifelines is slow
    from graphkit.experiments.analysis import Comparison, ExperimentAnalysis
    from graphkit.experiments.segments import SegmentAnalysis
    from graphkit.experiments.survival import SurvivalComparison
    from graphkit.workflows.experiments import ExperimentData, SegmentReport

SEGMENT_WORDS = {
    "degree": "degree decile",
    "influencer": "influencer status",
    "community": "community",
}


@dataclass(frozen=True)
class ExperimentResults:
    """What the experiment report shows, as the workflows returned it.

    ``survival`` is None when time to churn could not be compared; ``survival_note``
    then says why.
    """

    data: ExperimentData
    analysis: ExperimentAnalysis
    segments: SegmentReport
    survival: SurvivalComparison | None
    churn_days: float
    survival_note: str | None = None


# ------------------------------------------------------------------------------ words


def slug(*parts: str) -> str:
    """A figure or table name from free text (metric names may hold any character)."""
    return re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_") or "x"


def number(value: float | None, digits: int = 3) -> str:
    """Signed, readable: ``+1,012`` for large values, 3 significant digits otherwise."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.{digits}g}"


def p_text(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return "< 0.0001" if value < 0.0001 else f"{value:.3g}"


def significant(item: Comparison, alpha: float) -> bool:
    return item.p_adjusted is not None and item.p_adjusted < alpha


def srm_sentence(analysis: ExperimentAnalysis) -> str:
    srm = analysis.srm
    counts = ", ".join(f"{arm} {n:,}" for arm, n in srm.observed.items())
    if srm.flag:
        return (
            f"Sample ratio mismatch: the arms ({counts}) are not the planned split "
            f"(χ² = {srm.chi2:.2f}, p = {p_text(srm.p_value)} < {srm.threshold:g}). "
            "Do not trust the comparisons below until the cause is found."
        )
    return (
        f"The split is as planned ({counts}; SRM χ² = {srm.chi2:.2f}, "
        f"p = {p_text(srm.p_value)} ≥ {srm.threshold:g})."
    )


def metric_sentence(item: Comparison, analysis: ExperimentAnalysis) -> str:
    level = f"{1 - analysis.alpha:.0%}"
    change = (
        f"{100 * item.rel_diff:+.1f}%"
        if item.rel_diff is not None and math.isfinite(item.rel_diff)
        else "n/a"
    )
    interval = (
        f"{level} CI {number(item.diff_ci[0])} to {number(item.diff_ci[1])}"
        if item.diff_ci is not None
        else "no CI"
    )
    verdict = (
        "significant" if significant(item, analysis.alpha) else "not significant"
    ) + f" after {analysis.correction} correction (adjusted p = {p_text(item.p_adjusted)})"
    sentence = (
        f"{item.metric}: {item.treatment} {change} against {item.control} "
        f"({number(item.diff)} per user, {interval}); {verdict}."
    )
    cuped = item.cuped
    if cuped is not None and cuped.diff is not None:
        reduction = (
            f", variance reduced by {cuped.variance_reduction:.0%}"
            if cuped.variance_reduction is not None
            else ""
        )
        sentence += f" With CUPED: {number(cuped.diff)} (p = {p_text(cuped.p_value)}{reduction})."
    return sentence


def heterogeneity_sentence(by: str, analyses: Sequence[SegmentAnalysis], alpha: float) -> str:
    """One sentence per segmentation: for which metrics the effect differs."""
    words = SEGMENT_WORDS.get(by, by)
    differs, same, untested = [], [], []
    for item in analyses:
        label = (
            item.metric
            if len({a.treatment for a in analyses}) == 1
            else (f"{item.metric} ({item.treatment})")
        )
        p = item.heterogeneity.p_value
        if p is None:
            untested.append(label)
        elif p < alpha:
            differs.append(f"{label} (Cochran's Q p = {p_text(p)})")
        else:
            same.append(f"{label} (p = {p_text(p)})")
    parts = []
    if differs:
        parts.append(f"the effect differs by {words} for {', '.join(differs)}")
    if same:
        parts.append(f"no evidence that it differs for {', '.join(same)}")
    if untested:
        parts.append(
            f"no heterogeneity test for {', '.join(untested)} (fewer than two segments "
            "with a standard error)"
        )
    text = "; ".join(parts)
    return f"By {words}: {text}."


def survival_sentence(results: ExperimentResults) -> str:
    comparison = results.survival
    churn = f"no event for {results.churn_days:g} days"
    if comparison is None:
        return f"Time to churn ({churn}) was not compared: {results.survival_note}."
    medians = ", ".join(
        f"{group} {value:.1f} days" if value is not None else f"{group} not reached"
        for group, value in comparison.median_survival.items()
    )
    if comparison.p_value is None:
        return f"Time to churn ({churn}): median {medians}; no log-rank test."
    verdict = (
        "the arms differ"
        if comparison.p_value < comparison.alpha
        else "no evidence the arms differ"
    )
    return (
        f"Time to churn ({churn}): median {medians}; log-rank p = "
        f"{p_text(comparison.p_value)}, {verdict}."
    )


def summary(results: ExperimentResults) -> list[str]:
    """Plain sentences, every number taken from the results."""
    analysis = results.analysis
    moved = [c for c in analysis.comparisons if significant(c, analysis.alpha)]
    headline = (
        f"{len(moved)} of {len(analysis.comparisons)} metric comparisons moved significantly "
        f"after {analysis.correction} correction (alpha {analysis.alpha:g})"
        + (f": {', '.join(c.metric for c in moved)}." if moved else ".")
    )
    sentences = [srm_sentence(analysis), headline]
    sentences += [metric_sentence(item, analysis) for item in analysis.comparisons]
    by_names = list(dict.fromkeys(a.by for a in results.segments.analyses))
    sentences += [
        heterogeneity_sentence(
            by, [a for a in results.segments.analyses if a.by == by], analysis.alpha
        )
        for by in by_names
    ]
    sentences.append(survival_sentence(results))
    return sentences


# ------------------------------------------------------------------------------ tables


def _low(interval: tuple[float, float] | None) -> float | None:
    return interval[0] if interval is not None else None


def _high(interval: tuple[float, float] | None) -> float | None:
    return interval[1] if interval is not None else None


def srm_table(analysis: ExperimentAnalysis) -> pd.DataFrame:
    srm = analysis.srm
    total = sum(srm.observed.values())
    return pd.DataFrame(
        [
            {
                "variant": arm,
                "users": n,
                "expected": srm.expected.get(arm),
                "share": n / total if total else math.nan,
            }
            for arm, n in srm.observed.items()
        ]
    )


def metrics_table(analysis: ExperimentAnalysis) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric": c.metric,
                "kind": c.kind,
                "treatment": c.treatment,
                "n_control": c.n_control,
                "n_treatment": c.n_treatment,
                "mean_control": c.mean_control,
                "mean_treatment": c.mean_treatment,
                "diff": c.diff,
                "ci_low": _low(c.diff_ci),
                "ci_high": _high(c.diff_ci),
                "rel_diff": c.rel_diff,
                "p_value": c.p_value,
                "p_adjusted": c.p_adjusted,
                "significant": significant(c, analysis.alpha),
                "test": c.test,
            }
            for c in analysis.comparisons
        ]
    )


def cuped_table(analysis: ExperimentAnalysis) -> pd.DataFrame:
    columns = [
        "metric",
        "treatment",
        "covariate",
        "theta",
        "correlation",
        "diff",
        "ci_low",
        "ci_high",
        "p_value",
        "variance_reduction",
    ]
    rows = [
        {
            "metric": c.metric,
            "treatment": c.treatment,
            "covariate": c.cuped.covariate,
            "theta": c.cuped.theta,
            "correlation": c.cuped.correlation,
            "diff": c.cuped.diff,
            "ci_low": _low(c.cuped.diff_ci),
            "ci_high": _high(c.cuped.diff_ci),
            "p_value": c.cuped.p_value,
            "variance_reduction": c.cuped.variance_reduction,
        }
        for c in analysis.comparisons
        if c.cuped is not None
    ]
    return pd.DataFrame(rows, columns=columns)


def segments_table(report: SegmentReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric": a.metric,
                "treatment": a.treatment,
                "by": a.by,
                "segment": s.segment,
                "n_control": s.n_control,
                "n_treatment": s.n_treatment,
                "diff": s.diff,
                "ci_low": _low(s.diff_ci),
                "ci_high": _high(s.diff_ci),
                "p_value": s.p_value,
                "p_adjusted": s.p_adjusted,
            }
            for a in report.analyses
            for s in (a.overall, *a.segments)
        ]
    )


def heterogeneity_table(report: SegmentReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric": a.metric,
                "treatment": a.treatment,
                "by": a.by,
                "cuped": a.covariate is not None,
                "q": a.heterogeneity.q,
                "df": a.heterogeneity.df,
                "p_value": a.heterogeneity.p_value,
                "i2": a.heterogeneity.i2,
                "segments_used": a.heterogeneity.segments_used,
            }
            for a in report.analyses
        ]
    )


def survival_table(comparison: SurvivalComparison) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "variant": str(group),
                "users": comparison.n[group],
                "churned": comparison.events[group],
                "median_days": comparison.median_survival.get(group),
            }
            for group in comparison.groups
        ]
    )


# ------------------------------------------------------------------------------ figures


def segment_figure(analyses: Sequence[SegmentAnalysis]) -> matplotlib.figure.Figure:
    """The forest plots of one metric × treatment, one panel per segmentation."""
    heights = [1.5 + 0.45 * (len(a.segments) + 1) for a in analyses]
    figure = matplotlib.figure.Figure(figsize=(9, sum(heights)), layout="constrained")
    axes = figure.subplots(len(analyses), 1, squeeze=False, height_ratios=heights)[:, 0]
    for analysis, ax in zip(analyses, axes, strict=True):
        experiment_plots.forest_plot(analysis, ax=ax)
    return figure


def metric_figures(results: ExperimentResults) -> list[Figure]:
    data, analysis = results.data, results.analysis
    variants = data.table[data.variant_col].astype(str)
    arms = [analysis.control, *dict.fromkeys(c.treatment for c in analysis.comparisons)]
    return [
        Figure(
            f"distribution_{slug(metric.column)}",
            experiment_plots.metric_overview(
                {arm: data.table.loc[variants == arm, metric.column] for arm in arms},
                metric=metric.column,
            ),
            caption=f"{metric.column} per arm: share of users at each value (left) and box "
            "plot (right; the dot is the mean).",
            alt=f"Histogram and box plot of {metric.column} per arm.",
        )
        for metric in data.metrics
    ]


# ------------------------------------------------------------------------------ document

NUMBER_FORMATS = {
    "share": ".1%",
    "rel_diff": "+.1%",
    "variance_reduction": ".0%",
    "i2": ".0%",
}


def _formats(frame: pd.DataFrame) -> dict[str, str]:
    return {k: v for k, v in NUMBER_FORMATS.items() if k in frame.columns}


def experiment_document(
    results: ExperimentResults, *, parameters: Mapping[str, Any] | None = None
) -> Report:
    """The experiment report as a document (render it with ``write_report``)."""
    analysis, data = results.analysis, results.data
    level = f"{1 - analysis.alpha:.0%}"
    metrics = metrics_table(analysis)
    cuped = cuped_table(analysis)
    windows = (
        f" Metrics are counted over the {data.post_days:g} days after each user's "
        f"assignment; CUPED uses the {data.pre_days:g} days before."
        if data.post_days is not None and data.pre_days is not None
        else ""
    )
    groups: dict[tuple[str, str], list[SegmentAnalysis]] = {}
    for item in results.segments.analyses:
        groups.setdefault((item.metric, item.treatment), []).append(item)
    many_arms = len({c.treatment for c in analysis.comparisons}) > 1

    sections = [
        Section("Summary", [Bullets(summary(results))]),
        Section(
            "Sample ratio mismatch",
            [
                Paragraph(
                    "Checked first: a χ² goodness-of-fit test of the users per arm against "
                    f"the planned split. p below {analysis.srm.threshold:g} flags a broken "
                    "split, and then no comparison can be trusted. " + srm_sentence(analysis)
                ),
                Table(
                    "srm", srm_table(analysis), caption="Users per arm", formats={"share": ".1%"}
                ),
            ],
        ),
        Section(
            "Metrics",
            [
                Paragraph(
                    f"diff is treatment − control per user, with its {level} CI (ci_low, "
                    "ci_high); rel_diff is diff ÷ the control mean. Means use Welch's t-test, "
                    "counts a negative-binomial regression, conversions a two-proportion "
                    f"z-test. p_adjusted: {analysis.correction} correction across all "
                    f"comparisons; significant means p_adjusted < {analysis.alpha:g}." + windows
                ),
                Table(
                    "metrics",
                    metrics,
                    caption=f"Effects, {level} CIs",
                    formats=_formats(metrics),
                ),
                *metric_figures(results),
            ],
        ),
        Section(
            "CUPED",
            [
                Paragraph(
                    "CUPED subtracts θ × (pre-period value − its mean) from each user's metric: "
                    "the same effect, measured with less noise. variance_reduction is the "
                    "share of the metric's variance the pre-period explains (ρ²)."
                ),
                Table("cuped", cuped, caption="Effects with CUPED", formats=_formats(cuped)),
                Figure(
                    "cuped",
                    experiment_plots.cuped_comparison(analysis.comparisons),
                    caption="Each effect as % of the control mean, without (grey) and with "
                    "(blue) CUPED; the lines are the CIs.",
                    alt="Effects with and without CUPED, with confidence intervals.",
                ),
            ],
        ),
        Section(
            "Segments by graph position",
            [
                Paragraph(
                    "The effect within each degree decile and for influencers vs other users "
                    "(with CUPED when a pre-period exists). Cochran's Q tests whether the "
                    "segment effects differ more than chance allows (I² = the share of the "
                    "spread that is real). Segment p-values are Holm-adjusted within each "
                    "segmentation. "
                    + " ".join(
                        heterogeneity_sentence(
                            by, [a for a in results.segments.analyses if a.by == by], analysis.alpha
                        )
                        for by in dict.fromkeys(a.by for a in results.segments.analyses)
                    )
                ),
                Table(
                    "heterogeneity",
                    heterogeneity_table(results.segments),
                    caption="Does the effect differ by graph position?",
                    formats={"i2": ".0%"},
                ),
                Table("segments", segments_table(results.segments), caption="Effect per segment"),
                *[
                    Figure(
                        "segments_" + slug(metric, *([treatment] if many_arms else [])),
                        segment_figure(items),
                        caption=f"Effect on {metric} ({treatment} − control) per segment with "
                        "its CI; the black diamond and dashed line are all users.",
                        alt=f"Forest plot of the effect on {metric} by graph segment.",
                    )
                    for (metric, treatment), items in groups.items()
                ],
            ],
        ),
        survival_section(results),
    ]
    notes = [*analysis.notes, *results.segments.notes]
    notes += [f"{c.metric} ({c.treatment}): {n}" for c in analysis.comparisons for n in c.notes]
    if notes:
        sections.append(Section("Notes", [Bullets(list(dict.fromkeys(notes)))]))
    moved = int(metrics["significant"].sum()) if len(metrics) else 0
    facts = [
        Fact("users", "users in the experiment", analysis.n_users, ","),
        Fact("srm_p_value", "SRM p-value", analysis.srm.p_value, ".3g"),
        Fact("srm_flag", "sample ratio mismatch", bool(analysis.srm.flag)),
        Fact("comparisons", "metric comparisons", len(analysis.comparisons)),
        Fact("significant", f"significant after {analysis.correction}", moved),
    ]
    if results.survival is not None and results.survival.p_value is not None:
        facts.append(Fact("logrank_p_value", "log-rank p (churn)", results.survival.p_value, ".3g"))
    name = analysis.experiment or data.source
    return Report(
        kind="experiment",
        title=f"Experiment {name}",
        subtitle=f"{analysis.n_users:,} users; control {analysis.control!r} against "
        f"{', '.join(repr(v) for v in analysis.variants if v != analysis.control)}; "
        f"{level} CIs, {analysis.correction} correction.",
        sections=sections,
        facts=facts,
        parameters=parameters,
        main_table="metrics",
    )


def survival_section(results: ExperimentResults) -> Section:
    comparison = results.survival
    intro = Paragraph(
        f"Time from assignment to churn (the last activity before {results.churn_days:g} days "
        "without any event; users still active are censored), as Kaplan–Meier curves per arm, "
        "compared with the log-rank test. " + survival_sentence(results)
    )
    if comparison is None:
        return Section("Survival", [intro])
    return Section(
        "Survival",
        [
            intro,
            Table(
                "survival",
                survival_table(comparison),
                caption="Time to churn per arm",
                formats={"median_days": ".1f"},
            ),
            Figure(
                "survival",
                experiment_plots.survival_curves(comparison, time_label="days since assignment"),
                caption="Share of each arm not churned yet, with pointwise CIs.",
                alt="Kaplan-Meier curves of time to churn per arm.",
            ),
        ],
    )
