"""Conversion rates: two-proportion z-test, 2×2 chi-square with Yates, r×c independence."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.effect_sizes import cohens_h, relative_lift


@dataclass(frozen=True)
class ProportionArm:
    """Successes, trials and the observed proportion of one arm."""

    successes: int
    trials: int
    proportion: float


@dataclass(frozen=True)
class ProportionComparison:
    """Comparison of a conversion rate between control and treatment.

    Every difference is ``treatment - control``.

    Attributes
    ----------
    test : str
        ``"two-proportion z-test (pooled)"`` or, with ``correction=True``,
        ``"chi-square test with Yates' continuity correction"``.
    control, treatment : ProportionArm
    diff : float
        ``p_treatment - p_control``.
    ci_low, ci_high : float or None
        Wald CI of ``diff`` (continuity-corrected with ``correction=True``), as R
        ``prop.test``; None when both proportions are 0 or 1 (zero standard error).
    relative_lift, relative_ci_low, relative_ci_high : float or None
        ``diff / p_control`` with a delta-method CI; None when ``p_control`` is 0.
    statistic : float or None
        Signed z: ``sign(diff) · √chi2``; without correction this is the pooled
        two-proportion z statistic.
    chi2 : float or None
        Pearson chi-square of the 2×2 table (``z²``), df = 1.
    p_value : float or None
        Two-sided p-value; None when no arm has a success or every trial succeeded.
    cohens_h : float
        Arcsine effect size, treatment - control.
    correction : bool
        Whether Yates' continuity correction was applied.
    alpha : float
    notes : tuple of str
    """

    test: str
    control: ProportionArm
    treatment: ProportionArm
    diff: float
    ci_low: float | None
    ci_high: float | None
    relative_lift: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    statistic: float | None
    chi2: float | None
    p_value: float | None
    cohens_h: float
    correction: bool
    alpha: float
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson chi-square test of independence of an r×c table.

    Attributes
    ----------
    chi2, df, p_value
        Statistic, degrees of freedom ``(r - 1)(c - 1)`` and p-value.
    expected : tuple of tuple of float
        Expected counts under independence, rows and columns as tested.
    correction : bool
        Whether Yates' correction was applied (only ever for a 2×2 table).
    notes : tuple of str
    """

    chi2: float
    df: int
    p_value: float
    expected: tuple[tuple[float, ...], ...]
    correction: bool
    notes: tuple[str, ...]


def _arm(successes: int, trials: int, *, name: str) -> ProportionArm:
    if not all(math.isfinite(count) and float(count).is_integer() for count in (successes, trials)):
        raise DataError(
            f"{name}: {successes} successes out of {trials} trials",
            expected="whole numbers",
        )
    if trials < 0 or successes < 0 or successes > trials:
        raise DataError(
            f"{name}: {successes} successes out of {trials} trials",
            expected="0 <= successes <= trials",
        )
    if trials == 0:
        raise InsufficientData(
            f"{name} has no trials: nothing to compare",
            hint="check the variant labels and the conversion join",
        )
    return ProportionArm(int(successes), int(trials), successes / trials)


def compare_proportions(
    control_successes: int,
    control_trials: int,
    treatment_successes: int,
    treatment_trials: int,
    *,
    correction: bool = False,
    alpha: float = 0.05,
) -> ProportionComparison:
    """Compare two proportions with the pooled z-test (= 2×2 chi-square).

    Parameters
    ----------
    control_successes, control_trials, treatment_successes, treatment_trials : int
        Counts per arm.
    correction : bool
        Apply Yates' continuity correction, as R ``prop.test(correct=TRUE)`` (R's
        default) and ``chisq.test``. It makes the test conservative; the default here
        is the uncorrected test, whose z² equals the Pearson chi-square of the 2×2 table.
    alpha : float
        Significance level; CIs are ``1 - alpha``.

    Returns
    -------
    ProportionComparison

    Raises
    ------
    DataError
        If counts are negative, fractional, or successes exceed trials.
    InsufficientData
        If an arm has no trials.

    Notes
    -----
    Follows R ``prop.test`` for two groups (R 4.2 ``stats:::prop.test``): with
    ``E`` the expected 2×2 counts under the pooled proportion and
    ``Y = min(0.5, |x - E|)`` when corrected (else 0),
    ``chi2 = Σ (|x - E| - Y)² / E``; the CI is
    ``diff ± (z_{1-α/2} √(Σ p(1-p)/n) + Y · Σ 1/n)``, clipped to [-1, 1].

    Examples
    --------
    >>> r = compare_proportions(15, 50, 25, 50)
    >>> round(r.chi2, 6), round(r.p_value, 6), round(r.diff, 2)
    (4.166667, 0.041227, 0.2)
    >>> round(compare_proportions(15, 50, 25, 50, correction=True).chi2, 3)
    3.375
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    control = _arm(control_successes, control_trials, name="control")
    treatment = _arm(treatment_successes, treatment_trials, name="treatment")
    notes: list[str] = []
    diff = treatment.proportion - control.proportion
    inverse_n = 1 / control.trials + 1 / treatment.trials
    yates = min(0.5, abs(diff) / inverse_n) if correction else 0.0

    # Wald interval with R prop.test's continuity term.
    stderr = math.sqrt(
        control.proportion * (1 - control.proportion) / control.trials
        + treatment.proportion * (1 - treatment.proportion) / treatment.trials
    )
    ci_low: float | None = None
    ci_high: float | None = None
    if stderr > 0:
        half_width = float(stats.norm.isf(alpha / 2)) * stderr + yates * inverse_n
        ci_low, ci_high = max(diff - half_width, -1.0), min(diff + half_width, 1.0)
    else:
        notes.append("both proportions are 0 or 1: the Wald CI has zero width and is omitted")

    statistic: float | None = None
    chi2: float | None = None
    p_value: float | None = None
    pooled = (control.successes + treatment.successes) / (control.trials + treatment.trials)
    if 0 < pooled < 1:
        observed = np.array(
            [
                [control.successes, control.trials - control.successes],
                [treatment.successes, treatment.trials - treatment.successes],
            ],
            dtype=float,
        )
        expected = np.outer([control.trials, treatment.trials], [pooled, 1 - pooled])
        chi2 = float((((np.abs(observed - expected) - yates) ** 2) / expected).sum())
        # Equal proportions: z is 0 (chi2 is then only rounding noise, with an arbitrary sign).
        statistic = math.copysign(math.sqrt(chi2), diff) if diff != 0 else 0.0
        p_value = float(stats.chi2.sf(chi2, 1))
    else:
        outcome = "no trial converted" if pooled == 0 else "every trial converted"
        notes.append(f"{outcome} in either arm: the test is undefined")

    lift = relative_lift(
        control.proportion,
        control.proportion * (1 - control.proportion) / control.trials,
        treatment.proportion,
        treatment.proportion * (1 - treatment.proportion) / treatment.trials,
        alpha=alpha,
    )
    if lift is None:
        notes.append("control proportion is zero: relative lift is undefined")

    return ProportionComparison(
        test=(
            "chi-square test with Yates' continuity correction"
            if correction
            else "two-proportion z-test (pooled)"
        ),
        control=control,
        treatment=treatment,
        diff=diff,
        ci_low=ci_low,
        ci_high=ci_high,
        relative_lift=lift.estimate if lift else None,
        relative_ci_low=lift.ci_low if lift else None,
        relative_ci_high=lift.ci_high if lift else None,
        statistic=statistic,
        chi2=chi2,
        p_value=p_value,
        cohens_h=cohens_h(control.proportion, treatment.proportion),
        correction=correction,
        alpha=alpha,
        notes=tuple(notes),
    )


def chi_square_independence(table: npt.ArrayLike, *, correction: bool = False) -> ChiSquareResult:
    """Pearson chi-square test of independence for an r×c table of counts.

    Parameters
    ----------
    table : array-like
        Counts, one row per group (e.g. variant) and one column per outcome.
    correction : bool
        Yates' continuity correction; applied only to 2×2 tables, like R ``chisq.test``
        and SciPy ``chi2_contingency``.

    Returns
    -------
    ChiSquareResult

    Raises
    ------
    DataError
        If the table is not two-dimensional or has negative or non-finite counts.
    InsufficientData
        If fewer than two non-empty rows or columns remain.

    Notes
    -----
    Rows or columns that sum to zero carry no information and would make an expected
    count zero; they are dropped with a note. A note also warns when an expected count
    is below 5, where R ``chisq.test`` warns that the approximation may be incorrect.

    Examples
    --------
    >>> r = chi_square_independence([[762, 327, 468], [484, 239, 477]])
    >>> round(r.chi2, 4), r.df
    (30.0701, 2)
    """
    try:
        counts = np.array(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError("contingency table is not numeric", expected="counts") from exc
    if counts.ndim != 2:
        raise DataError(
            f"contingency table must be two-dimensional, got shape {counts.shape}",
            expected="rows × columns of counts",
        )
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise DataError("contingency table has negative or missing counts", expected="counts >= 0")
    notes: list[str] = []
    keep_rows = counts.sum(axis=1) > 0
    keep_columns = counts.sum(axis=0) > 0
    if not keep_rows.all() or not keep_columns.all():
        notes.append(
            f"dropped {int((~keep_rows).sum())} empty row(s) and "
            f"{int((~keep_columns).sum())} empty column(s)"
        )
        counts = counts[keep_rows][:, keep_columns]
    if min(counts.shape) < 2:
        raise InsufficientData(
            "the table needs at least two non-empty rows and two non-empty columns",
            hint="every variant and every outcome must occur at least once",
        )
    result = stats.chi2_contingency(counts, correction=correction)
    if np.any(result.expected_freq < 5):
        notes.append("some expected counts are below 5: the chi-square approximation may be poor")
    return ChiSquareResult(
        chi2=float(result.statistic),
        df=int(result.dof),
        p_value=float(result.pvalue),
        expected=tuple(tuple(float(value) for value in row) for row in result.expected_freq),
        correction=correction and int(result.dof) == 1,
        notes=tuple(notes),
    )
