"""Exposure mappings: which condition each user is in, given everyone's assignment.

An exposure mapping (Aronow & Samii 2017) sends a user to a *condition* that depends on
their own arm and on how many of their neighbours are treated. Neighbours come from a
sparse adjacency ``A`` (``scipy.sparse`` CSR, users × users, no self loops) with
``A[i, j] = 1`` when user ``j``'s treatment can reach user ``i``; the number of treated
neighbours is then ``A @ z`` for every user at once.

Mappings (``mapping`` text → conditions):

``any``
    ``exposed`` (≥ 1 treated neighbour) and ``unexposed`` (none), whatever the user's
    own arm.
``as4``
    Aronow–Samii's four hop-1 conditions (names as in R ``interference``):
    ``dir_ind1`` (treated, ≥ 1 treated neighbour), ``isol_dir`` (treated, none),
    ``ind1`` (control, ≥ 1 treated neighbour), ``no`` (control, none).
``all``
    Full neighbourhood: ``treated_exposed`` (the user and every neighbour treated),
    ``control_exposed`` (the user and every neighbour in control), ``neither``.
``fraction:Q``
    Ugander et al. (2013) fractional q-exposure: ``treated_exposed`` (treated and at least
    a share Q of the neighbours treated), ``control_exposed`` (control and at least a share
    Q of the neighbours in control), ``neither``. A user without neighbours is exposed to
    their own arm.
``count:K``
    Absolute k-exposure: as ``fraction`` with "at least K neighbours" (all of them when
    the user has fewer than K).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from graphkit.errors import ConfigError

DIRECTIONS = ("out", "in", "both")
MAPPINGS = ("any", "as4", "all", "fraction", "count")

Direction = Literal["out", "in", "both"]

_CONDITIONS: dict[str, tuple[str, ...]] = {
    "any": ("exposed", "unexposed"),
    "as4": ("dir_ind1", "isol_dir", "ind1", "no"),
    "all": ("treated_exposed", "control_exposed", "neither"),
    "fraction": ("treated_exposed", "control_exposed", "neither"),
    "count": ("treated_exposed", "control_exposed", "neither"),
}
# Contrasts reported: (condition, reference condition), both named above.
_CONTRASTS: dict[str, tuple[tuple[str, str], ...]] = {
    "any": (("exposed", "unexposed"),),
    "as4": (("dir_ind1", "no"), ("isol_dir", "no"), ("ind1", "no")),
    "all": (("treated_exposed", "control_exposed"),),
    "fraction": (("treated_exposed", "control_exposed"),),
    "count": (("treated_exposed", "control_exposed"),),
}


@dataclass(frozen=True)
class ExposureMapping:
    """A validated exposure mapping.

    Parameters
    ----------
    kind : str
        ``any``, ``as4``, ``all``, ``fraction`` or ``count``.
    threshold : float or None
        Q in (0, 1] for ``fraction``, K ≥ 1 for ``count``; None otherwise.

    Examples
    --------
    >>> ExposureMapping.parse("fraction:0.75").conditions
    ('treated_exposed', 'control_exposed', 'neither')
    >>> ExposureMapping.parse("as4").contrasts[0]
    ('dir_ind1', 'no')
    """

    kind: str
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in MAPPINGS:
            raise ConfigError(
                f"exposure {self.kind!r} is unknown",
                hint="use any, as4, all, fraction:Q or count:K",
            )
        if self.kind == "fraction":
            if self.threshold is None or not 0 < self.threshold <= 1:
                raise ConfigError(
                    f"exposure fraction needs a share Q in (0, 1], got {self.threshold}",
                    hint="e.g. exposure='fraction:0.75'",
                )
        elif self.kind == "count":
            if (
                self.threshold is None
                or self.threshold < 1
                or self.threshold != int(self.threshold)
            ):
                raise ConfigError(
                    f"exposure count needs a whole number K >= 1, got {self.threshold}",
                    hint="e.g. exposure='count:2'",
                )
        elif self.threshold is not None:
            raise ConfigError(f"exposure {self.kind!r} takes no threshold")

    @classmethod
    def parse(cls, text: str) -> ExposureMapping:
        """Read ``any``, ``as4``, ``all``, ``fraction:Q`` or ``count:K``."""
        kind, colon, value = text.strip().partition(":")
        if not colon:
            return cls(kind)
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(
                f"exposure {text!r}: {value!r} is not a number",
                hint="e.g. exposure='fraction:0.75' or 'count:2'",
            ) from None
        return cls(kind, number)

    @property
    def name(self) -> str:
        if self.threshold is None:
            return self.kind
        value = int(self.threshold) if self.kind == "count" else self.threshold
        return f"{self.kind}:{value:g}"

    @property
    def conditions(self) -> tuple[str, ...]:
        return _CONDITIONS[self.kind]

    @property
    def contrasts(self) -> tuple[tuple[str, str], ...]:
        return _CONTRASTS[self.kind]

    @property
    def has_closed_form(self) -> bool:
        """True when exact probabilities are products over sets (any, as4, all)."""
        return self.kind in ("any", "as4", "all")

    def classify(
        self,
        own: npt.NDArray[np.bool_],
        treated: npt.NDArray[np.int64],
        degree: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.int8]:
        """Condition index of every user from own arm, treated neighbours and degree.

        Arrays may have any shape (a leading replication axis broadcasts).
        """
        own = np.asarray(own, dtype=bool)
        some = treated > 0
        if self.kind == "any":
            return np.where(some, 0, 1).astype(np.int8)
        if self.kind == "as4":
            return np.select([own & some, own & ~some, ~own & some], [0, 1, 2], default=3).astype(
                np.int8
            )
        needed = self.needed(degree)
        controls = degree - treated
        treated_ok = own & (treated >= needed)
        control_ok = ~own & (controls >= needed)
        return np.select([treated_ok, control_ok], [0, 1], default=2).astype(np.int8)

    def needed(self, degree: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Neighbours that must share the user's arm for the threshold mappings."""
        degree = np.asarray(degree, dtype=np.int64)
        if self.kind == "all":
            return degree
        if self.kind == "fraction":
            assert self.threshold is not None
            # ceil(q·d) with a guard so 0.75·4 = 3.0000000000000004 does not become 4.
            return np.ceil(self.threshold * degree - 1e-9).astype(np.int64)
        if self.kind == "count":
            assert self.threshold is not None
            return np.minimum(int(self.threshold), degree)
        raise ValueError(f"{self.kind} has no threshold")


def parse_direction(direction: str) -> Direction:
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction {direction!r} is unknown", hint="use out, in or both")
    return direction  # type: ignore[return-value]


def adjacency(
    users: pd.Index | list[str], edges: pd.DataFrame, *, direction: str = "both"
) -> sp.csr_matrix:
    """The exposure adjacency: ``A[i, j] = 1`` when ``j`` is a neighbour of ``i``.

    Parameters
    ----------
    users : index or list of str
        Row/column order.
    edges : DataFrame
        ``source``, ``target`` pairs (the store's ``aggregate_edges``); pairs with an
        endpoint outside ``users`` and self-pairs are ignored.
    direction : {"out", "in", "both"}
        ``out``: the users this user interacted with as ``source_id``; ``in``: the users
        who interacted with this user; ``both``: either.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]})
    >>> adjacency(["a", "b", "c"], e, direction="out").toarray().tolist()
    [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    """
    direction = parse_direction(direction)
    index = pd.Index(users)
    n = len(index)
    source = index.get_indexer(pd.Index(edges["source"])) if len(edges) else np.empty(0, np.int64)
    target = index.get_indexer(pd.Index(edges["target"])) if len(edges) else np.empty(0, np.int64)
    keep = (source >= 0) & (target >= 0) & (source != target)
    source, target = source[keep], target[keep]
    if direction == "out":
        rows, cols = source, target
    elif direction == "in":
        rows, cols = target, source
    else:
        rows, cols = np.concatenate([source, target]), np.concatenate([target, source])
    matrix = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=(n, n), dtype=np.int64
    )
    matrix.data[:] = 1  # repeated pairs count once
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


@dataclass(frozen=True)
class Exposure:
    """Each user's exposure condition under one assignment."""

    mapping: ExposureMapping
    users: tuple[str, ...]
    codes: npt.NDArray[np.int8]
    """Index into ``mapping.conditions`` per user."""
    treated: npt.NDArray[np.bool_]
    treated_neighbours: npt.NDArray[np.int64]
    degree: npt.NDArray[np.int64]

    def to_frame(self) -> pd.DataFrame:
        """One row per user: ``user_id, treated, degree, treated_neighbours, condition``."""
        names = np.asarray(self.mapping.conditions, dtype=object)
        return pd.DataFrame(
            {
                "user_id": list(self.users),
                "treated": self.treated,
                "degree": self.degree,
                "treated_neighbours": self.treated_neighbours,
                "condition": names[self.codes],
            }
        )

    def counts(self) -> dict[str, int]:
        found = np.bincount(self.codes, minlength=len(self.mapping.conditions))
        return {name: int(c) for name, c in zip(self.mapping.conditions, found, strict=True)}


def expose(
    matrix: sp.csr_matrix,
    treated: npt.NDArray[np.bool_],
    mapping: ExposureMapping,
    users: tuple[str, ...] | None = None,
) -> Exposure:
    """Conditions of every user: ``A @ z`` treated neighbours, then ``mapping.classify``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix(np.array([[0, 1], [1, 0]]))
    >>> expose(A, np.array([True, False]), ExposureMapping("as4")).counts()
    {'dir_ind1': 0, 'isol_dir': 1, 'ind1': 1, 'no': 0}
    """
    z = np.asarray(treated, dtype=bool)
    if z.shape != (matrix.shape[0],):
        raise ConfigError(f"treated has {z.size} values for {matrix.shape[0]} users")
    count = np.asarray(matrix @ z.astype(np.int64)).ravel()
    degree = np.diff(matrix.indptr).astype(np.int64)
    codes = mapping.classify(z, count, degree)
    ids = users if users is not None else tuple(str(i) for i in range(z.size))
    return Exposure(mapping, ids, codes, z, count, degree)


def share_crossing(matrix: sp.csr_matrix, treated: npt.NDArray[np.bool_]) -> float:
    """Share of neighbour pairs (rows of ``matrix``) whose two ends are in different arms."""
    coo = matrix.tocoo()
    if coo.nnz == 0:
        return math.nan
    z = np.asarray(treated, dtype=bool)
    return float(np.mean(z[coo.row] != z[coo.col]))
