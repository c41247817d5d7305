"""Engagement against graph position: degree, PageRank, community.

* For each numeric graph feature, the **Spearman rank correlation** with the engagement
  score (ranks, because both are heavy-tailed and the relation need not be linear), with
  its two-sided p-value (scipy ``spearmanr``; R ``cor.test(method = "spearman")``).
* Per **community**: users, mean and median score, mean degree; and a Kruskal–Wallis test
  of "the score is distributed alike in every community" over communities with at least
  :data:`MIN_COMMUNITY_USERS` users (scipy ``kruskal``; R ``kruskal.test``).

Users are those in both tables (an inner join on ``user_id``); the notes say how many
were left out. Correlation is not causation: central users may be engaged because they
are central, or central because they are engaged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from graphkit.errors import ConfigError, InsufficientData

NUMERIC_FEATURES = (
    "degree",
    "weighted_degree",
    "pagerank",
    "betweenness",
    "closeness",
    "clustering",
)
MIN_COMMUNITY_USERS = 5


@dataclass(frozen=True)
class PositionCorrelation:
    """How the engagement score goes with graph position.

    Attributes
    ----------
    correlations : DataFrame
        ``feature``, ``users``, ``spearman_rho``, ``p_value``.
    communities : DataFrame
        ``community``, ``users``, ``mean_score``, ``median_score``, ``mean_degree``,
        largest community first.
    kruskal_h, kruskal_p : float or None
        Kruskal–Wallis statistic and p-value across communities (None with fewer than
        two communities of :data:`MIN_COMMUNITY_USERS` users).
    joined : DataFrame
        ``user_id``, ``score`` and the feature columns, for plots.
    notes : tuple of str
    """

    correlations: pd.DataFrame
    communities: pd.DataFrame
    kruskal_h: float | None
    kruskal_p: float | None
    joined: pd.DataFrame
    notes: tuple[str, ...] = ()


def engagement_vs_position(scores: pd.DataFrame, features: pd.DataFrame) -> PositionCorrelation:
    """Correlate ``scores`` (``user_id``, ``score``) with a ``graphkit features`` table.

    Raises
    ------
    ConfigError
        If a table lacks ``user_id``/``score`` or every graph feature.
    InsufficientData
        If fewer than three users are in both tables.

    Example
    -------
    >>> s = pd.DataFrame({"user_id": list("abcd"), "score": [1.0, 2.0, 3.0, 4.0]})
    >>> f = pd.DataFrame({"user_id": list("abcd"), "degree": [1, 3, 2, 5]})
    >>> r = engagement_vs_position(s, f)
    >>> round(float(r.correlations.loc[0, "spearman_rho"]), 6)  # ranks 1..4 vs 1,3,2,4
    0.8
    """
    for name, table, needed in (("scores", scores, "score"), ("features", features, "user_id")):
        if "user_id" not in table.columns or needed not in table.columns:
            raise ConfigError(f"the {name} table needs user_id and {needed} columns")
    numeric = [c for c in NUMERIC_FEATURES if c in features.columns]
    if not numeric and "community" not in features.columns:
        raise ConfigError(
            "the features table has no graph feature to correlate with",
            hint="use the output of `graphkit features` (degree, pagerank, community...)",
        )
    left = scores[["user_id", "score"]].assign(user_id=scores["user_id"].astype(str))
    right = features.assign(user_id=features["user_id"].astype(str))
    joined = left.merge(right, on="user_id", how="inner", validate="one_to_one")
    notes = []
    missing = len(left) - len(joined)
    if missing:
        notes.append(f"{missing} scored user(s) have no graph features and were left out")
    if len(joined) < 3:
        raise InsufficientData(
            f"only {len(joined)} user(s) have both a score and graph features",
            hint="compute features on the same dataset (graphkit features)",
        )
    rows = []
    for feature in numeric:
        values = joined[feature].astype(float)
        if values.nunique() < 2:
            rows.append(
                {
                    "feature": feature,
                    "users": len(joined),
                    "spearman_rho": np.nan,
                    "p_value": np.nan,
                }
            )
            notes.append(f"{feature} does not vary: no correlation")
            continue
        result = stats.spearmanr(joined["score"], values)
        rows.append(
            {
                "feature": feature,
                "users": len(joined),
                "spearman_rho": float(result.statistic),
                "p_value": float(result.pvalue),
            }
        )
    correlations = pd.DataFrame(rows, columns=["feature", "users", "spearman_rho", "p_value"])
    communities, h, p = _by_community(joined, notes)
    return PositionCorrelation(
        correlations=correlations,
        communities=communities,
        kruskal_h=h,
        kruskal_p=p,
        joined=joined,
        notes=tuple(notes),
    )


def _by_community(
    joined: pd.DataFrame, notes: list[str]
) -> tuple[pd.DataFrame, float | None, float | None]:
    columns = ["community", "users", "mean_score", "median_score", "mean_degree"]
    if "community" not in joined.columns:
        return pd.DataFrame(columns=columns), None, None
    grouped = joined.groupby("community")
    table = grouped.agg(
        users=("score", "size"), mean_score=("score", "mean"), median_score=("score", "median")
    )
    if "degree" in joined.columns:
        table["mean_degree"] = grouped["degree"].mean()
    else:
        table["mean_degree"] = np.nan
    table = table.reset_index().sort_values(["users", "community"], ascending=[False, True])
    samples = [g["score"].to_numpy() for _, g in grouped if len(g) >= MIN_COMMUNITY_USERS]
    if len(samples) < 2:
        notes.append(
            f"fewer than two communities have {MIN_COMMUNITY_USERS} users: no Kruskal–Wallis test"
        )
        return table[columns].reset_index(drop=True), None, None
    if all(np.all(s == samples[0][0]) for s in samples):
        notes.append("every score is equal: no Kruskal–Wallis test")
        return table[columns].reset_index(drop=True), None, None
    h, p = stats.kruskal(*samples)
    return table[columns].reset_index(drop=True), float(h), float(p)
