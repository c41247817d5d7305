"""The "Network effects" section of the experiment report.

It arranges spillover results (:class:`~graphkit.experiments.network.SpilloverEstimate`,
one per metric) and the design's diagnostics into a report section: a plain-language
verdict (is there spillover, does it change the decision), the design diagnostics, the
exposure table and the estimates with their intervals beside the naive comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from graphkit.experiments.network.estimators import Effect, SpilloverEstimate
from graphkit.reports.document import Bullets, Paragraph, Section, Table

# Per exposure mapping: (total-effect contrast, spillover-on-control contrast).
_KEY_CONTRASTS: dict[str, tuple[tuple[str, str], tuple[str, str] | None]] = {
    "as4": (("dir_ind1", "no"), ("ind1", "no")),
    "any": (("exposed", "unexposed"), ("exposed", "unexposed")),
    "all": (("treated_exposed", "control_exposed"), None),
    "fraction": (("treated_exposed", "control_exposed"), None),
    "count": (("treated_exposed", "control_exposed"), None),
}


@dataclass(frozen=True)
class NetworkEffects:
    """What the section shows.

    Attributes
    ----------
    estimates : mapping of metric → SpilloverEstimate
    exposure : str
        The exposure mapping's name (``as4``, ``fraction:0.75``, …).
    direction : str
    design : dict
        The randomization (``kind``, ``p``, ``clusters``…).
    diagnostics : dict, optional
        ``ab design``'s diagnostics (crossing share, cluster sizes, design effect).
    """

    estimates: Mapping[str, SpilloverEstimate]
    exposure: str
    direction: str
    design: Mapping[str, Any]
    diagnostics: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = field(default=())


def _interval(effect: Effect | None, level: str = "95%") -> str:
    if effect is None or effect.estimate is None or effect.ci is None:
        return "not estimable"
    return f"{effect.estimate:.3g} ({level} CI {effect.ci[0]:.3g} to {effect.ci[1]:.3g})"


def _significant(effect: Effect | None) -> bool | None:
    if effect is None or effect.ci is None:
        return None
    return effect.ci[0] > 0 or effect.ci[1] < 0


def _find(estimate: SpilloverEstimate, contrast: tuple[str, str] | None) -> Effect | None:
    if contrast is None:
        return None
    try:
        return estimate.effect(*contrast, estimator="hajek")
    except KeyError:
        return None


def verdicts(effects: NetworkEffects) -> list[str]:
    """One or two plain sentences per metric: spillover, and whether it changes the call.

    Examples
    --------
    >>> verdicts(NetworkEffects({}, "as4", "both", {"kind": "complete"}))
    []
    """
    kind = effects.exposure.partition(":")[0]
    total_contrast, spill_contrast = _KEY_CONTRASTS[kind]
    sentences = []
    for metric, estimate in effects.estimates.items():
        level = f"{1 - estimate.alpha:.0%}"
        spill = _find(estimate, spill_contrast)
        if spill_contrast is not None:
            condition, reference = spill_contrast
            found = _significant(spill)
            if found is None:
                sentences.append(
                    f"{metric}: spillover could not be estimated ({condition} − {reference})."
                )
            elif found:
                sentences.append(
                    f"{metric}: spillover — users in {condition} differ from {reference} by "
                    f"{_interval(spill, level)}; an ordinary user-level comparison is biased."
                )
            else:
                sentences.append(
                    f"{metric}: no spillover detected — {condition} − {reference} is "
                    f"{_interval(spill, level)}."
                )
        total = _find(estimate, total_contrast)
        naive = estimate.naive
        total_sig = _significant(total)
        if naive is None or naive.ci is None or total_sig is None or total is None:
            continue
        naive_sig = naive.ci[0] > 0 or naive.ci[1] < 0
        assert total.estimate is not None and naive.estimate is not None
        same_call = naive_sig == total_sig and (
            not naive_sig or (naive.estimate > 0) == (total.estimate > 0)
        )
        assert total.ci is not None
        if same_call:
            verdict = "interference does not change the decision"
        elif naive_sig and total.ci[0] <= naive.estimate <= total.ci[1]:
            # Not a different answer, only a wider one: the network-aware interval holds
            # both zero and the naive estimate (Aronow–Samii variances are conservative).
            verdict = (
                "the network-aware interval is too wide to confirm or contradict the naive "
                "result (it includes both zero and the naive estimate)"
            )
        else:
            verdict = "interference changes the decision"
        sentences.append(
            f"{metric}: the network-aware effect {total_contrast[0]} − {total_contrast[1]} is "
            f"{_interval(total, level)} against a naive {naive.estimate:.3g} "
            f"({level} CI {naive.ci[0]:.3g} to {naive.ci[1]:.3g}): {verdict}."
        )
    return sentences


def exposure_table(effects: NetworkEffects) -> pd.DataFrame:
    """Users and Hájek means per exposure condition, per metric."""
    rows = [
        {
            "metric": metric,
            "condition": c.condition,
            "users": c.n,
            "mean_hajek": c.mean_hajek,
            "mean_observed": c.mean_observed,
        }
        for metric, estimate in effects.estimates.items()
        for c in estimate.conditions
    ]
    return pd.DataFrame(
        rows, columns=["metric", "condition", "users", "mean_hajek", "mean_observed"]
    )


def estimates_table(effects: NetworkEffects) -> pd.DataFrame:
    """Every contrast by Hájek and HT, and the naive difference, per metric."""
    frames = [
        estimate.to_frame().assign(metric=metric) for metric, estimate in effects.estimates.items()
    ]
    columns = ["metric", "contrast", "estimator", "estimate", "se", "ci_low", "ci_high", "p_value"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def diagnostics_table(diagnostics: Mapping[str, Any]) -> pd.DataFrame:
    rows: list[tuple[str, Any]] = [
        ("ties", diagnostics.get("ties")),
        ("share of ties crossing arms", diagnostics.get("crossing_share")),
        ("share of treated users' ties into other arms", diagnostics.get("treated_crossing_share")),
        ("design effect", diagnostics.get("design_effect")),
    ]
    sizes = diagnostics.get("cluster_sizes") or {}
    for key in ("count", "median", "weighted_mean", "max"):
        if key in sizes:
            rows.append((f"cluster size: {key.replace('_', ' ')}", sizes[key]))
    return pd.DataFrame(
        {
            "diagnostic": [r[0] for r in rows],
            "value": [None if r[1] is None else float(r[1]) for r in rows],
        }
    )


def network_effects_section(effects: NetworkEffects) -> Section:
    """The "Network effects" section of the experiment report."""
    design = ", ".join(f"{k} {v}" for k, v in effects.design.items())
    blocks: list[Any] = [
        Paragraph(
            f"Each user's exposure condition comes from their own arm and their neighbours' "
            f"({effects.direction} ties before the assignment; mapping {effects.exposure}). "
            f"Effects are Hájek and Horvitz–Thompson estimates with Aronow–Samii conservative "
            f"variances under the design ({design}); the naive row is the ordinary "
            f"treated-minus-control difference, which interference biases."
        ),
        Bullets(verdicts(effects) or ["no metric was analysed for network effects"]),
    ]
    if effects.diagnostics:
        blocks.append(
            Table(
                "network_design",
                diagnostics_table(effects.diagnostics),
                "Design diagnostics from `graphkit ab design`.",
                formats={"value": ".4g"},
            )
        )
    blocks.append(
        Table(
            "network_exposure",
            exposure_table(effects),
            "Users per exposure condition and the metric's Hájek mean in it.",
            formats={"mean_hajek": ".4g", "mean_observed": ".4g"},
        )
    )
    blocks.append(
        Table(
            "network_effects",
            estimates_table(effects),
            "Contrasts between exposure conditions (Hájek first), and the naive comparison.",
            formats={k: ".4g" for k in ("estimate", "se", "ci_low", "ci_high", "p_value")},
        )
    )
    return Section("Network effects", blocks)
