"""Experiments on a social network: designs, exposure mappings and spillover estimates.

* :mod:`.exposure` — which condition each user is in (``any``, ``as4``, ``all``,
  ``fraction:Q``, ``count:K``) from a sparse adjacency;
* :mod:`.randomization` — complete, Bernoulli and cluster randomization;
* :mod:`.probabilities` — exact or Monte Carlo exposure probabilities;
* :mod:`.estimators` — Horvitz–Thompson and Hájek estimates with Aronow–Samii variances;
* :mod:`.design` — graph-cluster and ego-cluster designs with their diagnostics.
"""

from graphkit.experiments.network.estimators import (
    ConditionSummary,
    Effect,
    NaiveComparison,
    SpilloverEstimate,
    estimate_effects,
)
from graphkit.experiments.network.exposure import (
    Exposure,
    ExposureMapping,
    adjacency,
    expose,
)
from graphkit.experiments.network.probabilities import (
    ExposureProbabilities,
    exact_probabilities,
    explicit_probabilities,
    monte_carlo_probabilities,
)
from graphkit.experiments.network.randomization import Randomization

__all__ = [
    "ConditionSummary",
    "Effect",
    "Exposure",
    "ExposureMapping",
    "ExposureProbabilities",
    "NaiveComparison",
    "Randomization",
    "SpilloverEstimate",
    "adjacency",
    "estimate_effects",
    "exact_probabilities",
    "explicit_probabilities",
    "expose",
    "monte_carlo_probabilities",
]
