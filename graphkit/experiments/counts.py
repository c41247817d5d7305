"""Count metrics: Poisson and negative-binomial regression of count ~ treatment."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
)

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.samples import FloatArray, as_sample

CountModel = Literal["poisson", "negative-binomial"]

MODEL_NAMES: dict[str, str] = {
    "poisson": "Poisson regression",
    "negative-binomial": "negative-binomial regression (NB2)",
}

# Warnings a maximum-likelihood fit may raise on awkward data; they become notes.
_FIT_WARNINGS = (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
    RuntimeWarning,
)

# Pearson χ²/df above this in a Poisson fit suggests the negative binomial instead.
_OVERDISPERSION_RATIO = 1.5

# An NB2 dispersion estimate below this is the boundary alpha = 0 (the Poisson model).
_BOUNDARY_DISPERSION = 1e-4


@dataclass(frozen=True)
class RateRatioResult:
    """Rate ratio of a count metric, treatment over control.

    Attributes
    ----------
    model : str
        ``"Poisson regression"`` or ``"negative-binomial regression (NB2)"``.
    n_control, n_treatment : int
        Units per arm.
    rate_control, rate_treatment : float
        Events per unit of exposure (per unit when no exposure is given).
    rate_ratio : float or None
        ``exp(β_treatment)``; equals ``rate_treatment / rate_control`` for both models.
    ci_low, ci_high : float or None
        Wald ``1 - alpha`` CI, ``exp(β ± z·se)``.
    statistic : float or None
        Wald z of ``β_treatment``.
    p_value : float or None
    dispersion : float or None
        NB2 ``alpha`` in ``Var = μ + alpha·μ²`` (R ``glm.nb`` reports ``theta = 1/alpha``);
        None for Poisson.
    alpha : float
        Significance level.
    notes : tuple of str
    """

    model: str
    n_control: int
    n_treatment: int
    rate_control: float
    rate_treatment: float
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    statistic: float | None
    p_value: float | None
    dispersion: float | None
    alpha: float
    notes: tuple[str, ...]


def _counts(values: npt.ArrayLike, *, name: str) -> FloatArray:
    counts = as_sample(values, name=name)
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise DataError(f"{name}: counts must be whole numbers >= 0", expected="counts")
    if counts.size == 0:
        raise InsufficientData(f"{name} has no observations: nothing to compare")
    return counts


def _exposure(values: npt.ArrayLike | None, size: int, *, name: str) -> FloatArray:
    if values is None:
        return np.ones(size)
    exposure = as_sample(values, name=f"{name} exposure")
    if exposure.size != size or np.any(exposure <= 0):
        raise DataError(
            f"{name} exposure must have one positive value per unit ({size})",
            expected="exposure > 0",
        )
    return exposure


def _fit_quietly(fit: Any, notes: list[str]) -> Any:
    """Run a statsmodels fit, turning its numerical warnings into notes for the reader."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit()
    for caught_warning in caught:
        if issubclass(caught_warning.category, _FIT_WARNINGS):
            note = f"model fit warned: {caught_warning.message}"
            if note not in notes:  # optimisers repeat a warning once per iteration
                notes.append(note)
        else:  # not a numerical problem of the fit: not ours to hide
            warnings.warn_explicit(
                caught_warning.message,
                caught_warning.category,
                caught_warning.filename,
                caught_warning.lineno,
            )
    return result


def _poisson_fit(counts: Any, design: Any, offset: Any, notes: list[str]) -> Any:
    return _fit_quietly(
        lambda: sm.GLM(counts, design, family=sm.families.Poisson(), offset=offset).fit(), notes
    )


def compare_counts(
    control: npt.ArrayLike,
    treatment: npt.ArrayLike,
    *,
    model: CountModel = "poisson",
    control_exposure: npt.ArrayLike | None = None,
    treatment_exposure: npt.ArrayLike | None = None,
    alpha: float = 0.05,
) -> RateRatioResult:
    """Rate ratio of a count metric (messages, sessions...) from a count regression.

    Fits ``log E[count] = β0 + β1·treatment + log(exposure)`` by maximum likelihood
    with statsmodels (Poisson ``GLM``; ``NegativeBinomial`` with NB2 variance, the
    model of R ``MASS::glm.nb``) and reports ``exp(β1)`` with a Wald CI.

    Parameters
    ----------
    control, treatment : array-like
        Non-negative whole counts per unit.
    model : {"poisson", "negative-binomial"}
        Poisson assumes variance = mean; use the negative binomial for overdispersed
        counts (a note suggests it when a Poisson fit is overdispersed).
    control_exposure, treatment_exposure : array-like, optional
        Positive exposure per unit (days active, impressions); enters as an offset.
    alpha : float
        Significance level; CIs are ``1 - alpha``.

    Returns
    -------
    RateRatioResult

    Raises
    ------
    DataError
        If counts are negative or fractional, or exposures do not match.
    InsufficientData
        If an arm is empty.

    Examples
    --------
    >>> r = compare_counts([1, 2, 0, 3, 2], [3, 4, 2, 5, 3])
    >>> round(r.rate_ratio, 4), round(r.rate_treatment / r.rate_control, 4)
    (2.125, 2.125)
    """
    if model not in MODEL_NAMES:
        raise ConfigError(
            f"unknown count model {model!r}", hint=f"choose one of {sorted(MODEL_NAMES)}"
        )
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    control_counts = _counts(control, name="control")
    treatment_counts = _counts(treatment, name="treatment")
    control_exposures = _exposure(control_exposure, control_counts.size, name="control")
    treatment_exposures = _exposure(treatment_exposure, treatment_counts.size, name="treatment")
    notes: list[str] = []
    rate_control = float(control_counts.sum() / control_exposures.sum())
    rate_treatment = float(treatment_counts.sum() / treatment_exposures.sum())
    result = RateRatioResult(
        model=MODEL_NAMES[model],
        n_control=int(control_counts.size),
        n_treatment=int(treatment_counts.size),
        rate_control=rate_control,
        rate_treatment=rate_treatment,
        rate_ratio=None,
        ci_low=None,
        ci_high=None,
        statistic=None,
        p_value=None,
        dispersion=None,
        alpha=alpha,
        notes=(),
    )
    if rate_control == 0 or rate_treatment == 0:
        # The MLE of log(rate) is -∞ for an arm without events: no finite ratio or CI.
        empty = "both arms have" if rate_control == rate_treatment else "an arm has"
        return replace(result, notes=(f"{empty} no events: the rate ratio is undefined",))

    counts = np.concatenate([control_counts, treatment_counts])
    is_treatment = np.concatenate([np.zeros(control_counts.size), np.ones(treatment_counts.size)])
    design = sm.add_constant(is_treatment)
    offset = np.log(np.concatenate([control_exposures, treatment_exposures]))
    dispersion = None
    if model == "poisson":
        fit = _poisson_fit(counts, design, offset, notes)
        pearson_ratio = fit.pearson_chi2 / fit.df_resid if fit.df_resid > 0 else 0.0
        if pearson_ratio > _OVERDISPERSION_RATIO:
            notes.append(
                f"counts are overdispersed (Pearson χ²/df = {pearson_ratio:.2f}): the Poisson "
                "CI is too narrow; use the negative-binomial model"
            )
    else:
        fit = _fit_quietly(
            lambda: NegativeBinomial(counts, design, loglike_method="nb2", offset=offset).fit(
                disp=0, maxiter=200
            ),
            notes,
        )
        dispersion = float(fit.params[-1])
        if not math.isfinite(float(fit.bse[1])) and dispersion < _BOUNDARY_DISPERSION:
            # Counts no more spread than Poisson put the NB2 dispersion on its boundary
            # (alpha = 0), where the Hessian is singular; NB2 with alpha = 0 *is* the Poisson
            # model, so that is the fit (R's glm.nb ends at the same estimate, theta → ∞).
            # Overdispersed counts with a near-zero estimate are a failed fit instead.
            poisson_notes: list[str] = []
            poisson = _poisson_fit(counts, design, offset, poisson_notes)
            if poisson.df_resid > 0 and poisson.pearson_chi2 / poisson.df_resid <= 1.0:
                notes[:] = [
                    *poisson_notes,
                    "no overdispersion (NB2 dispersion at 0): the NB2 fit is the Poisson fit",
                ]
                fit, dispersion = poisson, 0.0
        elif not fit.mle_retvals.get("converged", True):
            notes.append("the negative-binomial fit did not converge: treat the numbers as rough")
    coefficient = float(fit.params[1])
    stderr = float(fit.bse[1])
    if not (math.isfinite(coefficient) and math.isfinite(stderr)):
        return replace(result, notes=(*notes, "the model fit failed: no rate ratio"))
    ci_low, ci_high = np.exp(np.asarray(fit.conf_int(alpha=alpha))[1])
    return replace(
        result,
        rate_ratio=math.exp(coefficient),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        statistic=coefficient / stderr,
        p_value=float(fit.pvalues[1]),
        dispersion=dispersion,
        notes=tuple(notes),
    )
