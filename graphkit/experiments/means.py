"""Two-sample comparison of a continuous metric: t-tests, Mann–Whitney, lift, Cohen's d."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from graphkit.errors import ConfigError, InsufficientData
from graphkit.experiments.bootstrap import BootstrapInterval, bootstrap_mean_diff
from graphkit.experiments.effect_sizes import cohens_d, relative_lift
from graphkit.experiments.samples import ArmSummary, as_sample, summarize_arm

MeanTest = Literal["welch", "student", "mann-whitney"]

TEST_NAMES: dict[str, str] = {
    "welch": "Welch two-sample t-test",
    "student": "Student two-sample t-test",
    "mann-whitney": "Mann–Whitney U test",
}


@dataclass(frozen=True)
class MeanComparison:
    """Comparison of one metric between control and treatment.

    Every difference is ``treatment - control``. A number that cannot be computed from
    the data is None and ``notes`` says why.

    Attributes
    ----------
    test : str
        Human-readable name of the test behind ``statistic`` and ``p_value``.
    control, treatment : ArmSummary
        n, mean and standard deviation per arm.
    diff : float
        ``mean(treatment) - mean(control)``.
    ci_low, ci_high : float or None
        ``1 - alpha`` CI of ``diff``: Student's for ``test="student"``, else Welch's.
    relative_lift, relative_ci_low, relative_ci_high : float or None
        ``diff / mean(control)`` with a delta-method normal CI.
    statistic : float or None
        t for the t-tests; U of the treatment arm for Mann–Whitney.
    df : float or None
        Degrees of freedom of the t-tests (Welch–Satterthwaite for Welch).
    p_value : float or None
        Two-sided p-value.
    cohens_d : float or None
        ``diff`` over the pooled standard deviation.
    alpha : float
    bootstrap : BootstrapInterval or None
        Percentile bootstrap CI of ``diff`` when requested.
    notes : tuple of str
    """

    test: str
    control: ArmSummary
    treatment: ArmSummary
    diff: float
    ci_low: float | None
    ci_high: float | None
    relative_lift: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    statistic: float | None
    df: float | None
    p_value: float | None
    cohens_d: float | None
    alpha: float
    bootstrap: BootstrapInterval | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _TTest:
    statistic: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float


def _variance(arm: ArmSummary) -> float:
    """Sample variance, with zero standing in for a single observation's undefined one."""
    return arm.sd**2 if arm.sd is not None else 0.0


def _t_test(
    control: ArmSummary, treatment: ArmSummary, *, equal_var: bool, alpha: float
) -> tuple[_TTest | None, str | None]:
    """Two-sample t-test and CI as R ``t.test(treatment, control, var.equal=...)`` does."""
    assert control.mean is not None and treatment.mean is not None  # arms are non-empty
    n_c, n_t = control.n, treatment.n
    if equal_var:
        df = float(n_c + n_t - 2)
        if df < 1:
            return None, "the Student t-test needs at least three values in total"
        pooled = ((n_c - 1) * _variance(control) + (n_t - 1) * _variance(treatment)) / df
        stderr = math.sqrt(pooled * (1 / n_c + 1 / n_t))
    else:
        if min(n_c, n_t) < 2:
            return None, "the Welch t-test needs at least two values per arm"
        var_mean_c = _variance(control) / n_c
        var_mean_t = _variance(treatment) / n_t
        stderr = math.sqrt(var_mean_c + var_mean_t)
        # Welch–Satterthwaite degrees of freedom (R stats:::t.test.default), written with
        # shares of the variance so that tiny variances cannot underflow to 0/0.
        df = math.nan
        if stderr > 0:
            share_c = var_mean_c / (var_mean_c + var_mean_t)
            share_t = var_mean_t / (var_mean_c + var_mean_t)
            df = 1 / (share_c * share_c / (n_c - 1) + share_t * share_t / (n_t - 1))
    # R's t.test stops with "data are essentially constant" below this standard error.
    if stderr <= 10 * sys.float_info.epsilon * max(abs(control.mean), abs(treatment.mean)):
        return None, "both arms are constant (zero variance): the t-test is undefined"
    diff = treatment.mean - control.mean
    statistic = diff / stderr
    half_width = float(stats.t.isf(alpha / 2, df)) * stderr
    return (
        _TTest(
            statistic=statistic,
            df=df,
            p_value=float(2 * stats.t.sf(abs(statistic), df)),
            ci_low=diff - half_width,
            ci_high=diff + half_width,
        ),
        None,
    )


def compare_means(
    control: npt.ArrayLike,
    treatment: npt.ArrayLike,
    *,
    test: MeanTest = "welch",
    alpha: float = 0.05,
    bootstrap_resamples: int | None = None,
    seed: int | None = None,
) -> MeanComparison:
    """Compare the mean of a metric between control and treatment.

    Parameters
    ----------
    control, treatment : array-like
        Per-unit metric values of each arm (NaN is refused, not dropped).
    test : {"welch", "student", "mann-whitney"}
        Test behind ``statistic`` and ``p_value``. Welch is the default because it does
        not assume equal variances (R ``t.test`` default). Mann–Whitney uses SciPy's
        ``mannwhitneyu`` with R ``wilcox.test``'s choice: exact when both arms have
        fewer than 50 values and there are no ties, else the normal approximation with
        continuity correction.
    alpha : float
        Significance level; CIs are ``1 - alpha``.
    bootstrap_resamples : int, optional
        If given, also compute a percentile bootstrap CI of the difference.
    seed : int, optional
        Seed of the bootstrap.

    Returns
    -------
    MeanComparison

    Raises
    ------
    InsufficientData
        If an arm is empty.
    DataError
        If values are non-numeric, NaN or infinite.
    ConfigError
        If ``test`` or ``alpha`` is invalid.

    Examples
    --------
    >>> result = compare_means([5.1, 4.9, 5.3, 5.0], [5.6, 5.8, 5.5, 5.9])
    >>> result.test, round(result.diff, 3), round(result.p_value, 4)
    ('Welch two-sample t-test', 0.625, 0.0025)
    """
    if test not in TEST_NAMES:
        raise ConfigError(f"unknown test {test!r}", hint=f"choose one of {sorted(TEST_NAMES)}")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    control_values = as_sample(control, name="control")
    treatment_values = as_sample(treatment, name="treatment")
    if control_values.size == 0 or treatment_values.size == 0:
        raise InsufficientData(
            "an arm has no observations: nothing to compare",
            hint="check the variant labels and the metric's join to the assignments",
        )
    control_arm = summarize_arm(control_values)
    treatment_arm = summarize_arm(treatment_values)
    assert control_arm.mean is not None and treatment_arm.mean is not None  # arms non-empty
    notes: list[str] = []

    t_test, t_note = _t_test(control_arm, treatment_arm, equal_var=test == "student", alpha=alpha)
    if t_note:
        notes.append(t_note)
    statistic: float | None = t_test.statistic if t_test else None
    df: float | None = t_test.df if t_test else None
    p_value: float | None = t_test.p_value if t_test else None
    if test == "mann-whitney":
        # U counts pairs where treatment beats control (ties count one half). R wilcox.test
        # is exact below 50 per arm without ties, else normal with continuity correction.
        pooled = np.concatenate([control_values, treatment_values])
        exact = max(control_arm.n, treatment_arm.n) < 50 and np.unique(pooled).size == pooled.size
        u_test = stats.mannwhitneyu(
            treatment_values,
            control_values,
            alternative="two-sided",
            method="exact" if exact else "asymptotic",
        )
        statistic, df, p_value = float(u_test.statistic), None, float(u_test.pvalue)
        notes.append(
            "the CI is Welch's interval for the difference in means; Mann–Whitney tests "
            "whether treatment values tend to exceed control values, not the means"
        )

    lift = None
    if min(control_arm.n, treatment_arm.n) < 2:
        notes.append("relative lift CI needs at least two values per arm")
    else:
        lift = relative_lift(
            control_arm.mean,
            _variance(control_arm) / control_arm.n,
            treatment_arm.mean,
            _variance(treatment_arm) / treatment_arm.n,
            alpha=alpha,
        )
        if lift is None:
            notes.append("control mean is zero (or too close to it): relative lift is undefined")

    effect_size = cohens_d(
        control_arm.mean,
        _variance(control_arm),
        control_arm.n,
        treatment_arm.mean,
        _variance(treatment_arm),
        treatment_arm.n,
    )
    if effect_size is None:
        notes.append("pooled standard deviation is zero or undefined: Cohen's d is undefined")

    bootstrap = None
    if bootstrap_resamples is not None:
        if min(control_arm.n, treatment_arm.n) < 2:
            notes.append("bootstrap skipped: it needs at least two values per arm")
        else:
            bootstrap = bootstrap_mean_diff(
                control_values,
                treatment_values,
                n_resamples=bootstrap_resamples,
                alpha=alpha,
                seed=seed,
            )

    return MeanComparison(
        test=TEST_NAMES[test],
        control=control_arm,
        treatment=treatment_arm,
        diff=treatment_arm.mean - control_arm.mean,
        ci_low=t_test.ci_low if t_test else None,
        ci_high=t_test.ci_high if t_test else None,
        relative_lift=lift.estimate if lift else None,
        relative_ci_low=lift.ci_low if lift else None,
        relative_ci_high=lift.ci_high if lift else None,
        statistic=statistic,
        df=df,
        p_value=p_value,
        cohens_d=effect_size,
        alpha=alpha,
        bootstrap=bootstrap,
        notes=tuple(notes),
    )
