"""Variance reduction with pre-experiment covariates: CUPED and regression adjustment."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.means import MeanComparison, compare_means
from graphkit.experiments.samples import FloatArray, as_sample

RobustCovariance = Literal["HC0", "HC1", "HC2", "HC3"]

# A hat value this close to 1 makes HC2/HC3 divide by zero.
_FULL_LEVERAGE = 1 - 1e-8
# Residual sum of squares below this fraction of the metric's scale counts as an exact fit.
_EXACT_FIT = 1e-20


@dataclass(frozen=True)
class CupedResult:
    """CUPED-adjusted comparison of a metric, with the unadjusted one beside it.

    Attributes
    ----------
    theta : float or None
        Pooled ``cov(Y, X) / var(X)`` over both arms; None when X is constant.
    covariate_mean : float
        Pooled mean of X that the adjustment centres on.
    correlation : float or None
        Pooled correlation of Y and X; the ideal variance reduction is its square.
    variance_reduction : float or None
        ``1 - Var(Y_adj) / Var(Y)``, measured on the variance of the difference in
        means (``s²_t/n_t + s²_c/n_c``) so a real treatment effect does not inflate it.
    adjusted : MeanComparison
        Welch comparison of ``Y_adj = Y - θ(X - mean(X))``.
    unadjusted : MeanComparison
        Welch comparison of Y.
    notes : tuple of str
    """

    theta: float | None
    covariate_mean: float
    correlation: float | None
    variance_reduction: float | None
    adjusted: MeanComparison
    unadjusted: MeanComparison
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RegressionAdjustment:
    """Treatment effect from OLS of the metric on treatment and covariates.

    Attributes
    ----------
    method : str
        Model and standard-error type, e.g. ``"OLS regression adjustment (HC2)"``.
    n_control, n_treatment : int
    estimate : float
        Covariate-adjusted difference in means, treatment - control.
    stderr : float or None
        Heteroskedasticity-robust standard error of ``estimate``; None (like the CI,
        statistic and p-value) when the model fits the metric exactly.
    ci_low, ci_high : float or None
        ``1 - alpha`` CI from the t distribution with the residual df.
    statistic : float or None
        t statistic.
    df : float
        Residual degrees of freedom.
    p_value : float or None
        Two-sided p-value.
    unadjusted_diff : float
        Raw difference in means, for comparison.
    covariates : tuple of str
        Design columns used (categorical covariates expanded to dummies).
    r_squared : float
    alpha : float
    notes : tuple of str
    """

    method: str
    n_control: int
    n_treatment: int
    estimate: float
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    statistic: float | None
    df: float
    p_value: float | None
    unadjusted_diff: float
    covariates: tuple[str, ...]
    r_squared: float
    alpha: float
    notes: tuple[str, ...]


def _paired(
    metric: npt.ArrayLike, covariate: npt.ArrayLike, *, name: str
) -> tuple[FloatArray, FloatArray]:
    y = as_sample(metric, name=f"{name} metric")
    x = as_sample(covariate, name=f"{name} covariate")
    if y.size != x.size:
        raise DataError(
            f"{name}: {y.size} metric values but {x.size} covariate values",
            expected="one covariate value per unit",
        )
    return y, x


def _variance_of_diff(comparison: MeanComparison) -> float | None:
    arms = (comparison.control, comparison.treatment)
    if any(arm.sd is None for arm in arms):
        return None
    return sum(arm.sd**2 / arm.n for arm in arms if arm.sd is not None)


def cuped(
    control_metric: npt.ArrayLike,
    control_covariate: npt.ArrayLike,
    treatment_metric: npt.ArrayLike,
    treatment_covariate: npt.ArrayLike,
    *,
    alpha: float = 0.05,
) -> CupedResult:
    """CUPED: compare ``Y - θ(X - mean(X))`` instead of Y, with X a pre-period covariate.

    Parameters
    ----------
    control_metric, treatment_metric : array-like
        Metric Y per unit during the experiment.
    control_covariate, treatment_covariate : array-like
        Covariate X per unit, measured before assignment (e.g. the same metric in the
        pre-period) so the treatment cannot have moved it.
    alpha : float
        Significance level; CIs are ``1 - alpha``.

    Returns
    -------
    CupedResult

    Raises
    ------
    DataError
        If metric and covariate lengths differ or values are missing.
    InsufficientData
        If an arm is empty.

    Notes
    -----
    Deng, Xu, Kohavi & Walker (2013), "Improving the Sensitivity of Online Controlled
    Experiments by Utilizing Pre-Experiment Data", WSDM, §3: θ = cov(Y, X) / var(X)
    estimated on both arms pooled, which keeps the adjusted difference unbiased. The
    Welch test on ``Y_adj`` treats θ as known; its estimation error is O(1/n).

    Examples
    --------
    >>> pre = [1.0, 2.0, 4.0, 5.0]
    >>> r = cuped([3.0, 4.0, 6.0, 7.0], pre, [5.0, 6.0, 8.0, 9.5], pre)
    >>> round(r.theta, 3), round(r.adjusted.diff, 3), r.variance_reduction > 0.9
    (1.05, 2.125, True)
    """
    control_y, control_x = _paired(control_metric, control_covariate, name="control")
    treatment_y, treatment_x = _paired(treatment_metric, treatment_covariate, name="treatment")
    unadjusted = compare_means(control_y, treatment_y, alpha=alpha)
    y = np.concatenate([control_y, treatment_y])
    x = np.concatenate([control_x, treatment_x])
    covariate_mean = float(x.mean())
    notes: list[str] = []
    if y.size < 3 or np.ptp(x) == 0:
        notes.append("the covariate is constant (or too few units): no adjustment made")
        return CupedResult(None, covariate_mean, None, None, unadjusted, unadjusted, tuple(notes))

    covariance = np.cov(y, x, ddof=1)
    theta = float(covariance[0, 1] / covariance[1, 1])
    correlation = (
        float(covariance[0, 1] / math.sqrt(covariance[0, 0] * covariance[1, 1]))
        if covariance[0, 0] > 0
        else None
    )
    adjusted = compare_means(
        control_y - theta * (control_x - covariate_mean),
        treatment_y - theta * (treatment_x - covariate_mean),
        alpha=alpha,
    )
    variance_before = _variance_of_diff(unadjusted)
    variance_after = _variance_of_diff(adjusted)
    variance_reduction = None
    if variance_before and variance_after is not None:
        variance_reduction = 1 - variance_after / variance_before
    else:
        notes.append("variance reduction needs two values per arm and a non-constant metric")
    return CupedResult(
        theta=theta,
        covariate_mean=covariate_mean,
        correlation=correlation,
        variance_reduction=variance_reduction,
        adjusted=adjusted,
        unadjusted=unadjusted,
        notes=tuple(notes),
    )


def _design_covariates(
    frame: pd.DataFrame, covariates: Sequence[str], notes: list[str]
) -> pd.DataFrame:
    """Numeric covariates as is, others as dummies (first level dropped), all centred."""
    if not covariates:
        return pd.DataFrame(index=frame.index)
    columns = frame[list(covariates)]
    missing = columns.isna().sum()
    if missing.any():
        column = str(missing[missing > 0].index[0])
        raise DataError(
            f"covariate {column!r} has {int(missing[column])} missing value(s)",
            expected="a value for every unit",
            hint="impute or drop units before adjusting",
        )
    design = pd.get_dummies(columns, drop_first=True, dtype=float).astype(float)
    constant = [str(name) for name in design.columns if design[name].nunique() <= 1]
    if constant:
        notes.append(f"dropped constant covariate column(s): {', '.join(constant)}")
        design = design.drop(columns=constant)
    return design - design.mean()


def regression_adjustment(
    frame: pd.DataFrame,
    *,
    metric: str,
    arm: str,
    control: Hashable,
    treatment: Hashable,
    covariates: Sequence[str],
    cov_type: RobustCovariance = "HC2",
    alpha: float = 0.05,
) -> RegressionAdjustment:
    """Treatment effect adjusted for covariates by OLS with robust standard errors.

    Fits ``metric ~ 1 + treatment + covariates`` (statsmodels ``OLS``) on the rows of
    the two arms. Graph covariates fit here: degree, PageRank, community (as dummies).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per unit.
    metric : str
        Outcome column.
    arm : str
        Column holding the variant label.
    control, treatment : hashable
        Labels of the two arms in ``arm``; rows of other arms are left out with a note.
    covariates : sequence of str
        Pre-treatment columns. Numeric columns enter linearly (centred); object,
        category and bool columns become dummies. Cast integer community ids to
        ``category`` to get one dummy per community.
    cov_type : {"HC0", "HC1", "HC2", "HC3"}
        Robust covariance. HC2 is the default: with only the treatment dummy it equals
        the Welch (Neyman) variance, and Lin (2013, "Agnostic notes on regression
        adjustments to experimental data", Ann. Appl. Stat.) recommends it.
    alpha : float
        Significance level; CIs are ``1 - alpha``.

    Returns
    -------
    RegressionAdjustment

    Raises
    ------
    DataError
        If a column is missing, values are missing, or covariates are collinear.
    InsufficientData
        If an arm is empty or there are no more units than parameters.

    Notes
    -----
    Inference matches R ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, type))``:
    robust standard error, t distribution with the residual degrees of freedom.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "arm": ["a", "a", "a", "b", "b", "b"],
    ...     "y": [1.0, 2.0, 3.5, 3.0, 4.5, 5.0],
    ...     "degree": [1, 2, 3, 1, 2, 3],
    ... })
    >>> r = regression_adjustment(
    ...     frame, metric="y", arm="arm", control="a", treatment="b", covariates=["degree"]
    ... )
    >>> round(r.estimate, 4), round(r.unadjusted_diff, 4)
    (2.0, 2.0)
    """
    if cov_type not in ("HC0", "HC1", "HC2", "HC3"):
        raise ConfigError(f"unknown robust covariance {cov_type!r}", hint="choose HC0-HC3")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    absent = [column for column in (metric, arm, *covariates) if column not in frame.columns]
    if absent:
        raise DataError(
            f"missing column(s): {', '.join(map(str, absent))}",
            expected=f"columns among {', '.join(map(str, frame.columns))}",
        )
    notes: list[str] = []
    in_experiment = frame[arm].isin([control, treatment])
    if not in_experiment.all():
        notes.append(f"left out {int((~in_experiment).sum())} row(s) of other arms")
    rows = frame.loc[in_experiment]
    is_treatment = (rows[arm] == treatment).to_numpy(dtype=float)
    n_treatment = int(is_treatment.sum())
    n_control = int(is_treatment.size - n_treatment)
    if min(n_control, n_treatment) == 0:
        raise InsufficientData(
            "an arm has no rows: nothing to compare",
            hint=f"check that {arm!r} holds the labels {control!r} and {treatment!r}",
        )
    y = as_sample(rows[metric], name=metric)
    extra = _design_covariates(rows, covariates, notes)
    design = np.column_stack([np.ones(y.size), is_treatment, extra.to_numpy()])
    if y.size <= design.shape[1]:
        raise InsufficientData(
            f"{y.size} units for {design.shape[1]} parameters: the model cannot be fitted",
            hint="use fewer covariates or more units",
        )
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise DataError(
            "covariates are collinear with each other or with the treatment",
            hint="remove redundant covariates",
        )
    leverage = np.sum(np.linalg.qr(design)[0] ** 2, axis=1)
    if cov_type in ("HC2", "HC3") and leverage.max() > _FULL_LEVERAGE:
        notes.append(
            f"some units have leverage 1 (e.g. a category with one member): {cov_type} is "
            "undefined, HC1 used instead"
        )
        cov_type = "HC1"
    plain_fit = sm.OLS(y, design).fit()
    unadjusted_diff = float(y[is_treatment == 1].mean() - y[is_treatment == 0].mean())
    result = RegressionAdjustment(
        method=f"OLS regression adjustment ({cov_type})",
        n_control=n_control,
        n_treatment=n_treatment,
        estimate=float(plain_fit.params[1]),
        stderr=None,
        ci_low=None,
        ci_high=None,
        statistic=None,
        df=float(plain_fit.df_resid),
        p_value=None,
        unadjusted_diff=unadjusted_diff,
        covariates=tuple(str(column) for column in extra.columns),
        r_squared=float(plain_fit.rsquared) if plain_fit.centered_tss > 0 else 0.0,
        alpha=alpha,
        notes=tuple(notes),
    )
    # An exact fit leaves no residual variance: robust errors would divide by zero.
    if plain_fit.ssr <= _EXACT_FIT * max(plain_fit.centered_tss, float(np.sum(y**2))):
        return replace(
            result, notes=(*notes, "the model fits the metric exactly: no standard error")
        )
    fit = plain_fit.get_robustcov_results(cov_type=cov_type, use_t=True)
    ci_low, ci_high = np.asarray(fit.conf_int(alpha=alpha))[1]
    return replace(
        result,
        stderr=float(fit.bse[1]),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        statistic=float(fit.tvalues[1]),
        p_value=float(fit.pvalues[1]),
    )
