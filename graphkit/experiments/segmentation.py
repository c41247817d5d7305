"""Segments of users by graph position: degree quantiles, influencers, communities.

* ``degree``: deciles of degree (``pandas.qcut``); users with the same degree always
  share a segment, so heavily tied degrees give fewer than ten segments (a note says so);
* ``influencer``: influencers against everyone else;
* ``community``: one segment per community; communities smaller than ``min_size``
  users are pooled into ``"other"``.

The feature columns are those of ``graphkit features`` (:mod:`graphkit.graph.features`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from graphkit.errors import ConfigError, DataError, ParameterError
from graphkit.experiments.defaults import (
    DEFAULT_DECILES,
    DEFAULT_MIN_SIZE,
    FEATURE_OF,
    SEGMENTATIONS,  # noqa: F401  (re-exported: its home before defaults.py)
    SegmentBy,  # noqa: F401  (re-exported)
)
from graphkit.experiments.metrics import require_columns

OTHER = "other"


def segment_labels(
    features: pd.DataFrame,
    by: str,
    *,
    deciles: int = DEFAULT_DECILES,
    min_size: int = DEFAULT_MIN_SIZE,
) -> tuple[pd.Series, tuple[str, ...]]:
    """Segment of every user of a feature table, in display order, with notes.

    Parameters
    ----------
    features : pandas.DataFrame
        ``user_id`` and the feature column (``degree``, ``influencer`` or ``community``).
    by : {"degree", "influencer", "community"}
    deciles : int
        Number of degree quantile groups (10 = deciles).
    min_size : int
        Communities with fewer users are pooled into ``"other"``.

    Returns
    -------
    labels : pandas.Series
        Ordered categorical indexed like ``features``.
    notes : tuple of str

    Examples
    --------
    >>> table = pd.DataFrame({"user_id": list("abcd"), "influencer": [True, False, False, False]})
    >>> labels, _ = segment_labels(table, "influencer")
    >>> labels.tolist()
    ['influencer', 'other', 'other', 'other']
    """
    if by not in FEATURE_OF:
        raise ConfigError(f"unknown segmentation {by!r}", hint=f"choose {', '.join(FEATURE_OF)}")
    require_columns(features, [FEATURE_OF[by]], what="graph feature")
    values = features[FEATURE_OF[by]]
    notes: list[str] = []
    if values.isna().any():
        notes.append(f"{int(values.isna().sum())} user(s) without a {by} value left out")
    if by == "degree":
        if deciles < 2:
            raise ParameterError("deciles", f"must be at least 2, got {deciles}")
        numbers = pd.to_numeric(values, errors="coerce")
        bins = pd.qcut(numbers, deciles, duplicates="drop")
        codes = bins.cat.codes.to_numpy()
        names = []
        for code in range(len(bins.cat.categories)):
            members = numbers[codes == code]
            low, high = _plain(members.min()), _plain(members.max())
            names.append(f"degree {low}" if low == high else f"degree {low}–{high}")
        if len(names) < deciles:
            notes.append(f"degree has many ties: {len(names)} quantile groups instead of {deciles}")
        labels = pd.Series(
            pd.Categorical.from_codes(codes, categories=pd.Index(names), ordered=True),
            index=features.index,
        )
        return labels, tuple(notes)
    if by == "influencer":
        text = values.map(lambda v: None if pd.isna(v) else ("influencer" if _flag(v) else OTHER))
        return pd.Series(
            pd.Categorical(text, categories=["influencer", OTHER], ordered=True),
            index=features.index,
        ), tuple(notes)
    ids = values.map(lambda v: None if pd.isna(v) else _plain(v))
    sizes = ids.value_counts()
    small = sizes[sizes < min_size].index
    text = ids.map(lambda v: None if v is None else (OTHER if v in small else f"community {v}"))
    if len(small):
        notes.append(
            f"{len(small)} communit{'y' if len(small) == 1 else 'ies'} with fewer than "
            f"{min_size} users pooled into {OTHER!r}"
        )
    order = [
        f"community {v}" for v in sorted((v for v in sizes.index if v not in small), key=_sort_key)
    ]
    if len(small):
        order.append(OTHER)
    return pd.Series(
        pd.Categorical(text, categories=order, ordered=True), index=features.index
    ), tuple(notes)


_TRUE = frozenset({"true", "1", "yes", "1.0"})
_FALSE = frozenset({"false", "0", "no", "0.0"})


def _flag(value: Any) -> bool:
    """An influencer flag as written by pandas, CSV or Parquet: bool, 0/1 or text."""
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise DataError(
        f"influencer flag {value!r} is neither true nor false",
        expected="True/False, 1/0 or yes/no",
    )


def _plain(value: Any) -> Any:
    """Whole numbers without a trailing ``.0`` in labels."""
    number = float(value)
    return int(number) if number.is_integer() else round(number, 6)


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))
