"""Segments of users: any user column, or a graph feature joined from ``graphkit features``.

Rules (documented in the README):

* a text or boolean column, and any column named like ``community`` (ids, not amounts),
  is used as it is; a missing value is the segment ``unknown``;
* ``degree_bucket`` cuts the feature ``degree`` (distinct users interacted with) at fixed
  edges — 0, 1–2, 3–5, 6–10, 11–20, 21–50, 51+ — so buckets mean the same on every dataset;
* any other numeric column with more than :data:`MAX_LEVELS` distinct values is cut into
  quintiles (``q1 [low, high]`` … ``q5``), each holding about a fifth of users (equal
  values stay in one bin, so bins can be uneven, or fewer when values repeat a lot);
  with at most :data:`MAX_LEVELS` values each value is its own segment.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError

MAX_LEVELS = 10
DEGREE_EDGES = (0, 1, 3, 6, 11, 21, 51)
GRAPH_SEGMENTS = ("degree_bucket",)


def degree_bucket(degree: pd.Series) -> pd.Series:
    """Degree cut at :data:`DEGREE_EDGES`, as an ordered categorical.

    >>> degree_bucket(pd.Series([0, 1, 2, 5, 60])).astype(str).tolist()
    ['0', '1-2', '1-2', '3-5', '51+']
    """
    labels = []
    for low, high in itertools.pairwise(DEGREE_EDGES):
        labels.append(str(low) if high - low == 1 else f"{low}-{high - 1}")
    labels.append(f"{DEGREE_EDGES[-1]}+")
    edges = [*DEGREE_EDGES, np.inf]
    codes = np.searchsorted(edges, degree.to_numpy(dtype=float), side="right") - 1
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=pd.Index(labels), ordered=True),
        index=degree.index,
    )


def quintiles(values: pd.Series) -> pd.Series:
    """Quintiles of the values (equal values stay together, so bins can be uneven or fewer
    than five), labelled with the range they hold, as an ordered categorical.

    >>> quintiles(pd.Series([1, 2, 2, 2, 3, 4, 5, 6, 7, 8])).astype(str).tolist()[:4]
    ['q1 [1, 2]', 'q1 [1, 2]', 'q1 [1, 2]', 'q1 [1, 2]']
    """
    bins = pd.qcut(values, 5, labels=False, duplicates="drop")
    labels: dict[int, str] = {}
    for number, code in enumerate(sorted(bins.dropna().unique()), start=1):
        members = values[bins == code]
        labels[int(code)] = f"q{number} [{members.min():.4g}, {members.max():.4g}]"
    text = bins.map(lambda code: labels.get(int(code)) if pd.notna(code) else None)
    return pd.Series(
        pd.Categorical(text, categories=list(labels.values()), ordered=True), index=values.index
    )


def segment_users(users: pd.DataFrame, by: str, features: pd.DataFrame | None = None) -> pd.Series:
    """The segment of every user in ``users``, indexed by ``user_id``.

    Parameters
    ----------
    users : DataFrame
        ``user_id`` and user properties (a store's users table).
    by : str
        A column of ``users`` or of ``features``, or ``degree_bucket``.
    features : DataFrame, optional
        The table of ``graphkit features`` (``user_id``, ``degree``, ``pagerank``,
        ``community``, ...). Its columns win over written-back user columns of the
        same name.

    Returns
    -------
    Series
        Ordered categorical labels; ``unknown`` where a user has no value.

    Raises
    ------
    ConfigError
        If ``by`` is neither a user column nor a feature.
    """
    index = pd.Index(users["user_id"].astype(str), name="user_id")
    source = "degree" if by == "degree_bucket" else by
    if features is not None and source in features.columns:
        table = features.assign(user_id=features["user_id"].astype(str)).set_index("user_id")
        values = table[source].reindex(index)
    elif source in users.columns and source not in ("user_id", "signup_at", "signup_day"):
        values = pd.Series(users[source].to_numpy(), index=index)
    else:
        columns = [c for c in users.columns if c not in ("user_id", "signup_at", "signup_day")]
        feature_columns = (
            [] if features is None else [c for c in features.columns if c != "user_id"]
        )
        choices = sorted({*columns, *feature_columns, *GRAPH_SEGMENTS})
        raise ConfigError(
            f"cannot segment by {by!r}: no such user column or graph feature",
            hint=f"use one of {', '.join(choices)}",
        )
    if by == "degree_bucket":
        labels = degree_bucket(values.fillna(0)).where(values.notna())
    elif (
        "community" in by
        or pd.api.types.is_bool_dtype(values)
        or not pd.api.types.is_numeric_dtype(values)
    ):
        labels = values.map(lambda v: _level(v) if pd.notna(v) else None)
        categories = sorted(labels.dropna().unique().tolist(), key=_natural)
        labels = pd.Series(pd.Categorical(labels, categories=categories, ordered=True), index=index)
    elif values.nunique() > MAX_LEVELS:
        labels = quintiles(values)
    else:
        levels = sorted(values.dropna().unique().tolist())
        text = values.map(lambda v: _level(v) if pd.notna(v) else None)
        labels = pd.Series(
            pd.Categorical(text, categories=[_level(v) for v in levels], ordered=True), index=index
        )
    labels = pd.Series(labels, index=index)
    if labels.isna().any():
        labels = labels.cat.add_categories("unknown").fillna("unknown")
    return labels.rename(by)


def _natural(label: str) -> tuple[int, float | str]:
    """Numbers in numeric order first, then text in alphabetical order."""
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def _level(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
