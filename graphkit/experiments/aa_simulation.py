"""A/A simulation: how often does a test call a difference between two random halves?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from graphkit.errors import ConfigError, InsufficientData
from graphkit.experiments.means import TEST_NAMES, MeanTest, compare_means
from graphkit.experiments.samples import as_sample


@dataclass(frozen=True)
class AASimulation:
    """False-positive rate of a test on repeated random splits of one population.

    Attributes
    ----------
    test : str
    n_simulations : int
    alpha : float
        Level each simulated test is run at; the expected false-positive rate.
    false_positives : int
        Splits with ``p_value < alpha``.
    false_positive_rate : float
    ci_low, ci_high : float
        Clopper–Pearson (exact binomial) ``confidence`` interval of the rate.
    confidence : float
    calibrated : bool
        Whether ``alpha`` lies inside the interval; False suggests the test's
        assumptions do not hold for this metric (heavy tails, clustering...).
    undefined : int
        Splits where the test could not be computed (e.g. a constant half); counted
        as not significant.
    seed : int or None
    notes : tuple of str
    """

    test: str
    n_simulations: int
    alpha: float
    false_positives: int
    false_positive_rate: float
    ci_low: float
    ci_high: float
    confidence: float
    calibrated: bool
    undefined: int
    seed: int | None
    notes: tuple[str, ...]


def simulate_aa(
    values: npt.ArrayLike,
    *,
    n_simulations: int = 1000,
    test: MeanTest = "welch",
    alpha: float = 0.05,
    confidence: float = 0.95,
    seed: int | None = None,
) -> AASimulation:
    """Split a per-user metric into random halves many times and count false positives.

    Parameters
    ----------
    values : array-like
        One metric value per user (e.g. last month's sessions, before any change).
    n_simulations : int
        Number of random splits.
    test : {"welch", "student", "mann-whitney"}
        Test run on each split, through :func:`compare_means`.
    alpha : float
        Significance level of each test.
    confidence : float
        Level of the Clopper–Pearson interval of the false-positive rate.
    seed : int, optional
        Seed of ``numpy.random.default_rng``, for reproducible splits.

    Returns
    -------
    AASimulation

    Raises
    ------
    InsufficientData
        If there are fewer than four values (two per half).
    ConfigError
        If a level or ``n_simulations`` is out of range.

    Notes
    -----
    Interval from SciPy ``binomtest(k, n).proportion_ci(method="exact")``, as R
    ``binom.test``.

    Examples
    --------
    >>> r = simulate_aa(np.arange(100.0), n_simulations=200, seed=3)
    >>> r.n_simulations, r.ci_low <= r.false_positive_rate <= r.ci_high
    (200, True)
    """
    if n_simulations < 1:
        raise ConfigError(f"n_simulations must be at least 1, got {n_simulations}")
    for name, level in (("alpha", alpha), ("confidence", confidence)):
        if not 0 < level < 1:
            raise ConfigError(f"{name} must be between 0 and 1, got {level}")
    sample = as_sample(values, name="values")
    if sample.size < 4:
        raise InsufficientData("an A/A split needs at least four values (two per half)")
    rng = np.random.default_rng(seed)
    half = sample.size // 2
    false_positives = 0
    undefined = 0
    for _ in range(n_simulations):
        shuffled = rng.permutation(sample)
        p_value = compare_means(shuffled[:half], shuffled[half:], test=test, alpha=alpha).p_value
        if p_value is None:
            undefined += 1
        elif p_value < alpha:
            false_positives += 1
    interval = stats.binomtest(false_positives, n_simulations).proportion_ci(
        confidence_level=confidence, method="exact"
    )
    notes = []
    if undefined:
        notes.append(f"the test was undefined on {undefined} split(s), counted as not significant")
    return AASimulation(
        test=TEST_NAMES[test],
        n_simulations=n_simulations,
        alpha=alpha,
        false_positives=false_positives,
        false_positive_rate=false_positives / n_simulations,
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        confidence=confidence,
        calibrated=bool(interval.low <= alpha <= interval.high),
        undefined=undefined,
        seed=seed,
        notes=tuple(notes),
    )
