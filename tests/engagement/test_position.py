"""Engagement against graph position."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from graphkit.engagement.network_position import engagement_vs_position
from graphkit.errors import ConfigError, InsufficientData

SCORES = pd.DataFrame({"user_id": list("abcdefghij"), "score": np.arange(10.0)})
FEATURES = pd.DataFrame(
    {
        "user_id": list("abcdefghijk"),  # k has features but no score
        "degree": [1, 2, 2, 3, 5, 4, 8, 9, 7, 12, 0],
        "pagerank": np.linspace(0.01, 0.2, 11)[::-1],
        "community": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
    }
)


def test_spearman_and_community_table_by_hand() -> None:
    result = engagement_vs_position(SCORES, FEATURES)
    table = result.correlations.set_index("feature")
    expected = stats.spearmanr(np.arange(10.0), [1, 2, 2, 3, 5, 4, 8, 9, 7, 12])
    assert table.loc["degree", "spearman_rho"] == pytest.approx(expected.statistic)
    assert table.loc["degree", "p_value"] == pytest.approx(expected.pvalue)
    assert table.loc["pagerank", "spearman_rho"] == pytest.approx(-1.0)  # falls as score rises
    assert table["users"].tolist() == [10, 10]
    communities = result.communities.set_index("community")
    assert communities.loc[0, "mean_score"] == 2.0 and communities.loc[1, "mean_score"] == 7.0
    assert communities.loc[0, "mean_degree"] == pytest.approx(2.6)
    h, p = stats.kruskal(np.arange(5.0), np.arange(5.0, 10.0))
    assert (result.kruskal_h, result.kruskal_p) == pytest.approx((h, p))


def test_notes_for_users_without_features() -> None:
    result = engagement_vs_position(SCORES, FEATURES[FEATURES["user_id"] != "a"])
    assert any("1 scored user(s) have no graph features" in note for note in result.notes)


def test_bad_tables() -> None:
    with pytest.raises(ConfigError, match="no graph feature"):
        engagement_vs_position(SCORES, FEATURES[["user_id"]])
    with pytest.raises(ConfigError, match="needs user_id and score"):
        engagement_vs_position(SCORES.drop(columns="score"), FEATURES)
    with pytest.raises(InsufficientData, match="only 2 user"):
        engagement_vs_position(SCORES.head(2), FEATURES)
