"""How an experiment is analysed: one settings object, validated once where it is built.

:class:`AnalysisSettings` holds every choice of :func:`~graphkit.experiments.analysis.
analyze_experiment` (tests, correction, α, CUPED, MDE, sequential, prior, capping,
metric roles and guardrail margins). It is what ``ab analyze``, ``ab monitor``,
``report experiment`` and an experiment definition file (:mod:`graphkit.experiments.
plan`) all build, so the report and the analysis cannot disagree. Errors name the
parameter (``alpha``, ``mde``...), not a CLI flag.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from graphkit.errors import ConfigError, ParameterError
from graphkit.experiments.corrections import METHOD_NAMES, Correction
from graphkit.experiments.defaults import DEFAULT_METRICS, DEFAULT_POST_DAYS, DEFAULT_PRE_DAYS
from graphkit.experiments.inference import (
    DEFAULT_POWER,
    DEFAULT_SEQUENTIAL_TUNING,
    Prior,
    check_alpha,
)
from graphkit.experiments.means import TEST_NAMES, MeanTest
from graphkit.experiments.srm import SRM_THRESHOLD

if TYPE_CHECKING:
    from graphkit.graph.pull import SubgraphSpec

CountTest = Literal["negative-binomial", "poisson", "welch"]
COUNT_TESTS = ("negative-binomial", "poisson", "welch")
Role = Literal["primary", "secondary", "guardrail"]
ROLES = ("primary", "secondary", "guardrail")
DEFAULT_GUARDRAIL_MARGIN = 0.01


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if mapping is None else MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class AnalysisSettings:
    """Every choice of an experiment analysis, checked when the object is built.

    Parameters
    ----------
    control : str
        The control arm.
    treatments : sequence of str, optional
        Arms compared with control (default: every other arm in the data).
    test : {"welch", "student", "mann-whitney"}
        Test of ``mean`` metrics.
    count_model : {"negative-binomial", "poisson", "welch"}
        Model of ``count`` metrics.
    yates : bool
        Continuity correction for conversions.
    correction : {"holm", "bh"}
        Multiple-testing correction across the verdicts of primary and secondary
        metrics (guardrails have their own one-sided test).
    alpha : float
        Significance level; every interval is ``1 - alpha``.
    bootstrap : int, optional
        Percentile bootstrap resamples (means).
    seed : int, optional
        Seed of the bootstrap.
    adjust_for : sequence of str
        Covariates of an OLS regression adjustment; when given, verdicts use it.
    weights : mapping, optional
        Planned share per arm, for the SRM check.
    srm_threshold : float
        SRM p-value below which the split is flagged.
    cuped : bool
        Verdicts use the CUPED-adjusted estimate when a metric has a pre-period
        covariate (the unadjusted row is shown beside it).
    mde : float, optional
        The relative effect the user cares about (``0.02`` = 2%): verdicts say whether
        the test could have seen it, with the power to detect it.
    power : float
        Power at which the minimum detectable effect is computed (0.8).
    sequential : bool
        Verdicts use always-valid p-values and confidence sequences.
    sequential_tuning : int
        ``N*``: total users at which the confidence sequence is tightest.
    prior : Prior
        Prior of the Bayesian results (flat by default).
    cap : float, optional
        Winsorize each mean or count metric (and its covariate) at this quantile of
        all users (``0.99``): values above are set to it.
    primary : sequence of str
        Primary metrics (default: the first metric analysed).
    guardrails : mapping of str to float
        Guardrail metric → non-inferiority margin (relative, ``0.01`` = 1%).
    lower_is_better : sequence of str
        Metrics whose decrease is good (for chance to win and guardrails).

    Examples
    --------
    >>> AnalysisSettings(alpha=0.1, mde=0.02).role("sessions", ["sessions", "events"])
    'primary'
    """

    control: str = "control"
    treatments: tuple[str, ...] | None = None
    test: MeanTest = "welch"
    count_model: CountTest = "negative-binomial"
    yates: bool = False
    correction: Correction = "holm"
    alpha: float = 0.05
    bootstrap: int | None = None
    seed: int | None = 0
    adjust_for: tuple[str, ...] = ()
    weights: Mapping[str, float] | None = None
    srm_threshold: float = SRM_THRESHOLD
    cuped: bool = True
    mde: float | None = None
    power: float = DEFAULT_POWER
    sequential: bool = False
    sequential_tuning: int = DEFAULT_SEQUENTIAL_TUNING
    prior: Prior = field(default_factory=Prior)
    cap: float | None = None
    primary: tuple[str, ...] = ()
    guardrails: Mapping[str, float] = field(default_factory=dict)
    lower_is_better: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # normalise inputs once, keeping the object frozen
        check_alpha(self.alpha, "alpha")
        check_alpha(self.srm_threshold, "srm_threshold")
        check_alpha(self.power, "power")
        if self.test not in TEST_NAMES:
            raise ConfigError(
                f"unknown test {self.test!r}", hint=f"choose one of {list(TEST_NAMES)}"
            )
        if self.count_model not in COUNT_TESTS:
            raise ConfigError(
                f"unknown count_model {self.count_model!r}", hint=f"choose one of {COUNT_TESTS}"
            )
        if self.correction not in METHOD_NAMES:
            raise ConfigError(
                f"unknown correction {self.correction!r}", hint="choose 'holm' or 'bh'"
            )
        if self.bootstrap is not None and self.bootstrap < 1:
            raise ConfigError(f"bootstrap needs at least 1 resample, got {self.bootstrap}")
        if self.mde is not None and not (math.isfinite(self.mde) and self.mde > 0):
            raise ConfigError(
                f"mde must be a positive relative effect (0.02 = 2%), got {self.mde!r}"
            )
        if not (isinstance(self.sequential_tuning, int) and self.sequential_tuning >= 1):
            raise ConfigError(
                f"sequential_tuning must be a whole number >= 1, got {self.sequential_tuning!r}"
            )
        if self.cap is not None and not (0.5 <= self.cap < 1):
            raise ConfigError(f"cap must be a quantile in [0.5, 1), e.g. 0.99, got {self.cap!r}")
        if self.weights is not None:
            bad = {k: v for k, v in self.weights.items() if not (math.isfinite(v) and v >= 0)}
            if bad or not sum(self.weights.values()) > 0:
                raise ConfigError(
                    f"weights must be numbers >= 0 with a positive sum, got {dict(self.weights)}"
                )
        for name, margin in self.guardrails.items():
            if not (math.isfinite(margin) and margin >= 0):
                raise ConfigError(f"guardrail margin of {name!r} must be >= 0, got {margin!r}")
        overlap = set(self.primary) & set(self.guardrails)
        if overlap:
            raise ConfigError(
                f"metric(s) {', '.join(sorted(overlap))} are both primary and guardrail"
            )
        set_(self, "treatments", None if self.treatments is None else tuple(self.treatments))
        set_(self, "adjust_for", tuple(self.adjust_for))
        set_(self, "primary", tuple(self.primary))
        set_(self, "weights", _frozen(self.weights))
        set_(self, "guardrails", MappingProxyType(dict(self.guardrails)))
        set_(self, "lower_is_better", frozenset(self.lower_is_better))

    def role(self, metric: str, metrics: Sequence[str]) -> Role:
        """``primary``, ``guardrail`` or ``secondary`` for ``metric`` among ``metrics``."""
        if metric in self.guardrails:
            return "guardrail"
        primary = self.primary or tuple(m for m in metrics if m not in self.guardrails)[:1]
        return "primary" if metric in primary else "secondary"

    def check_metrics(self, metrics: Sequence[str]) -> None:
        """ConfigError when a role names a metric that is not analysed."""
        named = [*self.primary, *self.guardrails, *self.lower_is_better]
        unknown = sorted({name for name in named if name not in metrics})
        if unknown:
            raise ConfigError(
                f"metric(s) {', '.join(unknown)} given a role but not analysed",
                hint=f"metrics analysed: {', '.join(metrics)}",
            )

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON (shown in reports so a reader knows what was chosen)."""
        return {
            "control": self.control,
            "treatments": None if self.treatments is None else list(self.treatments),
            "test": self.test,
            "count_model": self.count_model,
            "yates": self.yates,
            "correction": self.correction,
            "alpha": self.alpha,
            "adjust_for": list(self.adjust_for),
            "weights": None if self.weights is None else dict(self.weights),
            "srm_threshold": self.srm_threshold,
            "cuped": self.cuped,
            "mde": self.mde,
            "power": self.power,
            "sequential": self.sequential,
            "sequential_tuning": self.sequential_tuning,
            "prior": {"mean": self.prior.mean, "sd": self.prior.sd},
            "cap": self.cap,
            "primary": list(self.primary),
            "guardrails": dict(self.guardrails),
            "lower_is_better": sorted(self.lower_is_better),
        }


@dataclass(frozen=True)
class ExperimentSource:
    """Where an analysis reads its per-user data: a stored experiment or a table.

    Parameters
    ----------
    experiment : str, optional
        Experiment name in the stored assignments (metrics come from events).
    table : str or Path, optional
        A per-user CSV/Parquet table instead (exactly one of the two).
    metrics : sequence of str
        Stored: ``NAME=sum|count|conversion[:EVENT]``, builtin names or ratios (default
        the builtin three). Table: ``COLUMN``, ``COLUMN:KIND`` or ``NAME=ratio:NUM/DEN``.
    variant_col : str
        Table: the column with each user's arm.
    covariates : sequence of str
        Table: CUPED covariate column (``COLUMN`` or ``METRIC=COLUMN``). A stored
        experiment's covariate is each metric's pre-period value.
    post_days, pre_days : float
        Stored: analysis window and CUPED pre-period around each assignment.
    features : str or Path, optional
        Graph features (``graphkit features --out``) joined on ``user_id``.
    spec : SubgraphSpec, optional
        The subgraph graph features are built from when needed.
    engine : str, optional
        The graph engine that builds them (default: as ``graphkit features``).

    Examples
    --------
    >>> ExperimentSource(experiment="onboarding").metrics
    ('time_spent', 'sessions', 'events')
    >>> try:
    ...     ExperimentSource(experiment="x", table="users.csv")
    ... except ParameterError as error:
    ...     print(error.parameter)
    table
    """

    experiment: str | None = None
    table: str | Path | None = None
    metrics: tuple[str, ...] = ()
    variant_col: str = "variant"
    covariates: tuple[str, ...] = ()
    post_days: float = DEFAULT_POST_DAYS
    pre_days: float = DEFAULT_PRE_DAYS
    features: str | Path | None = None
    spec: SubgraphSpec | None = None
    engine: str | None = None

    def __post_init__(self) -> None:
        if self.experiment and self.table:
            raise ParameterError(
                "table", "is for your own data: give either experiment or table, not both"
            )
        if not self.experiment and not self.table:
            raise ParameterError(
                "experiment",
                "or table is needed: nothing to analyse",
                hint="name a stored experiment or a per-user table",
            )
        if self.covariates and not self.table:
            raise ParameterError(
                "covariates",
                "are for a table; a stored experiment's covariate is each metric's "
                "pre-period value",
                hint="set the pre-period with pre_days (0 turns CUPED off)",
            )
        stored_default = DEFAULT_METRICS if self.experiment else ()
        object.__setattr__(self, "metrics", tuple(self.metrics) or stored_default)
        object.__setattr__(self, "covariates", tuple(self.covariates))
