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
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.corrections import Correction, adjust_p_values
from graphkit.experiments.means import MeanTest, compare_means
from graphkit.experiments.metrics import Metric, MetricKind, require_columns
from graphkit.experiments.proportions import compare_proportions
from graphkit.experiments.srm import SRM_THRESHOLD, check_srm

if TYPE_CHECKING:
    from graphkit.experiments.counts import CountModel

# Count models and CUPED/regression adjustment need statsmodels, whose import takes
# seconds: they are imported where used, so `graphkit --help` stays quick.

CountTest = Literal["negative-binomial", "poisson", "welch"]
KINDS: tuple[MetricKind, ...] = ("mean", "count", "conversion")

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
    notes: tuple[str, ...] = ()


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
        "notes": list(item.notes),
    }


# ------------------------------------------------------------------------- the table


def parse_table_metric(text: str, frame: pd.DataFrame) -> Metric:
    """A metric of a user-supplied table: ``COLUMN`` or ``COLUMN:KIND``.

    Without a kind, a column whose values are all 0 or 1 (or booleans) is a conversion
    and any other numeric column a mean; counts must be declared (``sessions:count``).

    Raises
    ------
    ConfigError
        If the column is not in the table or the kind is unknown.
    """
    column, _, kind = text.rpartition(":") if ":" in text else (text, "", "")
    column, kind = column.strip(), kind.strip()
    if kind and kind not in KINDS:
        raise ConfigError(
            f"unknown metric kind {kind!r} in {text!r}",
            hint=f"write COLUMN or COLUMN:KIND with KIND one of {', '.join(KINDS)}",
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
            hint="pass --control (and --treatment) with one of the variants found",
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
    values = pd.to_numeric(frame[column], errors="coerce")
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


@dataclass(frozen=True)
class _Options:
    test: MeanTest
    count_model: CountTest
    yates: bool
    alpha: float
    bootstrap: int | None
    seed: int | None
    adjust_for: tuple[str, ...]


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
            f"metric {metric.column!r} is a conversion but has values other than 0 and 1",
            expected="0 or 1 per user",
            hint=f"declare it as {metric.column}:mean or {metric.column}:count",
        )
    if metric.kind == "count" and (np.any(values < 0) or np.any(values != np.round(values))):
        raise DataError(
            f"metric {metric.column!r} is a count but has negative or fractional values",
            expected="whole numbers >= 0",
            hint=f"declare it as {metric.column}:mean",
        )


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
) -> Comparison:
    """Compare one metric between two arms of ``frame`` (rows labelled by ``variants``).

    Rows with a missing metric (or covariate) value are left out with a note. An arm
    without values gives a comparison of nulls with a note, not an error.
    """
    options = _Options(test, count_model, yates, alpha, bootstrap, seed, tuple(adjust_for))
    notes: list[str] = []
    needed = [metric.column, *([metric.covariate] if metric.covariate else [])]
    in_pair = variants.isin([control, treatment])
    missing = frame[needed].isna().any(axis=1) & in_pair
    if missing.any():
        notes.append(f"{int(missing.sum())} user(s) without a value left out")
    usable = frame[~missing]
    labels = variants[~missing]
    control_y, control_x = _arm_values(usable, labels, metric, control)
    treatment_y, treatment_x = _arm_values(usable, labels, metric, treatment)
    base = Comparison(
        metric=metric.column,
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
    _check_kind(metric, np.concatenate([control_y, treatment_y]))

    means = compare_means(
        control_y,
        treatment_y,
        test="welch" if metric.kind != "mean" else options.test,
        alpha=alpha,
        bootstrap_resamples=bootstrap,
        seed=seed,
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
    if metric.kind == "conversion":
        result = _as_proportions(result, control_y, treatment_y, options, notes)
    elif metric.kind == "count" and count_model != "welch":
        result = _as_counts(result, control_y, treatment_y, options, notes)
    if metric.covariate:
        assert control_x is not None and treatment_x is not None
        result = replace(
            result,
            cuped=_cuped(metric.covariate, control_y, control_x, treatment_y, treatment_x, alpha),
        )
    if adjust_for:
        result = replace(
            result,
            regression=_regression(usable, labels, metric, control, treatment, options),
        )
    return replace(result, notes=tuple(dict.fromkeys(notes)))


def _as_proportions(
    result: Comparison,
    control_y: np.ndarray,
    treatment_y: np.ndarray,
    options: _Options,
    notes: list[str],
) -> Comparison:
    proportions = compare_proportions(
        int(control_y.sum()),
        control_y.size,
        int(treatment_y.sum()),
        treatment_y.size,
        correction=options.yates,
        alpha=options.alpha,
    )
    notes.extend(proportions.notes)
    return replace(
        result,
        diff=finite_or_none(proportions.diff),
        diff_ci=interval_or_none(proportions.ci_low, proportions.ci_high),
        rel_diff=finite_or_none(proportions.relative_lift),
        rel_ci=interval_or_none(proportions.relative_ci_low, proportions.relative_ci_high),
        test=proportions.test,
        statistic=finite_or_none(proportions.statistic),
        df=None,
        p_value=finite_or_none(proportions.p_value),
        chi2=finite_or_none(proportions.chi2),
        effect_size=finite_or_none(proportions.cohens_h),
        effect_size_name="cohens_h",
    )


def _as_counts(
    result: Comparison,
    control_y: np.ndarray,
    treatment_y: np.ndarray,
    options: _Options,
    notes: list[str],
) -> Comparison:
    from graphkit.experiments.counts import compare_counts

    # _as_counts only runs for the two count models, never for "welch".
    model = cast("CountModel", options.count_model)
    counts = compare_counts(control_y, treatment_y, model=model, alpha=options.alpha)
    notes.extend(counts.notes)
    rate_ratio_ci = interval_or_none(counts.ci_low, counts.ci_high)
    return replace(
        result,
        test=counts.model,
        statistic=finite_or_none(counts.statistic),
        df=None,
        p_value=finite_or_none(counts.p_value),
        rate_ratio=finite_or_none(counts.rate_ratio),
        rate_ratio_ci=rate_ratio_ci,
        rel_ci=None if rate_ratio_ci is None else (rate_ratio_ci[0] - 1, rate_ratio_ci[1] - 1),
    )


def _cuped(
    covariate: str,
    control_y: np.ndarray,
    control_x: np.ndarray,
    treatment_y: np.ndarray,
    treatment_x: np.ndarray,
    alpha: float,
) -> CupedSummary:
    from graphkit.experiments.cuped import cuped

    adjusted = cuped(control_y, control_x, treatment_y, treatment_x, alpha=alpha)
    if adjusted.theta is None:
        return CupedSummary(covariate, None, None, None, None, None, None, adjusted.notes)
    comparison = adjusted.adjusted
    return CupedSummary(
        covariate=covariate,
        theta=finite_or_none(adjusted.theta),
        correlation=finite_or_none(adjusted.correlation),
        diff=finite_or_none(comparison.diff),
        diff_ci=interval_or_none(comparison.ci_low, comparison.ci_high),
        p_value=finite_or_none(comparison.p_value),
        variance_reduction=finite_or_none(adjusted.variance_reduction),
        notes=tuple(dict.fromkeys((*adjusted.notes, *comparison.notes))),
    )


def _regression(
    frame: pd.DataFrame,
    variants: pd.Series,
    metric: Metric,
    control: str,
    treatment: str,
    options: _Options,
) -> RegressionSummary:
    from graphkit.experiments.cuped import regression_adjustment

    columns = list(options.adjust_for)
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
            alpha=options.alpha,
        )
    except InsufficientData as exc:
        return RegressionSummary(
            "OLS regression adjustment", tuple(columns), None, None, None, None, (exc.message,)
        )
    return RegressionSummary(
        method=fit.method,
        covariates=fit.covariates,
        estimate=finite_or_none(fit.estimate),
        ci=interval_or_none(fit.ci_low, fit.ci_high),
        p_value=finite_or_none(fit.p_value),
        r_squared=finite_or_none(fit.r_squared),
        notes=fit.notes,
    )


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
    control : str
        The control arm.
    treatments : sequence of str, optional
        Arms to compare with control; default every other variant in the data.
    experiment : str, optional
        Name shown in the result.
    test : {"welch", "student", "mann-whitney"}
        Test for ``mean`` metrics.
    count_model : {"negative-binomial", "poisson", "welch"}
        Test for ``count`` metrics.
    yates : bool
        Yates' continuity correction for conversions (R ``prop.test``'s default;
        conservative). Off by default: the z-test equals the uncorrected chi-square.
    correction : {"holm", "bh"}
        Multiple-testing correction across all comparisons (metrics × treatments).
    alpha : float
        Significance level; every CI is ``1 - alpha``.
    bootstrap : int, optional
        Number of resamples for a percentile bootstrap CI of each difference.
    seed : int, optional
        Seed of the bootstrap.
    adjust_for : sequence of str
        Covariate columns (e.g. ``degree``, ``pagerank``, ``community``) for an OLS
        regression adjustment with HC2 standard errors, reported beside the main test.
        ``community`` and ``influencer`` enter as dummies.
    weights : mapping, optional
        Planned share per variant for the SRM check; equal shares if omitted.
    srm_threshold : float
        SRM p-value below which the split is flagged.

    Returns
    -------
    ExperimentAnalysis

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
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    if bootstrap is not None and bootstrap < 1:
        raise ConfigError(f"the bootstrap needs at least 1 resample, got {bootstrap}")
    if count_model not in ("negative-binomial", "poisson", "welch"):
        raise ConfigError(
            f"unknown count model {count_model!r}",
            hint="choose negative-binomial, poisson or welch",
        )
    if not metrics:
        raise ConfigError("no metric to analyse", hint="give at least one --metric")
    names = [metric.column for metric in metrics]
    if len(set(names)) != len(names):
        raise ConfigError(f"a metric is listed twice: {', '.join(names)}")
    require_columns(frame, [variant_col], what="variant")
    require_columns(frame, names, what="metric")
    covariates = [metric.covariate for metric in metrics if metric.covariate]
    require_columns(frame, covariates, what="covariate")
    require_columns(frame, list(adjust_for), what="adjustment covariate")

    notes: list[str] = []
    labelled = frame[frame[variant_col].notna()]
    if len(labelled) < len(frame):
        notes.append(f"{len(frame) - len(labelled)} row(s) without a variant left out")
    data = labelled.copy()
    for column in dict.fromkeys([*names, *covariates]):
        data[column] = _numeric(data, column)
    variants = data[variant_col].astype(str)
    split = check_split(variants, control, treatments, weights=weights, srm_threshold=srm_threshold)
    notes.extend(split.notes)
    arms, srm = split.treatments, split.srm

    comparisons = [
        compare_metric(
            data,
            variants,
            metric,
            control,
            arm,
            test=test,
            count_model=count_model,
            yates=yates,
            alpha=alpha,
            bootstrap=bootstrap,
            seed=seed,
            adjust_for=adjust_for,
        )
        for metric in metrics
        for arm in arms
    ]
    tested = [i for i, item in enumerate(comparisons) if item.p_value is not None]
    adjusted = adjust_p_values(
        [comparisons[i].p_value for i in tested],  # type: ignore[misc]
        method=correction,
        alpha=alpha,
    )
    for i, p_adjusted in zip(tested, adjusted.adjusted, strict=True):
        comparisons[i] = replace(comparisons[i], p_adjusted=p_adjusted)
    return ExperimentAnalysis(
        experiment=experiment,
        control=control,
        variants=split.variants,
        srm=srm,
        comparisons=tuple(comparisons),
        alpha=alpha,
        correction=adjusted.method,
        n_users=len(data),
        notes=tuple(notes),
    )
