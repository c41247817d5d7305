"""Plots of an experiment, as pure functions: data or results in, a matplotlib Figure out.

* :func:`metric_distribution` and :func:`metric_boxplot`: a metric per arm (the two
  views analysts start with); :func:`metric_overview` puts both side by side;
* :func:`cuped_comparison`: each metric's effect with and without CUPED, as a share of
  the control mean, so the narrower interval shows what the pre-period bought;
* :func:`lift_chart`: every verdict's relative effect with its CI (or confidence
  sequence) and the ± minimum detectable effect as a shaded band;
* :func:`forest_plot`: the effect per graph segment with its CI, beside the overall;
* :func:`survival_curves`: Kaplan–Meier curves per arm with pointwise CIs.

Each takes an optional ``ax`` to draw into, never calls ``plt.show()`` and builds
figures with :class:`matplotlib.figure.Figure` (no pyplot state). The caller saves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.figure
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes

from graphkit.reports.canvas import figure_and_axes

if TYPE_CHECKING:  # results are only read: no need to import lifelines or statsmodels
    from graphkit.experiments.analysis import Comparison
    from graphkit.experiments.results import AnalysisReport, SegmentReport
    from graphkit.experiments.segments import SegmentAnalysis
    from graphkit.experiments.survival import SurvivalComparison

ARM_COLORS = ("#2f6fb0", "#e07b39", "#3a9a5b", "#c0392b", "#8e6bbf", "#7f7f7f")
RAW_COLOR = "#7f8c99"
CUPED_COLOR = "#2f6fb0"
# Heavy-tailed metrics (time spent) would squeeze every histogram into one bar.
_SHOWN_QUANTILE = 0.99

Values = Mapping[str, npt.ArrayLike]


def _color(index: int) -> str:
    return ARM_COLORS[index % len(ARM_COLORS)]


def _finite_values(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=float)
    return array[np.isfinite(array)]


def metric_distribution(
    values_by_arm: Values, *, metric: str, ax: Axes | None = None, bins: int = 40
) -> matplotlib.figure.Figure:
    """Histogram of a metric per arm (as a share of each arm's users, so sizes compare).

    Values above the pooled 99th percentile are left out of the picture (the title says
    how many) so a heavy tail does not hide the bulk.

    Examples
    --------
    >>> figure = metric_distribution({"control": [1, 2, 2], "treatment": [2, 3]}, metric="x")
    >>> figure.axes[0].get_xlabel()
    'x'
    """
    figure, ax = figure_and_axes(ax, (7, 4))
    arms = {arm: _finite_values(values) for arm, values in values_by_arm.items()}
    pooled = np.concatenate([v for v in arms.values()]) if arms else np.array([])
    hidden = 0
    if pooled.size:
        top = float(np.quantile(pooled, _SHOWN_QUANTILE))
        low = float(pooled.min())
        edges = np.linspace(low, top if top > low else low + 1, bins + 1)
        for index, (arm, values) in enumerate(arms.items()):
            shown = values[values <= top] if top > low else values
            hidden += values.size - shown.size
            if values.size:
                weights = np.full(shown.size, 1 / values.size)
                ax.hist(
                    shown,
                    bins=edges.tolist(),
                    weights=weights,
                    histtype="stepfilled",
                    alpha=0.35,
                    color=_color(index),
                    edgecolor=_color(index),
                    label=f"{arm} (n={values.size:,}, mean={values.mean():.4g})",
                )
        ax.legend(frameon=False)
    ax.set_xlabel(metric)
    ax.set_ylabel("share of users")
    title = f"Distribution of {metric} per arm"
    if hidden:
        title += f" ({hidden:,} values above the 99th percentile not shown)"
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(True, alpha=0.3)
    return figure


def metric_boxplot(
    values_by_arm: Values, *, metric: str, ax: Axes | None = None
) -> matplotlib.figure.Figure:
    """Box plot of a metric per arm (median, quartiles, 1.5 IQR whiskers, mean as a dot).

    Examples
    --------
    >>> figure = metric_boxplot({"control": [1, 2, 2], "treatment": [2, 3]}, metric="x")
    >>> [t.get_text() for t in figure.axes[0].get_xticklabels()]
    ['control', 'treatment']
    """
    figure, ax = figure_and_axes(ax, (5, 4))
    arms = {arm: _finite_values(values) for arm, values in values_by_arm.items()}
    names = list(arms)
    data = [arms[name] if arms[name].size else np.array([np.nan]) for name in names]
    boxes = ax.boxplot(
        data, showmeans=True, patch_artist=True, showfliers=True, flierprops={"markersize": 2}
    )
    for index, box in enumerate(boxes["boxes"]):
        box.set_facecolor(_color(index))
        box.set_alpha(0.45)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per arm", loc="left", fontsize=11)
    ax.grid(True, axis="y", alpha=0.3)
    return figure


def metric_overview(values_by_arm: Values, *, metric: str) -> matplotlib.figure.Figure:
    """Distribution and box plot of one metric per arm, side by side."""
    figure = matplotlib.figure.Figure(figsize=(11, 4), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(2, 1))
    metric_distribution(values_by_arm, metric=metric, ax=left)
    metric_boxplot(values_by_arm, metric=metric, ax=right)
    return figure


def cuped_comparison(
    comparisons: Sequence[Comparison], *, ax: Axes | None = None
) -> matplotlib.figure.Figure:
    """Each comparison's effect before and after CUPED, in % of the control mean.

    Comparisons without CUPED (no covariate) show only the unadjusted interval; those
    with a zero or undefined control mean cannot be scaled and are listed in the title.

    Examples
    --------
    >>> from graphkit.experiments.analysis import Comparison
    >>> item = Comparison("x", "mean", "control", "treatment", 10, 10, mean_control=2.0,
    ...                   diff=0.2, diff_ci=(-0.1, 0.5))
    >>> figure = cuped_comparison([item])
    >>> figure.axes[0].get_xlabel()
    'treatment − control, % of the control mean'
    """
    figure, ax = figure_and_axes(ax, (8, 1.2 + 0.7 * max(len(comparisons), 1)))
    labels = []
    skipped = []
    row = 0
    for item in comparisons:
        scale = item.mean_control
        if not scale or item.diff is None:
            skipped.append(f"{item.metric} ({item.treatment})")
            continue
        rows = [("raw", item.diff, item.diff_ci, RAW_COLOR, 0.15)]
        if item.cuped is not None and item.cuped.diff is not None:
            rows.append(("CUPED", item.cuped.diff, item.cuped.diff_ci, CUPED_COLOR, -0.15))
        for name, diff, interval, color, offset in rows:
            y = row + offset
            if interval is not None:
                ax.plot(
                    [100 * interval[0] / scale, 100 * interval[1] / scale],
                    [y, y],
                    color=color,
                    linewidth=2.5,
                )
            ax.plot(
                100 * diff / scale,
                y,
                "o",
                color=color,
                label=name if row == 0 else None,
            )
        labels.append(f"{item.metric}\n{item.treatment} vs {item.control}")
        row += 1
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("treatment − control, % of the control mean")
    title = "Effect with and without CUPED"
    if skipped:
        title += f" (not shown: {', '.join(skipped)})"
    ax.set_title(title, loc="left", fontsize=11)
    if labels:
        ax.legend(frameon=False, loc="best")
    ax.grid(True, axis="x", alpha=0.3)
    return figure


SIGNIFICANT_COLOR = "#2f6fb0"
GUARDRAIL_COLOR = "#c0392b"


def lift_chart(
    comparisons: Sequence[Comparison], *, ax: Axes | None = None
) -> matplotlib.figure.Figure:
    """Each verdict's relative effect (% of control) with its interval and MDE band.

    The grey band around 0 is ± the minimum detectable effect at the verdict's power:
    an interval inside it means the test could not have told such effects from none.
    Significant verdicts are blue, guardrails red, the rest grey.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from graphkit.experiments.analysis import analyze_experiment
    >>> from graphkit.experiments.metrics import Metric
    >>> frame = pd.DataFrame({"variant": ["control", "treatment"] * 20,
    ...                       "y": np.arange(40.0) % 7 + np.tile([0, 1], 20)})
    >>> figure = lift_chart(analyze_experiment(frame, [Metric("y")]).comparisons)
    >>> figure.axes[0].get_xlabel()
    'treatment − control, % of the control mean (verdict model)'
    """
    shown = [c for c in comparisons if c.verdict is not None and c.verdict.relative is not None]
    figure, ax = figure_and_axes(ax, (8, 1.2 + 0.7 * max(len(shown), 1)))
    labels = []
    for row, item in enumerate(shown):
        verdict = item.verdict
        assert verdict is not None and verdict.relative is not None
        color = (
            GUARDRAIL_COLOR
            if verdict.role == "guardrail"
            else SIGNIFICANT_COLOR
            if verdict.significant
            else RAW_COLOR
        )
        if verdict.mde_relative is not None:
            mde = 100 * abs(verdict.mde_relative)
            ax.fill_betweenx([row - 0.35, row + 0.35], -mde, mde, color="#dddddd", zorder=0)
        if verdict.relative_ci is not None:
            low, high = verdict.relative_ci
            ax.plot([100 * low, 100 * high], [row, row], color=color, linewidth=2.5)
        ax.plot(100 * verdict.relative, row, "o", color=color)
        labels.append(f"{item.metric} ({verdict.role})\n{item.treatment} vs {item.control}")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("treatment − control, % of the control mean (verdict model)")
    ax.set_title("Lift with CIs; grey band: ± MDE at 80% power", loc="left", fontsize=11)
    ax.grid(True, axis="x", alpha=0.3)
    return figure


def forest_plot(analysis: SegmentAnalysis, *, ax: Axes | None = None) -> matplotlib.figure.Figure:
    """Effect and CI per segment, the overall effect as a dashed line and a diamond.

    Segments without an estimate are listed with "n/a". The title reports Cochran's Q.

    Examples
    --------
    >>> import pandas as pd
    >>> from graphkit.experiments.metrics import Metric
    >>> from graphkit.experiments.segments import analyze_segments
    >>> frame = pd.DataFrame({"variant": ["control", "treatment"] * 4,
    ...     "y": [1.0, 2.0, 1.2, 2.1, 0.9, 1.2, 1.0, 1.1], "influencer": [True] * 4 + [False] * 4})
    >>> figure = forest_plot(analyze_segments(frame, Metric("y"), "influencer"))
    >>> len(figure.axes[0].get_yticklabels())
    3
    """
    segments = analysis.segments
    figure, ax = figure_and_axes(ax, (8, 1.5 + 0.45 * (len(segments) + 1)))
    labels = []
    for row, item in enumerate(segments):
        labels.append(f"{item.segment} (n={item.n_control + item.n_treatment:,})")
        if item.diff is None:
            ax.text(0, row, "n/a", va="center", ha="center", fontsize=8, color=RAW_COLOR)
            continue
        if item.diff_ci is not None:
            ax.plot(item.diff_ci, [row, row], color=CUPED_COLOR, linewidth=2)
        ax.plot(item.diff, row, "s", color=CUPED_COLOR)
    overall_row = len(segments)
    labels.append("all users")
    overall = analysis.overall
    if overall.diff is not None:
        ax.axvline(overall.diff, color="#444444", linestyle="--", linewidth=0.8)
        if overall.diff_ci is not None:
            ax.plot(overall.diff_ci, [overall_row, overall_row], color="black", linewidth=2)
        ax.plot(overall.diff, overall_row, "D", color="black")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    adjusted = " (CUPED)" if analysis.covariate else ""
    ax.set_xlabel(f"{analysis.metric}{adjusted}: {analysis.treatment} − {analysis.control}")
    het = analysis.heterogeneity
    test = (
        f"Cochran's Q = {het.q:.2f}, df = {het.df}, p = {het.p_value:.3g}, I² = {het.i2:.0%}"
        if het.q is not None and het.p_value is not None and het.i2 is not None
        else "no heterogeneity test"
    )
    ax.set_title(f"Effect by {analysis.by}: {test}", loc="left", fontsize=11)
    ax.grid(True, axis="x", alpha=0.3)
    return figure


def survival_curves(
    comparison: SurvivalComparison, *, ax: Axes | None = None, time_label: str = "time"
) -> matplotlib.figure.Figure:
    """Kaplan–Meier curves per group with their pointwise CIs; the title has the log-rank test.

    Examples
    --------
    >>> from graphkit.experiments.survival import compare_survival
    >>> result = compare_survival([2, 3, 5, 6, 8, 1, 1, 2, 3, 4], None, ["a"] * 5 + ["b"] * 5)
    >>> len(survival_curves(result).axes[0].get_lines())
    2
    """
    figure, ax = figure_and_axes(ax, (7, 4.2))
    curves = comparison.curves
    for index, group in enumerate(comparison.groups):
        rows = curves[curves["group"] == group]
        color = _color(index)
        median = comparison.median_survival.get(group)
        label = f"{group} (n={comparison.n[group]:,}, median " + (
            f"{median:.3g})" if median is not None else "not reached)"
        )
        ax.step(rows["time"], rows["survival"], where="post", color=color, label=label)
        ax.fill_between(
            rows["time"], rows["ci_low"], rows["ci_high"], step="post", color=color, alpha=0.15
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(time_label)
    ax.set_ylabel("survival: share without the event yet")
    test = (
        f"log-rank χ² = {comparison.chi2:.2f}, p = {comparison.p_value:.3g}"
        if comparison.chi2 is not None and comparison.p_value is not None
        else "no log-rank test"
    )
    ax.set_title(f"Kaplan–Meier curves: {test}", loc="left", fontsize=11)
    ax.legend(frameon=False)
    ax.grid(True, alpha=0.3)
    return figure


def _slug(*parts: str) -> str:
    """A file-name-safe name made of ``parts``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(parts))


def segment_forests(report: SegmentReport) -> matplotlib.figure.Figure:
    """Every forest plot of ``ab segments`` stacked in one figure."""
    figure = matplotlib.figure.Figure(
        figsize=(9, sum(1.5 + 0.45 * (len(a.segments) + 1) for a in report.analyses)),
        layout="constrained",
    )
    axes = figure.subplots(len(report.analyses), 1, squeeze=False)[:, 0]
    for analysis, ax in zip(report.analyses, axes, strict=True):
        forest_plot(analysis, ax=ax)
    return figure


def segment_figures(report: SegmentReport) -> dict[str, matplotlib.figure.Figure]:
    """One forest plot per segmentation, keyed by file name."""
    return {
        _slug("forest", a.metric, a.treatment, a.by) + ".png": forest_plot(a)
        for a in report.analyses
    }


def analysis_figures(report: AnalysisReport) -> dict[str, matplotlib.figure.Figure]:
    """``ab analyze --plots-dir``: the effects, then each metric's distribution per arm."""
    result, data = report.analysis, report.data
    figures = {"effects.png": cuped_comparison(result.comparisons)}
    variants = data.table[data.variant_col].astype(str)
    arms = [result.control, *dict.fromkeys(c.treatment for c in result.comparisons)]
    for metric in data.metrics:
        values = {arm: data.table.loc[variants == arm, metric.column] for arm in arms}
        name = f"distribution_{_slug(metric.column)}.png"
        figures[name] = metric_overview(values, metric=metric.column)
    return figures
