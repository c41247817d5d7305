"""The A/B experiment report: SRM, metrics, CUPED, graph segments, survival, in words.

Every number comes from the experiment workflows (:mod:`graphkit.workflows.experiments`);
this module only arranges them (:class:`ExperimentResults`) into a
:class:`~graphkit.reports.document.Report` (:func:`experiment_document`). The rules of
the summary sentences:

* **SRM** first: the split is "as planned" when the χ² goodness-of-fit p-value is at or
  above the threshold (0.001 by default), otherwise the report warns that no comparison
  should be trusted until the cause is found.
* A metric **moved** when its *verdict* is significant: the verdict's p-value, adjusted
  across the primary and secondary verdicts with the chosen correction (Holm by
  default), is below alpha. The verdict uses one model for its estimate, CI and p-value
  — the CUPED-adjusted one when CUPED is on and a pre-period exists (the sentence says
  so) — and its sentence is written by :func:`graphkit.experiments.verdict.
  verdict_sentence`: a non-significant verdict says what effect the test could have
  detected (MDE at 80% power), and whether the ``mde`` that matters was within reach.
* **Verdict cards** (one per primary metric × treatment): estimate, CI (or confidence
  sequence when sequential), chance to beat control, sequential status, guardrails.
* **Guardrails**: "no guardrail harmed", or the guardrails that were.
* **CUPED** (the pre-period value of each metric as covariate) is also shown beside the
  unadjusted result, with its variance reduction.
* The effect **differs by graph position** when Cochran's Q test across the segments
  (degree deciles, influencers vs others), or for ordered segments (degree deciles) the
  1-df trend test, has p < alpha; segments without a standard error are left out (the
  workflow notes say which). A segmentation none of whose segments has 80% power for
  the overall effect is called underpowered, not "no evidence".
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
    from graphkit.experiments.results import ExperimentData, SegmentReport
    from graphkit.experiments.segments import SegmentAnalysis
    from graphkit.experiments.survival import SurvivalComparison

SEGMENT_WORDS = {
    "degree": "degree decile",
    "influencer": "influencer status",
    "community": "community",
}


@dataclass(frozen=True)
class ExperimentResults:
    """What the experiment report shows, as the workflows returned it.

    ``survival`` is None when time to churn could not be compared; ``survival_note``
    then says why. ``extra_sections`` are placed after the graph segments (e.g. a
    "Network effects" section built from other analyses).
    """

    data: ExperimentData
    analysis: ExperimentAnalysis
    segments: SegmentReport
    survival: SurvivalComparison | None
    churn_days: float
    survival_note: str | None = None
    extra_sections: tuple[Section, ...] = ()


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
    """The verdict's decision (one model, corrected across verdicts)."""
    return item.verdict is not None and item.verdict.significant


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
    """The verdict in words (written by the library from the verdict's numbers)."""
    return item.sentence or f"{item.metric} ({item.treatment}): no comparison."


def heterogeneity_sentence(by: str, analyses: Sequence[SegmentAnalysis], alpha: float) -> str:
    """One sentence per segmentation: for which metrics the effect differs.

    Cochran's Q (and, for ordered segments, the 1-df trend test) decide "differs"; a
    metric whose test finds nothing while some segments have less than 80% power for the
    overall effect is called underpowered, not "no evidence".
    """
    words = SEGMENT_WORDS.get(by, by)
    differs, same, untested, weak = [], [], [], []
    for item in analyses:
        label = (
            item.metric
            if len({a.treatment for a in analyses}) == 1
            else (f"{item.metric} ({item.treatment})")
        )
        p = item.heterogeneity.p_value
        trend_p = item.trend.p_value if item.trend is not None else None
        if p is None and trend_p is None:
            untested.append(label)
        elif trend_p is not None and trend_p < alpha:
            differs.append(f"{label} (trend test p = {p_text(trend_p)})")
        elif p is not None and p < alpha:
            differs.append(f"{label} (Cochran's Q p = {p_text(p)})")
        elif item.underpowered:
            weak.append(
                f"{label} ({item.underpowered} of {len(item.segments)} segments have less than "
                "80% power for the overall effect"
                + (f"; Q p = {p_text(p)}" if p is not None else "")
                + (f", trend p = {p_text(trend_p)}" if trend_p is not None else "")
                + ")"
            )
        else:
            same.append(
                f"{label} (p = {p_text(p)}"
                + (f", trend p = {p_text(trend_p)}" if trend_p is not None else "")
                + ")"
            )
    parts = []
    if differs:
        parts.append(f"the effect differs by {words} for {', '.join(differs)}")
    if same:
        parts.append(f"no evidence that it differs for {', '.join(same)}")
    if weak:
        parts.append(f"underpowered, so no conclusion, for {', '.join(weak)}")
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
    decided = analysis.verdict_tests
    headline = (
        f"{len(moved)} of {decided} metric comparisons moved significantly "
        f"after {analysis.correction} correction (alpha {analysis.alpha:g})"
        + (f": {', '.join(c.metric for c in moved)}." if moved else ".")
    )
    sentences = [srm_sentence(analysis), headline]
    guardrails = analysis.guardrail_summary()
    if guardrails:
        sentences.append(guardrails[0].upper() + guardrails[1:] + ".")
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
    frame = _metric_rows(analysis)
    if any(c.capped_at is not None for c in analysis.comparisons):
        frame["capped_at"] = [c.capped_at for c in analysis.comparisons]
    return frame


def _metric_rows(analysis: ExperimentAnalysis) -> pd.DataFrame:
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
                "test": c.test,
            }
            for c in analysis.comparisons
        ]
    )


def verdicts_table(analysis: ExperimentAnalysis) -> pd.DataFrame:
    """One row per verdict (the library's layout, ``ExperimentAnalysis.to_frame``)."""
    return analysis.to_frame()


def verdict_cards(analysis: ExperimentAnalysis) -> list[Bullets]:
    """One card per primary metric × treatment: what a decision-maker reads first."""
    level = f"{1 - analysis.alpha:.0%}"
    cards = []
    for item in analysis.comparisons:
        verdict = item.verdict
        if verdict is None or verdict.role != "primary":
            continue
        interval = "confidence sequence" if verdict.sequential is not None else "CI"
        lines = [
            f"{item.metric}, {item.treatment} vs {item.control}: "
            + (
                "significant"
                if verdict.significant
                else "no test (see the notes)"
                if verdict.p_value is None
                else "not significant"
            )
            + f" ({verdict.model}"
            + (f", {verdict.adjustment}-adjusted" if verdict.adjustment != "none" else "")
            + ")",
            f"estimate {_signed_pct(verdict.relative)} ({number(verdict.estimate)} per user), "
            f"{level} {interval} "
            + (
                f"{_signed_pct(verdict.relative_ci[0])} to {_signed_pct(verdict.relative_ci[1])}"
                if verdict.relative_ci is not None
                else "n/a"
            )
            + f"; p = {p_text(verdict.p_value)}, adjusted {p_text(verdict.p_adjusted)}",
            "minimum detectable effect at "
            f"{verdict.power:.0%} power: "
            + (f"±{abs(verdict.mde_relative):.1%}" if verdict.mde_relative is not None else "n/a")
            + (
                f"; power for the {verdict.target_mde:.1%} that matters: "
                f"{verdict.power_at_target:.0%}"
                if verdict.target_mde is not None and verdict.power_at_target is not None
                else ""
            ),
        ]
        if verdict.bayes is not None:
            lines.append(
                f"chance to beat {item.control}: {verdict.bayes.chance_to_win:.1%}, expected "
                f"loss {verdict.bayes.expected_loss:.2%} ({verdict.bayes.prior})"
            )
        lines.append(
            "sequential: "
            + (
                f"always-valid p = {p_text(verdict.sequential.p_value)} (tuning N* = "
                f"{verdict.sequential.tuning:,}); "
                # The card's decision is the corrected one: an always-valid p below alpha
                # that the correction does not keep is not a reason to stop.
                + ("safe to stop" if verdict.significant else "keep going")
                if verdict.sequential is not None
                else "off (fixed horizon: read the result once, at the planned end)"
            )
        )
        lines.append("guardrails: " + (analysis.guardrail_summary() or "none defined"))
        cards.append(Bullets(lines))
    return cards


def _signed_pct(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{100 * value:+.1f}%"


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
                "power": s.power,
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
                "trend_chi2": a.trend.q if a.trend is not None else None,
                "trend_p_value": a.trend.p_value if a.trend is not None else None,
                "underpowered_segments": a.underpowered,
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
        if metric.kind != "ratio"  # a ratio's per-user column is only its numerator
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

    verdicts = verdicts_table(analysis)
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
            "Verdicts",
            [
                Paragraph(
                    "One model per verdict: its estimate, interval and p-value agree (the "
                    "interval excludes zero exactly when p < alpha). The verdict uses the "
                    "CUPED-adjusted estimate when CUPED is on and a pre-period exists. "
                    f"p_adjusted: {analysis.correction} correction across "
                    f"{analysis.verdict_tests} primary and secondary verdicts; "
                    "mde_relative: the effect detectable with 80% power for these users and "
                    "variances; chance_to_win: posterior probability that treatment is better "
                    "(normal approximation); guardrail: non-inferiority status."
                ),
                *verdict_cards(analysis),
                Table(
                    "verdicts",
                    verdicts,
                    caption="Verdicts",
                    formats={
                        "relative": "+.1%",
                        "mde_relative": ".1%",
                        "chance_to_win": ".1%",
                    },
                ),
                Figure(
                    "lift",
                    experiment_plots.lift_chart(analysis.comparisons),
                    caption="Each verdict's effect as % of the control mean with its interval; "
                    "the grey band is ± the minimum detectable effect (80% power).",
                    alt="Lift chart of every metric with confidence intervals and MDE bands.",
                ),
            ],
        ),
        Section(
            "Metrics",
            [
                Paragraph(
                    f"diff is treatment − control per user, with its {level} CI (ci_low, "
                    "ci_high) from the same model as the p-value; rel_diff is diff ÷ the "
                    "control mean. Means use Welch's t-test, counts a negative-binomial "
                    "regression (the CI is the control mean × the rate-ratio CI − 1), "
                    "conversions the unpooled two-proportion z-test, ratios the delta method. "
                    f"p_adjusted: {analysis.correction} correction across all rows; the "
                    "decision is the verdict's (above)." + windows
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
                    "spread that is real); for ordered segments (degree deciles) a 1-df test "
                    "for a linear trend in the effect across the segments is more powerful. "
                    f"Segment p-values are {_segment_correction(results.segments)}-adjusted "
                    "within each segmentation. "
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
        *results.extra_sections,
        survival_section(results),
    ]
    notes = [*analysis.notes, *results.segments.notes]
    notes += [f"{c.metric} ({c.treatment}): {n}" for c in analysis.comparisons for n in c.notes]
    if notes:
        sections.append(Section("Notes", [Bullets(list(dict.fromkeys(notes)))]))
    moved = sum(significant(c, analysis.alpha) for c in analysis.comparisons)
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


def _segment_correction(report: SegmentReport) -> str:
    """The correction the segment analyses used (read from them, never assumed)."""
    methods = sorted({a.correction for a in report.analyses})
    return " / ".join(methods) if methods else "not"


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
