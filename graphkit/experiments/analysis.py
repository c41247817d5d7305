"""Analyse an experiment: every metric × every treatment against control, SRM first.

Input is a per-user table (one row per assigned user, a variant column and metric
columns), either derived from events (:mod:`graphkit.experiments.metrics`) or brought
by the analyst. For each metric and treatment arm the comparison reports n, mean and sd
per arm, the absolute difference (treatment − control) with its CI, the relative
difference with a delta-method CI, a test, an effect size, and optionally a bootstrap
CI, CUPED with the pre-period covariate and an OLS regression adjustment for graph
covariates. A sample-ratio-mismatch check runs on every analysis and p-values are
adjusted across all comparisons (Holm by default).

Which test a metric gets depends on its kind:

==============  =========================================================================
kind            test (``test`` in the result)
==============  =========================================================================
``mean``        Welch t-test (default), Student t-test or Mann–Whitney U
``count``       negative-binomial regression (default) or Poisson regression of
                count ~ treatment (statsmodels): statistic is the Wald z of log rate
                ratio and ``rel_ci`` the rate-ratio CI minus 1; ``count_model="welch"``
                treats counts as a mean
``conversion``  two-proportion z-test, or chi-square with Yates' correction (``yates``)
==============  =========================================================================

``diff_ci`` is always the Welch interval of the difference in means (for conversions
the Wald interval of R ``prop.test``), so the absolute effect reads the same way for
every kind.

JSON schema of :meth:`ExperimentAnalysis.to_dict` (numbers that cannot be computed are
``null`` and a note says why; NaN never appears)::

    {"experiment": str | null, "control": str, "variants": [str], "alpha": float,
     "correction": "Holm" | "Benjamini–Hochberg", "n_users": int, "notes": [str],
     "srm": {"chi2", "df", "p_value", "flag", "threshold", "observed": {variant: n},
             "expected": {variant: n}, "notes": [str]},
     "comparisons": [{"metric", "kind", "control", "treatment", "n_control",
         "n_treatment", "mean_control", "mean_treatment", "sd_control", "sd_treatment",
         "diff", "diff_ci": [lo, hi] | null, "rel_diff", "rel_ci": [lo, hi] | null,
         "test", "statistic", "df", "p_value", "p_adjusted",
         "effect_size", "effect_size_name": "cohens_d" | "cohens_h" | null,
         "bootstrap_ci": [lo, hi] | null, "rate_ratio", "rate_ratio_ci", "chi2",
         "cuped": {"covariate", "theta", "correlation", "diff", "diff_ci", "p_value",
                   "variance_reduction", "notes"} | null,
         "regression_adjustment": {"method", "covariates", "estimate", "ci", "p_value",
                   "r_squared", "notes"} | null,
         "notes": [str]}]}
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.corrections import METHOD_NAMES, Correction, adjust_p_values
from graphkit.experiments.inference import Estimate
from graphkit.experiments.means import MeanTest, compare_means
from graphkit.experiments.metrics import Metric, MetricKind, require_columns
from graphkit.experiments.proportions import compare_proportions
from graphkit.experiments.ratio import compare_ratios, ratio_arm
from graphkit.experiments.settings import AnalysisSettings, CountTest
from graphkit.experiments.srm import SRM_THRESHOLD, check_srm
from graphkit.experiments.verdict import Verdict, build_verdict, verdict_sentence, with_adjusted

if TYPE_CHECKING:
    from graphkit.experiments.counts import CountModel

# Count models and CUPED/regression adjustment need statsmodels, whose import takes
# seconds: they are imported where used, so `graphkit --help` stays quick.

__all__ = ["AnalysisSettings", "CountTest", "analyze_experiment", "compare_metric"]

KINDS: tuple[MetricKind, ...] = ("mean", "count", "conversion", "ratio")

# Graph covariates that are labels, not quantities: they enter a regression as dummies.
CATEGORICAL_COVARIATES = frozenset({"community", "influencer"})

Interval = tuple[float, float]


def finite_or_none(value: float | None) -> float | None:
    """None for a number that is missing, NaN or infinite: never shown as a number."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def interval_or_none(low: float | None, high: float | None) -> Interval | None:
    low, high = finite_or_none(low), finite_or_none(high)
    return None if low is None or high is None else (low, high)


@dataclass(frozen=True)
class SrmSummary:
    """The sample-ratio-mismatch check shown before any comparison.

    ``flag`` is True when ``p_value < threshold`` (0.001 by default): the arms do not
    have the planned sizes, and the comparisons should not be trusted until the cause
    (a broken split, a filter that depends on the treatment...) is found.
    """

    chi2: float
    df: int
    p_value: float
    flag: bool
    threshold: float
    observed: dict[str, int]
    expected: dict[str, float]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CupedSummary:
    """CUPED adjustment of one comparison (Deng et al. 2013; pooled θ = cov(Y,X)/var(X))."""

    covariate: str
    theta: float | None
    correlation: float | None
    diff: float | None
    diff_ci: Interval | None
    p_value: float | None
    variance_reduction: float | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RegressionSummary:
    """OLS adjustment of one comparison for (graph) covariates, robust standard errors."""

    method: str
    covariates: tuple[str, ...]
    estimate: float | None
    ci: Interval | None
    p_value: float | None
    r_squared: float | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """One metric, one treatment against control. Differences are treatment − control.

    Attributes
    ----------
    metric, kind, control, treatment
        What is compared and how (see the module docstring for the test per kind).
    n_control, n_treatment : int
        Users with a value of the metric per arm.
    mean_control, mean_treatment, sd_control, sd_treatment : float or None
        Arm means (proportions for conversions) and sample standard deviations.
    diff : float or None
        ``mean_treatment - mean_control``.
    diff_ci : (float, float) or None
        ``1 - alpha`` CI of ``diff``.
    rel_diff : float or None
        ``diff / mean_control``.
    rel_ci : (float, float) or None
        Delta-method CI of ``rel_diff`` (for count models: rate-ratio CI minus 1).
    test : str or None
        Name of the test behind ``statistic`` and ``p_value``.
    statistic, df, p_value : float or None
    p_adjusted : float or None
        ``p_value`` adjusted across all comparisons of the analysis.
    effect_size : float or None
        Cohen's d (means, counts) or Cohen's h (conversions).
    effect_size_name : str or None
    bootstrap_ci : (float, float) or None
        Percentile bootstrap CI of ``diff`` when requested.
    rate_ratio : float or None
        Count models: treatment rate over control rate, with ``rate_ratio_ci``.
    chi2 : float or None
        Conversions: Pearson chi-square of the 2×2 table.
    cuped : CupedSummary or None
        Present when the metric has a pre-period covariate.
    regression : RegressionSummary or None
        Present when covariates to adjust for were given.
    capped_at : float or None
        The value the metric was winsorized at (``cap`` quantile of all users).
    verdict : Verdict or None
        What the comparison concludes, from one model (see
        :mod:`graphkit.experiments.verdict`).
    sentence : str
        The verdict in words.
    notes : tuple of str
        Why a number is missing, and anything else a reader should know.
    """

    metric: str
    kind: MetricKind
    control: str
    treatment: str
    n_control: int
    n_treatment: int
    mean_control: float | None = None
    mean_treatment: float | None = None
    sd_control: float | None = None
    sd_treatment: float | None = None
    diff: float | None = None
    diff_ci: Interval | None = None
    rel_diff: float | None = None
    rel_ci: Interval | None = None
    test: str | None = None
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    effect_size: float | None = None
    effect_size_name: str | None = None
    bootstrap_ci: Interval | None = None
    rate_ratio: float | None = None
    rate_ratio_ci: Interval | None = None
    chi2: float | None = None
    cuped: CupedSummary | None = None
    regression: RegressionSummary | None = None
    capped_at: float | None = None
    verdict: Verdict | None = None
    sentence: str = ""
    notes: tuple[str, ...] = ()
    estimate: Estimate | None = None
    cuped_estimate: Estimate | None = None
    regression_estimate: Estimate | None = None


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Result of :func:`analyze_experiment`: the SRM check, then every comparison."""

    experiment: str | None
    control: str
    variants: tuple[str, ...]
    srm: SrmSummary
    comparisons: tuple[Comparison, ...]
    alpha: float
    correction: str
    n_users: int
    notes: tuple[str, ...]
    settings: AnalysisSettings | None = None

    @property
    def verdict_tests(self) -> int:
        """How many verdicts the correction was applied across."""
        return sum(
            1
            for c in self.comparisons
            if c.verdict is not None
            and c.verdict.role != "guardrail"
            and c.verdict.p_value is not None
        )

    def guardrail_summary(self) -> str | None:
        """The guardrail line of the summary: no guardrail harmed, or which one was."""
        checks = [
            (c.metric, c.treatment, c.verdict.guardrail)
            for c in self.comparisons
            if c.verdict is not None and c.verdict.role == "guardrail"
        ]
        if not checks:
            return None
        harmed = [f"{m} ({t})" for m, t, g in checks if g is not None and g.status == "harmed"]
        open_ = [f"{m} ({t})" for m, t, g in checks if g is not None and g.status == "inconclusive"]
        # A guardrail without an estimate was not checked: "no guardrail harmed" must not
        # cover it.
        untested = [f"{m} ({t})" for m, t, g in checks if g is None]
        text = f"guardrail harmed: {', '.join(harmed)}" if harmed else "no guardrail harmed"
        if open_:
            text += f"; harm beyond the margin not ruled out for {', '.join(open_)}"
        if untested:
            text += f"; not tested (no estimate): {', '.join(untested)}"
        return text

    def to_frame(self) -> pd.DataFrame:
        """One row per comparison: the verdict's numbers (the table of ``ab analyze``)."""
        rows = []
        for c in self.comparisons:
            v = c.verdict
            rows.append(
                {
                    "metric": c.metric,
                    "treatment": c.treatment,
                    "role": v.role if v else None,
                    "adjustment": v.adjustment if v else None,
                    "estimate": v.estimate if v else c.diff,
                    "ci_low": v.ci[0] if v and v.ci else None,
                    "ci_high": v.ci[1] if v and v.ci else None,
                    "relative": v.relative if v else c.rel_diff,
                    "p_value": v.p_value if v else c.p_value,
                    "p_adjusted": v.p_adjusted if v else c.p_adjusted,
                    "significant": bool(v.significant) if v else False,
                    "mde_relative": v.mde_relative if v else None,
                    "chance_to_win": v.bayes.chance_to_win if v and v.bayes else None,
                    "guardrail": v.guardrail.status if v and v.guardrail else None,
                }
            )
        return pd.DataFrame(rows)

    def comparison(self, metric: str, treatment: str | None = None) -> Comparison:
        """The comparison of ``metric`` (for ``treatment``, if several arms)."""
        for item in self.comparisons:
            if item.metric == metric and treatment in (None, item.treatment):
                return item
        raise KeyError((metric, treatment))

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON form (see the module docstring)."""
        return {
            "experiment": self.experiment,
            "control": self.control,
            "variants": list(self.variants),
            "alpha": self.alpha,
            "correction": self.correction,
            "n_users": self.n_users,
            "notes": list(self.notes),
            "srm": srm_to_dict(self.srm),
            "comparisons": [comparison_to_dict(item) for item in self.comparisons],
            "guardrails": self.guardrail_summary(),
            "settings": None if self.settings is None else self.settings.to_dict(),
        }


def srm_to_dict(srm: SrmSummary) -> dict[str, Any]:
    return {
        "chi2": srm.chi2,
        "df": srm.df,
        "p_value": srm.p_value,
        "flag": srm.flag,
        "threshold": srm.threshold,
        "observed": dict(srm.observed),
        "expected": dict(srm.expected),
        "notes": list(srm.notes),
    }


def as_pair(interval: Interval | None) -> list[float] | None:
    return None if interval is None else [interval[0], interval[1]]


def comparison_to_dict(item: Comparison) -> dict[str, Any]:
    cuped_block = None
    if item.cuped is not None:
        cuped_block = {
            "covariate": item.cuped.covariate,
            "theta": item.cuped.theta,
            "correlation": item.cuped.correlation,
            "diff": item.cuped.diff,
            "diff_ci": as_pair(item.cuped.diff_ci),
            "p_value": item.cuped.p_value,
            "variance_reduction": item.cuped.variance_reduction,
            "notes": list(item.cuped.notes),
        }
    regression_block = None
    if item.regression is not None:
        regression_block = {
            "method": item.regression.method,
            "covariates": list(item.regression.covariates),
            "estimate": item.regression.estimate,
            "ci": as_pair(item.regression.ci),
            "p_value": item.regression.p_value,
            "r_squared": item.regression.r_squared,
            "notes": list(item.regression.notes),
        }
    return {
        "metric": item.metric,
        "kind": item.kind,
        "control": item.control,
        "treatment": item.treatment,
        "n_control": item.n_control,
        "n_treatment": item.n_treatment,
        "mean_control": item.mean_control,
        "mean_treatment": item.mean_treatment,
        "sd_control": item.sd_control,
        "sd_treatment": item.sd_treatment,
        "diff": item.diff,
        "diff_ci": as_pair(item.diff_ci),
        "rel_diff": item.rel_diff,
        "rel_ci": as_pair(item.rel_ci),
        "test": item.test,
        "statistic": item.statistic,
        "df": item.df,
        "p_value": item.p_value,
        "p_adjusted": item.p_adjusted,
        "effect_size": item.effect_size,
        "effect_size_name": item.effect_size_name,
        "bootstrap_ci": as_pair(item.bootstrap_ci),
        "rate_ratio": item.rate_ratio,
        "rate_ratio_ci": as_pair(item.rate_ratio_ci),
        "chi2": item.chi2,
        "cuped": cuped_block,
        "regression_adjustment": regression_block,
        "capped_at": item.capped_at,
        "verdict": None if item.verdict is None else item.verdict.to_dict(),
        "sentence": item.sentence,
        "notes": list(item.notes),
    }


# ------------------------------------------------------------------------- the table


def parse_table_metric(text: str, frame: pd.DataFrame) -> Metric:
    """A metric of a user-supplied table: ``COLUMN``, ``COLUMN:KIND`` or
    ``NAME=ratio:NUMERATOR/DENOMINATOR`` (two columns, delta method).

    Without a kind, a column whose values are all 0 or 1 (or booleans) is a conversion
    and any other numeric column a mean; counts must be declared (``sessions:count``).

    Raises
    ------
    ConfigError
        If the column is not in the table or the kind is unknown.

    Examples
    --------
    >>> frame = pd.DataFrame({"clicks": [1, 0], "views": [3, 2]})
    >>> parse_table_metric("ctr=ratio:clicks/views", frame)
    Metric(column='clicks', kind='ratio', covariate=None, denominator='views', name='ctr')
    """
    name, equals, spec = text.partition("=")
    if equals:
        kind, _, columns = spec.partition(":")
        numerator, slash, denominator = columns.partition("/")
        if kind.strip() != "ratio" or not slash or not numerator.strip() or not denominator.strip():
            raise ConfigError(
                f"cannot read metric {text!r}",
                hint="write NAME=ratio:NUMERATOR/DENOMINATOR with two columns of the table",
            )
        require_columns(frame, [numerator.strip(), denominator.strip()], what="metric")
        return Metric(
            column=numerator.strip(),
            kind="ratio",
            denominator=denominator.strip(),
            name=name.strip(),
        )
    column, _, kind = text.rpartition(":") if ":" in text else (text, "", "")
    column, kind = column.strip(), kind.strip()
    if (kind and kind not in KINDS) or kind == "ratio":
        raise ConfigError(
            f"unknown metric kind {kind!r} in {text!r}",
            hint="write COLUMN or COLUMN:KIND with KIND one of mean, count, conversion, "
            "or NAME=ratio:NUMERATOR/DENOMINATOR",
        )
    require_columns(frame, [column], what="metric")
    if not kind:
        values = pd.to_numeric(frame[column], errors="coerce").dropna()
        kind = "conversion" if len(values) and values.isin([0, 1]).all() else "mean"
    return Metric(column=column, kind=kind)  # type: ignore[arg-type]


def check_variants(
    found: Sequence[str], control: str, treatments: Sequence[str] | None
) -> tuple[str, ...]:
    """The treatment arms to compare; unknown names are a ConfigError listing the found ones."""
    listed = ", ".join(found) or "none"
    unknown = [name for name in (control, *(treatments or ())) if name not in found]
    if unknown:
        raise ConfigError(
            f"variant(s) {', '.join(map(repr, unknown))} not found in the data; "
            f"variants found: {listed}",
            hint="choose the control (and treatments) among the variants found",
        )
    arms = tuple(treatments) if treatments else tuple(v for v in found if v != control)
    if control in arms:
        raise ConfigError(f"variant {control!r} is both control and treatment")
    if not arms:
        raise InsufficientData(
            f"only the control variant {control!r} is in the data: nothing to compare",
            hint=f"variants found: {listed}",
        )
    return arms


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    # A float column (e.g. checked by the table reader) is used as it is, not converted.
    raw = frame[column]
    values = raw if pd.api.types.is_float_dtype(raw) else pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        raise DataError(
            f"column {column!r} has a value that is not a number: {frame[column][bad].iloc[0]!r}",
            expected="numbers (or empty for missing)",
        )
    if np.isinf(values).any():
        raise DataError(f"column {column!r} has an infinite value", expected="finite numbers")
    return values.astype(float)


# ------------------------------------------------------------------------- comparisons


def _arm_values(
    frame: pd.DataFrame, variants: pd.Series, metric: Metric, arm: str
) -> tuple[np.ndarray, np.ndarray | None]:
    rows = frame[variants == arm]
    y = rows[metric.column].to_numpy(dtype=float)
    x = rows[metric.covariate].to_numpy(dtype=float) if metric.covariate else None
    return y, x


def _check_kind(metric: Metric, values: np.ndarray) -> None:
    if metric.kind == "conversion" and not np.isin(values, (0.0, 1.0)).all():
        raise DataError(
            f"metric {metric.label!r} is a conversion but has values other than 0 and 1",
            expected="0 or 1 per user",
            hint=f"declare it as {metric.column}:mean or {metric.column}:count",
        )
    if metric.kind == "count" and (np.any(values < 0) or np.any(values != np.round(values))):
        raise DataError(
            f"metric {metric.label!r} is a count but has negative or fractional values",
            expected="whole numbers >= 0",
            hint=f"declare it as {metric.column}:mean",
        )


def _t_estimate(
    diff: float | None,
    ci: Interval | None,
    df: float | None,
    alpha: float,
    model: str,
    baseline: float | None,
) -> Estimate | None:
    """The Estimate behind a t interval: se = half-width / t quantile (exactly its model)."""
    from scipy import stats

    if diff is None or ci is None or df is None or not math.isfinite(df):
        return None
    stderr = (ci[1] - ci[0]) / (2 * float(stats.t.isf(alpha / 2, df)))
    if not stderr > 0:
        return None
    return Estimate(diff, stderr, model, df=df, baseline=baseline)


def compare_metric(
    frame: pd.DataFrame,
    variants: pd.Series,
    metric: Metric,
    control: str,
    treatment: str,
    *,
    test: MeanTest = "welch",
    count_model: CountTest = "negative-binomial",
    yates: bool = False,
    alpha: float = 0.05,
    bootstrap: int | None = None,
    seed: int | None = 0,
    adjust_for: Sequence[str] = (),
    settings: AnalysisSettings | None = None,
) -> Comparison:
    """Compare one metric between two arms of ``frame`` (rows labelled by ``variants``).

    Every number of the row (``diff``, ``diff_ci``, ``statistic``, ``p_value``) comes
    from one model, so ``diff_ci`` excludes zero exactly when ``p_value < alpha``:
    Welch (or Student) t for means; the count model's Wald z of the log rate ratio for
    counts (``diff_ci`` is the control mean × (rate-ratio CI − 1)); the unpooled
    two-proportion z-test for conversions (with ``yates``, the continuity-corrected
    interval and statistic of R ``prop.test``); the delta method for ratios. A
    Mann–Whitney test has no interval of the mean difference: ``diff_ci`` is None.

    Rows with a missing metric (or covariate) value are left out with a note. An arm
    without values gives a comparison of nulls with a note, not an error. ``settings``,
    when given, replaces the keyword options.
    """
    if settings is None:
        settings = AnalysisSettings(
            control=control,
            test=test,
            count_model=count_model,
            yates=yates,
            alpha=alpha,
            bootstrap=bootstrap,
            seed=seed,
            adjust_for=tuple(adjust_for),
        )
    alpha = settings.alpha
    notes: list[str] = []
    needed = [
        metric.column,
        *([metric.covariate] if metric.covariate else []),
        *([metric.denominator] if metric.denominator else []),
    ]
    in_pair = variants.isin([control, treatment])
    missing = frame[needed].isna().any(axis=1) & in_pair
    if missing.any():
        notes.append(f"{int(missing.sum())} user(s) without a value left out")
    usable = frame[~missing]
    labels = variants[~missing]
    control_y, control_x = _arm_values(usable, labels, metric, control)
    treatment_y, treatment_x = _arm_values(usable, labels, metric, treatment)
    base = Comparison(
        metric=metric.label,
        kind=metric.kind,
        control=control,
        treatment=treatment,
        n_control=int(control_y.size),
        n_treatment=int(treatment_y.size),
    )
    empty = [arm for arm, y in ((control, control_y), (treatment, treatment_y)) if y.size == 0]
    if empty:
        arms = " and ".join(map(repr, empty))
        return replace(base, notes=(*notes, f"arm {arms} has no users with a value: no comparison"))
    if metric.kind == "ratio":
        return _as_ratio(base, usable, labels, metric, notes, alpha)
    _check_kind(metric, np.concatenate([control_y, treatment_y]))

    means = compare_means(
        control_y,
        treatment_y,
        test="welch" if metric.kind != "mean" else settings.test,
        alpha=alpha,
        bootstrap_resamples=settings.bootstrap,
        seed=settings.seed,
    )
    if metric.kind == "conversion":
        # Welch's notes concern a test, an sd-based effect size and a lift CI that a
        # conversion replaces with the proportion test's own; only the bootstrap's stay.
        notes.extend(note for note in means.notes if note.startswith("bootstrap"))
    else:
        notes.extend(means.notes)
    result = replace(
        base,
        mean_control=finite_or_none(means.control.mean),
        mean_treatment=finite_or_none(means.treatment.mean),
        sd_control=finite_or_none(means.control.sd),
        sd_treatment=finite_or_none(means.treatment.sd),
        diff=finite_or_none(means.diff),
        diff_ci=interval_or_none(means.ci_low, means.ci_high),
        rel_diff=finite_or_none(means.relative_lift),
        rel_ci=interval_or_none(means.relative_ci_low, means.relative_ci_high),
        test=means.test,
        statistic=finite_or_none(means.statistic),
        df=finite_or_none(means.df),
        p_value=finite_or_none(means.p_value),
        effect_size=finite_or_none(means.cohens_d),
        effect_size_name="cohens_d" if means.cohens_d is not None else None,
        bootstrap_ci=(
            interval_or_none(means.bootstrap.ci_low, means.bootstrap.ci_high)
            if means.bootstrap
            else None
        ),
    )
    if metric.kind == "mean" and settings.test == "mann-whitney":
        notes.append(
            "Mann–Whitney tests whether treatment values tend to exceed control values, "
            "not the means: no CI of the mean difference is shown beside its p-value"
        )
        result = replace(result, diff_ci=None, rel_ci=None)
    else:
        result = replace(
            result,
            estimate=_t_estimate(
                result.diff, result.diff_ci, result.df, alpha, means.test, result.mean_control
            ),
        )
    if metric.kind == "conversion":
        result = _as_proportions(result, control_y, treatment_y, settings, notes)
    elif metric.kind == "count" and settings.count_model != "welch":
        result = _as_counts(result, control_y, treatment_y, settings, notes)
    if metric.covariate:
        assert control_x is not None and treatment_x is not None
        summary, cuped_estimate = _cuped(
            metric.covariate,
            control_y,
            control_x,
            treatment_y,
            treatment_x,
            alpha,
            result.mean_control,
        )
        result = replace(result, cuped=summary, cuped_estimate=cuped_estimate)
    if settings.adjust_for:
        summary_r, regression_estimate = _regression(
            usable, labels, metric, control, treatment, settings, result.mean_control
        )
        result = replace(result, regression=summary_r, regression_estimate=regression_estimate)
    return replace(result, notes=tuple(dict.fromkeys(notes)))


def _as_ratio(
    base: Comparison,
    usable: pd.DataFrame,
    labels: pd.Series,
    metric: Metric,
    notes: list[str],
    alpha: float,
) -> Comparison:
    assert metric.denominator is not None
    arms = []
    for arm in (base.control, base.treatment):
        rows = usable[labels == arm]
        try:
            arms.append(ratio_arm(rows[metric.column], rows[metric.denominator], name=arm))
        except InsufficientData as exc:
            return replace(base, notes=(*notes, exc.message))
    control, treatment = arms
    estimate = compare_ratios(control, treatment)
    if estimate is None:
        return replace(
            base,
            mean_control=control.ratio,
            mean_treatment=treatment.ratio,
            diff=treatment.ratio - control.ratio,
            notes=(*notes, "the ratios have no variance: no test"),
        )
    relative = estimate.ci(alpha)
    return replace(
        base,
        mean_control=control.ratio,
        mean_treatment=treatment.ratio,
        diff=estimate.value,
        diff_ci=estimate.ci(alpha),
        rel_ci=(relative[0] / control.ratio, relative[1] / control.ratio)
        if control.ratio
        else None,
        test=estimate.model,
        statistic=estimate.statistic(),
        p_value=estimate.p_value(),
        rel_diff=estimate.relative(estimate.value),
        estimate=estimate,
        notes=tuple(dict.fromkeys(notes)),
    )


def _as_proportions(
    result: Comparison,
    control_y: np.ndarray,
    treatment_y: np.ndarray,
    settings: AnalysisSettings,
    notes: list[str],
) -> Comparison:
    proportions = compare_proportions(
        int(control_y.sum()),
        control_y.size,
        int(treatment_y.sum()),
        treatment_y.size,
        correction=settings.yates,
        alpha=settings.alpha,
    )
    notes.extend(proportions.notes)
    p_c, p_t = proportions.control.proportion, proportions.treatment.proportion
    n_c, n_t = control_y.size, treatment_y.size
    stderr = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    # R prop.test's continuity term, on the difference's scale.
    continuity = min(0.5 * (1 / n_c + 1 / n_t), abs(p_t - p_c)) if settings.yates else 0.0
    test = (
        "two-proportion z-test (unpooled, continuity-corrected)"
        if settings.yates
        else "two-proportion z-test (unpooled)"
    )
    estimate = (
        Estimate(p_t - p_c, stderr, test, continuity=continuity, baseline=p_c)
        if stderr > 0
        else None
    )
    return replace(
        result,
        diff=finite_or_none(proportions.diff),
        diff_ci=None if estimate is None else estimate.ci(settings.alpha),
        rel_diff=finite_or_none(proportions.relative_lift),
        rel_ci=interval_or_none(proportions.relative_ci_low, proportions.relative_ci_high),
        test=test,
        statistic=None if estimate is None else estimate.statistic(),
        df=None,
        p_value=None if estimate is None else estimate.p_value(),
        chi2=finite_or_none(proportions.chi2),
        effect_size=finite_or_none(proportions.cohens_h),
        effect_size_name="cohens_h",
        estimate=estimate,
    )


def _as_counts(
    result: Comparison,
    control_y: np.ndarray,
    treatment_y: np.ndarray,
    settings: AnalysisSettings,
    notes: list[str],
) -> Comparison:
    from graphkit.experiments.counts import compare_counts

    # _as_counts only runs for the two count models, never for "welch".
    model = cast("CountModel", settings.count_model)
    counts = compare_counts(control_y, treatment_y, model=model, alpha=settings.alpha)
    notes.extend(counts.notes)
    rate_ratio_ci = interval_or_none(counts.ci_low, counts.ci_high)
    estimate = None
    if counts.rate_ratio is not None and rate_ratio_ci is not None:
        from scipy import stats

        # se of log(RR) from the model's own Wald interval: exactly its test's se.
        stderr = (math.log(rate_ratio_ci[1]) - math.log(rate_ratio_ci[0])) / (
            2 * float(stats.norm.isf(settings.alpha / 2))
        )
        if stderr > 0:
            estimate = Estimate(
                math.log(counts.rate_ratio),
                stderr,
                counts.model,
                scale="log",
                baseline=result.mean_control,
            )
    # The absolute CI follows the model's rate-ratio CI (the control mean taken as
    # known), so it excludes zero exactly when the model's p-value is below alpha.
    diff_ci = None
    if rate_ratio_ci is not None and result.mean_control is not None:
        diff_ci = (
            result.mean_control * (rate_ratio_ci[0] - 1),
            result.mean_control * (rate_ratio_ci[1] - 1),
        )
    return replace(
        result,
        test=counts.model,
        statistic=finite_or_none(counts.statistic),
        df=None,
        p_value=finite_or_none(counts.p_value),
        rate_ratio=finite_or_none(counts.rate_ratio),
        rate_ratio_ci=rate_ratio_ci,
        rel_ci=None if rate_ratio_ci is None else (rate_ratio_ci[0] - 1, rate_ratio_ci[1] - 1),
        diff_ci=diff_ci,
        estimate=estimate,
    )


def _cuped(
    covariate: str,
    control_y: np.ndarray,
    control_x: np.ndarray,
    treatment_y: np.ndarray,
    treatment_x: np.ndarray,
    alpha: float,
    baseline: float | None,
) -> tuple[CupedSummary, Estimate | None]:
    from graphkit.experiments.cuped import cuped

    adjusted = cuped(control_y, control_x, treatment_y, treatment_x, alpha=alpha)
    if adjusted.theta is None:
        return CupedSummary(covariate, None, None, None, None, None, None, adjusted.notes), None
    comparison = adjusted.adjusted
    summary = CupedSummary(
        covariate=covariate,
        theta=finite_or_none(adjusted.theta),
        correlation=finite_or_none(adjusted.correlation),
        diff=finite_or_none(comparison.diff),
        diff_ci=interval_or_none(comparison.ci_low, comparison.ci_high),
        p_value=finite_or_none(comparison.p_value),
        variance_reduction=finite_or_none(adjusted.variance_reduction),
        notes=tuple(dict.fromkeys((*adjusted.notes, *comparison.notes))),
    )
    estimate = _t_estimate(
        summary.diff, summary.diff_ci, comparison.df, alpha, "Welch t-test", baseline
    )
    return summary, estimate


def _regression(
    frame: pd.DataFrame,
    variants: pd.Series,
    metric: Metric,
    control: str,
    treatment: str,
    settings: AnalysisSettings,
    baseline: float | None,
) -> tuple[RegressionSummary, Estimate | None]:
    from graphkit.experiments.cuped import regression_adjustment

    columns = list(settings.adjust_for)
    rows = frame.loc[variants.isin([control, treatment]), [metric.column, *columns]].copy()
    rows["__arm__"] = variants[rows.index]
    for column in columns:
        if column in CATEGORICAL_COVARIATES:
            rows[column] = rows[column].astype(str).astype("category")
    try:
        fit = regression_adjustment(
            rows,
            metric=metric.column,
            arm="__arm__",
            control=control,
            treatment=treatment,
            covariates=columns,
            alpha=settings.alpha,
        )
    except InsufficientData as exc:
        summary = RegressionSummary(
            "OLS regression adjustment", tuple(columns), None, None, None, None, (exc.message,)
        )
        return summary, None
    summary = RegressionSummary(
        method=fit.method,
        covariates=fit.covariates,
        estimate=finite_or_none(fit.estimate),
        ci=interval_or_none(fit.ci_low, fit.ci_high),
        p_value=finite_or_none(fit.p_value),
        r_squared=finite_or_none(fit.r_squared),
        notes=fit.notes,
    )
    estimate = None
    if fit.stderr is not None and fit.stderr > 0 and math.isfinite(fit.estimate):
        estimate = Estimate(fit.estimate, fit.stderr, fit.method, df=fit.df, baseline=baseline)
    return summary, estimate


# ------------------------------------------------------------------------- the analysis


@dataclass(frozen=True)
class Split:
    """The arms found in the data, the treatments to compare, and the SRM check."""

    variants: tuple[str, ...]
    treatments: tuple[str, ...]
    srm: SrmSummary
    notes: tuple[str, ...]


def check_split(
    variants: pd.Series,
    control: str,
    treatments: Sequence[str] | None = None,
    *,
    weights: Mapping[str, float] | None = None,
    srm_threshold: float = SRM_THRESHOLD,
) -> Split:
    """Check the variant names against the data and the arm sizes against the plan.

    Raises
    ------
    ConfigError
        If ``control``, a treatment or a weighted variant is not in the data (the
        message lists the variants found).
    InsufficientData
        If there is no arm besides control.
    """
    found = tuple(sorted(variants.dropna().astype(str).unique()))
    arms = check_variants(found, control, treatments)
    if weights is not None:
        unknown = [name for name in weights if name not in found]
        if unknown:
            raise ConfigError(
                f"weight(s) given for variant(s) not in the data: {', '.join(unknown)}; "
                f"variants found: {', '.join(found)}",
                hint="name every variant of the planned split, as spelled in the data",
            )
    counts = variants.value_counts()
    observed: dict[Hashable, int] = {name: int(counts.get(name, 0)) for name in found}
    planned: dict[Hashable, float] | None = None
    if weights is not None:
        planned = {name: float(weights.get(name, 0.0)) for name in found}
    result = check_srm(observed, planned, threshold=srm_threshold)
    srm = SrmSummary(
        chi2=result.chi2,
        df=result.df,
        p_value=result.p_value,
        flag=result.flagged,
        threshold=result.threshold,
        observed={str(k): v for k, v in result.observed.items()},
        expected={str(k): v for k, v in result.expected.items()},
        notes=result.notes,
    )
    notes = []
    if srm.flag:
        notes.append(
            f"sample-ratio mismatch (p = {srm.p_value:.2g} < {srm.threshold}): the arms do "
            "not have the planned sizes; do not trust the comparisons until the cause is found"
        )
    return Split(found, arms, srm, tuple(notes))


def analyze_experiment(
    frame: pd.DataFrame,
    metrics: Sequence[Metric],
    *,
    variant_col: str = "variant",
    control: str = "control",
    treatments: Sequence[str] | None = None,
    experiment: str | None = None,
    test: MeanTest = "welch",
    count_model: CountTest = "negative-binomial",
    yates: bool = False,
    correction: Correction = "holm",
    alpha: float = 0.05,
    bootstrap: int | None = None,
    seed: int | None = 0,
    adjust_for: Sequence[str] = (),
    weights: Mapping[str, float] | None = None,
    srm_threshold: float = SRM_THRESHOLD,
    settings: AnalysisSettings | None = None,
) -> ExperimentAnalysis:
    """Analyse every metric for every treatment arm against control.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per user: ``variant_col``, the metric columns, their covariates and any
        ``adjust_for`` columns.
    metrics : sequence of Metric
        Columns to analyse, each with its kind and optional pre-period covariate
        (CUPED).
    variant_col : str
        Column naming each user's arm; values are compared as text.
    experiment : str, optional
        Name shown in the result.
    settings : AnalysisSettings, optional
        Every analysis choice (see :class:`~graphkit.experiments.settings.
        AnalysisSettings`). When omitted it is built from the keyword options below,
        which keep their older meaning.
    control, treatments, test, count_model, yates, correction, alpha : optional
        The fields of the same names of :class:`AnalysisSettings`.
    bootstrap, seed, adjust_for, weights, srm_threshold : optional
        The fields of the same names of :class:`AnalysisSettings`.

    Returns
    -------
    ExperimentAnalysis
        The SRM check and one comparison per metric × treatment, each with its
        :class:`~graphkit.experiments.verdict.Verdict` and the verdict in words.

    Raises
    ------
    ConfigError
        If a column is missing, a variant name is not in the data (the message lists
        the variants found), or an option is invalid.
    DataError
        If a metric column is not numeric, or its values do not fit its kind.
    InsufficientData
        If the data hold no treatment arm.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "variant": ["control"] * 4 + ["treatment"] * 4,
    ...     "minutes": [5.1, 4.9, 5.3, 5.0, 5.6, 5.8, 5.5, 5.9],
    ... })
    >>> result = analyze_experiment(frame, [Metric("minutes")])
    >>> result.srm.flag, round(result.comparisons[0].diff, 3)
    (False, 0.625)
    >>> result.comparisons[0].verdict.significant
    True
    """
    if settings is None:
        settings = AnalysisSettings(
            control=control,
            treatments=None if treatments is None else tuple(treatments),
            test=test,
            count_model=count_model,
            yates=yates,
            correction=correction,
            alpha=alpha,
            bootstrap=bootstrap,
            seed=seed,
            adjust_for=tuple(adjust_for),
            weights=weights,
            srm_threshold=srm_threshold,
        )
    control, alpha = settings.control, settings.alpha
    if not metrics:
        raise ConfigError("no metric to analyse", hint="give at least one metric")
    names = [metric.label for metric in metrics]
    if len(set(names)) != len(names):
        raise ConfigError(f"a metric is listed twice: {', '.join(names)}")
    settings.check_metrics(names)
    require_columns(frame, [variant_col], what="variant")
    columns = [metric.column for metric in metrics]
    denominators = [metric.denominator for metric in metrics if metric.denominator]
    require_columns(frame, [*columns, *denominators], what="metric")
    covariates = [metric.covariate for metric in metrics if metric.covariate]
    require_columns(frame, covariates, what="covariate")
    require_columns(frame, list(settings.adjust_for), what="adjustment covariate")

    notes: list[str] = []
    labelled = frame[frame[variant_col].notna()]
    if len(labelled) < len(frame):
        notes.append(f"{len(frame) - len(labelled)} row(s) without a variant left out")
    data = labelled.copy()
    for column in dict.fromkeys([*columns, *denominators, *covariates]):
        data[column] = _numeric(data, column)
    caps: dict[str, float] = {}
    if settings.cap is not None:
        data, caps = winsorize(data, metrics, settings.cap)
    variants = data[variant_col].astype(str)
    split = check_split(
        variants,
        control,
        settings.treatments,
        weights=settings.weights,
        srm_threshold=settings.srm_threshold,
    )
    notes.extend(split.notes)

    comparisons = []
    for metric in metrics:
        for arm in split.treatments:
            item = compare_metric(data, variants, metric, control, arm, settings=settings)
            if metric.column in caps:
                item = replace(
                    item,
                    capped_at=caps[metric.column],
                    notes=(
                        f"winsorized at {caps[metric.column]:.4g} (the {settings.cap:g} "
                        "quantile of all users)",
                        *item.notes,
                    ),
                )
            comparisons.append(_with_verdict(item, settings, names))
    tested = [i for i, item in enumerate(comparisons) if item.p_value is not None]
    adjusted = adjust_p_values(
        [comparisons[i].p_value for i in tested],  # type: ignore[misc]
        method=settings.correction,
        alpha=alpha,
    )
    for i, p_adjusted in zip(tested, adjusted.adjusted, strict=True):
        comparisons[i] = replace(comparisons[i], p_adjusted=p_adjusted)
    # The verdicts are corrected on their own p-values (which may be CUPED-adjusted or
    # always valid), across primary and secondary metrics; guardrails test one-sided.
    decided = [
        i
        for i, item in enumerate(comparisons)
        if item.verdict is not None
        and item.verdict.role != "guardrail"
        and item.verdict.p_value is not None
    ]
    verdict_adjusted = adjust_p_values(
        [comparisons[i].verdict.p_value for i in decided],  # type: ignore[union-attr,misc]
        method=settings.correction,
        alpha=alpha,
    )
    for i, p_adjusted in zip(decided, verdict_adjusted.adjusted, strict=True):
        verdict = comparisons[i].verdict
        assert verdict is not None
        comparisons[i] = replace(comparisons[i], verdict=with_adjusted(verdict, p_adjusted, alpha))
    method = METHOD_NAMES[settings.correction]
    comparisons = [
        replace(
            item,
            sentence=verdict_sentence(
                item.metric,
                item.treatment,
                item.control,
                item.verdict,
                alpha=alpha,
                correction=method,
                n_tests=len(decided),
            )
            if item.verdict is not None
            else "",
        )
        for item in comparisons
    ]
    return ExperimentAnalysis(
        experiment=experiment,
        control=control,
        variants=split.variants,
        srm=split.srm,
        comparisons=tuple(comparisons),
        alpha=alpha,
        correction=method,
        n_users=len(data),
        notes=tuple(notes),
        settings=settings,
    )


def _with_verdict(
    item: Comparison, settings: AnalysisSettings, metrics: Sequence[str]
) -> Comparison:
    """Attach the verdict: regression-adjusted when asked, else CUPED when on and
    available, else the row's own model."""
    if item.mean_control is None:
        return item
    role = settings.role(item.metric, metrics)
    higher = item.metric not in settings.lower_is_better
    n = item.n_control + item.n_treatment
    choice: tuple[Estimate | None, str]
    if settings.adjust_for and item.regression_estimate is not None:
        choice = (item.regression_estimate, "regression")
    elif settings.cuped and item.cuped_estimate is not None:
        choice = (item.cuped_estimate, "CUPED")
    else:
        choice = (item.estimate, "none")
    estimate, adjustment = choice
    verdict = build_verdict(
        estimate,
        n=n,
        settings=settings,
        role=role,
        adjustment=adjustment,
        higher_is_better=higher,
        metric=item.metric,
        fallback_p=item.p_value,
        fallback_model=item.test,
        fallback_estimate=item.diff,
    )
    return replace(item, verdict=verdict)


def winsorize(
    frame: pd.DataFrame, metrics: Sequence[Metric], cap: float
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Cap each mean or count metric (and its covariate) at its ``cap`` quantile.

    The quantile is taken over all users of every arm (treatment cannot move the cap
    differently per arm), with ``method="higher"`` so the cap is an observed value and
    counts stay whole. Conversions and ratio metrics are left as they are.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 100.0]})
    >>> capped, caps = winsorize(frame, [Metric("y")], 0.75)
    >>> capped["y"].tolist(), caps
    ([1.0, 2.0, 3.0, 4.0, 4.0], {'y': 4.0})
    """
    capped = frame.copy()
    caps: dict[str, float] = {}
    for metric in metrics:
        if metric.kind not in ("mean", "count"):
            continue
        for column in (metric.column, metric.covariate):
            if column is None or column in caps:
                continue
            values = capped[column]
            if values.notna().any():
                caps[column] = float(np.nanquantile(values, cap, method="higher"))
                capped[column] = values.clip(upper=caps[column])
    return capped, caps
