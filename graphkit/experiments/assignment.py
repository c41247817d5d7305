"""Deterministic variant assignment by salted hashing of user ids."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from graphkit.errors import ConfigError

DEFAULT_VARIANTS = ("control", "treatment")

# A float has a 53-bit mantissa: 53 hash bits over 2**53 give an exact value in [0, 1).
_HASH_BITS = 53


def hash_to_unit(user_id: Hashable, experiment: str, salt: str = "") -> float:
    """Map a user to a number in [0, 1), the same on every machine and Python version.

    The key ``f"{salt}:{experiment}:{user_id}"`` is hashed with SHA-256 (not Python's
    ``hash``, which is randomised per process); its first 53 bits become the fraction.
    Ids are formatted with ``str``, so ``42`` and ``"42"`` land together but ``42.0``
    does not: read id columns as integers or strings, not floats.

    Examples
    --------
    >>> hash_to_unit("alice", "exp1") == hash_to_unit("alice", "exp1")
    True
    >>> 0 <= hash_to_unit(42, "exp1", salt="s") < 1
    True
    """
    digest = hashlib.sha256(f"{salt}:{experiment}:{user_id}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> (64 - _HASH_BITS)) / 2**_HASH_BITS


def _cumulative_shares(
    variants: Sequence[str], weights: Sequence[float] | None
) -> npt.NDArray[np.float64]:
    if len(variants) == 0 or len(set(variants)) != len(variants):
        raise ConfigError(f"variants must be distinct and non-empty, got {list(variants)}")
    shares = [1.0] * len(variants) if weights is None else [float(w) for w in weights]
    if len(shares) != len(variants):
        raise ConfigError(f"{len(shares)} weights for {len(variants)} variants")
    if not all(math.isfinite(w) and w >= 0 for w in shares) or sum(shares) <= 0:
        raise ConfigError(f"weights must be >= 0 with a positive sum, got {shares}")
    cumulative = np.cumsum(shares) / sum(shares)
    cumulative[-1] = 1.0  # rounding must not leave a gap below 1
    return cumulative


def assign_variant(
    user_id: Hashable,
    experiment: str,
    *,
    salt: str = "",
    variants: Sequence[str] = DEFAULT_VARIANTS,
    weights: Sequence[float] | None = None,
) -> str:
    """Variant of one user: hash to [0, 1) and bucket by the cumulative weights.

    Parameters
    ----------
    user_id : hashable
        The unit of randomisation, formatted with ``str``.
    experiment : str
        Experiment name; different experiments split users independently.
    salt : str
        Extra secret or version string; change it to reshuffle an experiment.
    variants : sequence of str
        Variant names, in the order their weight intervals are laid out on [0, 1).
    weights : sequence of float, optional
        Relative share per variant; equal if omitted. Keep the order of ``variants``
        when ramping up so that users only move from one bucket to the next.

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        If variants repeat or weights are negative, mismatched or all zero.

    Examples
    --------
    >>> assign_variant("alice", "exp1") == assign_variant("alice", "exp1")
    True
    >>> assign_variant("alice", "exp1", weights=[0, 1])
    'treatment'
    """
    cumulative = _cumulative_shares(variants, weights)
    position = hash_to_unit(user_id, experiment, salt)
    return variants[int(np.searchsorted(cumulative, position, side="right"))]


def assign(
    user_ids: Iterable[Hashable],
    experiment: str,
    *,
    salt: str = "",
    variants: Sequence[str] = DEFAULT_VARIANTS,
    weights: Sequence[float] | None = None,
) -> pd.Series:
    """Variants of many users at once, as :func:`assign_variant` gives them one by one.

    Returns
    -------
    pandas.Series
        Named ``"variant"``, indexed by ``user_id`` in input order; use
        ``.reset_index()`` for a ``user_id, variant`` table.

    Examples
    --------
    >>> assign(["alice", "bob"], "exp1", weights=[1, 0]).tolist()
    ['control', 'control']
    """
    ids = list(user_ids)
    cumulative = _cumulative_shares(variants, weights)
    positions = np.fromiter(
        (hash_to_unit(user_id, experiment, salt) for user_id in ids), dtype=float, count=len(ids)
    )
    buckets = np.searchsorted(cumulative, positions, side="right")
    return pd.Series(
        np.asarray(variants, dtype=object)[buckets],
        index=pd.Index(ids, name="user_id"),
        name="variant",
        dtype=object,
    )


def assign_stratified(
    user_ids: Iterable[Hashable],
    strata: Iterable[Hashable],
    experiment: str,
    *,
    salt: str = "",
    variants: Sequence[str] = DEFAULT_VARIANTS,
    weights: Sequence[float] | None = None,
) -> pd.Series:
    """Variants balanced within each stratum, still reproducible from the salted hash.

    Within a stratum (e.g. one country × OS) users are ordered by their salted hash
    (:func:`hash_to_unit`); the user at rank ``r`` of ``n`` gets the variant whose
    cumulative-weight interval holds ``(r + h) / n mod 1``, with ``h`` the stratum's own
    hash offset. Every stratum is then split as planned up to one user per arm (a
    permuted-block design whose permutation is the hash order), and the same users,
    strata, experiment, salt and weights always give the same split. Unlike
    :func:`assign`, a user's variant depends on who else is in the stratum: assign a
    fixed population once, not users one by one as they arrive.

    Parameters
    ----------
    user_ids : iterable of hashable
    strata : iterable of hashable
        One stratum label per user (e.g. ``"DE|ios"``); missing labels form their own
        stratum.
    experiment, salt, variants, weights
        As for :func:`assign`.

    Returns
    -------
    pandas.Series
        Named ``"variant"``, indexed by ``user_id`` in input order.

    Raises
    ------
    ConfigError
        If ``strata`` does not have one label per user, or the weights are invalid.

    Examples
    --------
    >>> ids = [f"u{i}" for i in range(8)]
    >>> split = assign_stratified(ids, ["a"] * 4 + ["b"] * 4, "exp")
    >>> split.groupby(["a"] * 4 + ["b"] * 4).value_counts().tolist()
    [2, 2, 2, 2]
    """
    ids = list(user_ids)
    labels = ["" if label is None else str(label) for label in strata]
    if len(labels) != len(ids):
        raise ConfigError(f"strata has {len(labels)} labels for {len(ids)} users")
    cumulative = _cumulative_shares(variants, weights)
    positions = np.fromiter(
        (hash_to_unit(user_id, experiment, salt) for user_id in ids), dtype=float, count=len(ids)
    )
    frame = pd.DataFrame({"stratum": labels, "position": positions})
    rank = frame.groupby("stratum")["position"].rank(method="first").to_numpy() - 1
    size = frame.groupby("stratum")["position"].transform("size").to_numpy()
    offset = frame["stratum"].map(
        {label: hash_to_unit(label, experiment, f"{salt}:stratum") for label in set(labels)}
    )
    quantile = np.mod((rank + offset.to_numpy()) / size, 1.0)
    buckets = np.searchsorted(cumulative, quantile, side="right")
    return pd.Series(
        np.asarray(variants, dtype=object)[buckets],
        index=pd.Index(ids, name="user_id"),
        name="variant",
        dtype=object,
    )
