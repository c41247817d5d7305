"""Spillover planted by simulation: 200 seeded re-randomizations of one network.

The potential outcomes are fixed (finite-population inference, as Aronow & Samii): user
*i* has a baseline ``b_i`` and, under assignment z, the outcome
``b_i (1 + direct·z_i + spillover·share_i(z))``. Each replication draws a new split from
the design's seeded generator (Bernoulli(1/2) per user, or per Louvain cluster). Under the
full-neighbourhood exposure the true effect of "all treated vs all control" is
``(direct + spillover) · b_i`` for every user with a neighbour (``direct · b_i`` without),
so its average over the users the
estimators keep (probability inside (trim, 1 − trim)) is known in closed form.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from graphkit.experiments.network.design import DesignSettings, design_experiment
from graphkit.experiments.network.estimators import estimate_effects
from graphkit.experiments.network.exposure import ExposureMapping, adjacency, expose
from graphkit.experiments.network.probabilities import exact_probabilities
from graphkit.experiments.network.randomization import Randomization
from graphkit.graph.pull import build_graph
from graphkit.simulation import share_of_treated_neighbours, simulate_network, spillover_outcomes

REPLICATIONS = 200
DIRECT, SPILLOVER = 0.10, 0.20
TRIM = 0.05  # weights up to 1/0.05: keeps the HT estimate's spread moderate


@functools.cache
def _network():
    sim = simulate_network(400, seed=11, interactions_per_user=1.5, mixing=0.05)
    users = sorted(sim.users["user_id"])
    pairs = sim.interactions.rename(columns={"source_id": "source", "target_id": "target"})
    pairs = pairs[pairs.source != pairs.target][["source", "target"]].drop_duplicates()
    matrix = adjacency(users, pairs, direction="both")
    graph = build_graph(users, pairs.assign(interactions=1, weight=1.0), directed=False)
    rng = np.random.default_rng(5)
    baseline = rng.gamma(4.0, 2.5, len(users))  # fixed potential outcomes, mean 10
    return users, matrix, graph, baseline


@functools.cache
def _replicate(design: str):
    users, matrix, graph, baseline = _network()
    mapping = ExposureMapping("all")
    # Clusters: Louvain on the graph, as `ab design --unit cluster` builds them.
    clusters = design_experiment(graph, DesignSettings("spill", unit="cluster", seed=1))
    if design == "user":
        randomization = Randomization.bernoulli(len(users), 0.5)
    else:
        randomization = Randomization.cluster(clusters.assignments["unit"].to_numpy(), 0.5)
    probs = exact_probabilities(matrix, randomization, mapping)
    # Users the estimators keep when exposed: both exposure probabilities inside the trim.
    eligible = (probs.individual[:, 0] > TRIM) & (probs.individual[:, 1] > TRIM)
    # Users without neighbours have no treated share: their effect is the direct one.
    has_friends = np.diff(matrix.indptr) > 0
    effect = baseline * (DIRECT + SPILLOVER * has_friends)
    truth = float(np.mean(effect[eligible]))
    truth_all = float(np.mean(effect))
    rows = []
    for treated in randomization.draw(np.random.default_rng(2026), REPLICATIONS):
        share = share_of_treated_neighbours(matrix, treated)
        y = spillover_outcomes(baseline, treated, share, direct=DIRECT, spillover=SPILLOVER)
        codes = expose(matrix, treated, mapping).codes
        result = estimate_effects(
            codes, y, probs, contrasts=mapping.contrasts, treated=treated, trim=TRIM
        )
        row = {"naive": result.naive.estimate}
        for estimator in ("hajek", "ht"):
            effect = result.effect("treated_exposed", "control_exposed", estimator)
            row[estimator] = (effect.estimate, effect.se, effect.ci)
        rows.append(row)
    return rows, truth, truth_all


def _summary(rows, key, truth):
    estimates = np.array([r[key][0] for r in rows])
    ses = np.array([r[key][1] for r in rows])
    covered = np.mean([r[key][2][0] <= truth <= r[key][2][1] for r in rows])
    bias = estimates.mean() - truth
    bias_se = estimates.std(ddof=1) / np.sqrt(len(rows))
    return bias, bias_se, covered, ses.mean() / estimates.std(ddof=1)


@pytest.mark.slow
@pytest.mark.parametrize("design", ["user", "cluster"])
def test_estimates_are_unbiased_and_cover(design: str) -> None:
    rows, truth, _ = _replicate(design)
    for key in ("hajek", "ht"):
        bias, bias_se, covered, widening = _summary(rows, key, truth)
        print(
            f"{design} {key}: truth {truth:.3f} bias {bias:+.3f} (SE {bias_se:.3f}) "
            f"coverage {covered:.1%} mean se / sd of estimates {widening:.2f}"
        )
        assert abs(bias) < 2 * bias_se
        assert covered >= 0.93


@pytest.mark.slow
def test_naive_estimate_is_biased_and_clusters_cut_the_bias() -> None:
    bias = {}
    for design in ("user", "cluster"):
        rows, _, truth_all = _replicate(design)
        naive = np.array([r["naive"] for r in rows])
        bias[design] = naive.mean() - truth_all
        se = naive.std(ddof=1) / np.sqrt(len(rows))
        print(f"{design} naive: truth {truth_all:.3f} bias {bias[design]:+.3f} (SE {se:.3f})")
        if design == "user":
            # Control users are exposed too: the naive contrast misses most of the spillover.
            assert bias[design] < -5 * se
    print(f"cluster randomization keeps {bias['cluster'] / bias['user']:.0%} of the naive bias")
    assert abs(bias["cluster"]) < 0.6 * abs(bias["user"])
