"""Exposure probabilities as computed before the chunked rewrite (kept as the test reference:
every overlapping pair materialised at once). Verbatim copy of the previous module.

Exact (``any``, ``as4``, ``all`` under complete, Bernoulli or cluster randomization)
------------------------------------------------------------------------------------
Write ``O_i`` for the randomization block of user *i* (the user, or their cluster),
``Nb_i`` for the blocks touching *i*'s neighbours and ``S_i = O_i ∪ Nb_i``. Every
condition of these mappings is a signed sum of events "every block of set *A* treated and
every block of set *B* in control", e.g. (as4)

* ``no`` = [∅ treated, S control]; ``ind1`` = [∅, O] − [∅, S];
* ``isol_dir`` = [O, Nb]; ``dir_ind1`` = [O, ∅] − [O, Nb];

and such an event has probability ``f(|A|, |B|)`` — ``p^a (1−p)^b`` for Bernoulli or
cluster randomization (the "products over the units or clusters touching the
neighbourhood" of Ugander et al. 2013), ``C(N−a−b, n_t−a) / C(N, n_t)`` for complete
randomization (hypergeometric) — or 0 when *A* and *B* share a block. The joint
probability of two users is the same sum over pairs of events with ``A = A_i ∪ A_j`` and
``B = B_i ∪ B_j``; the union sizes come from sparse products ``X Yᵀ`` of the users ×
blocks incidence matrices, so only pairs whose ``S`` sets overlap are ever visited
(never an n × n dense matrix). Pairs that do not overlap are independent under Bernoulli
and cluster randomization; under complete randomization their joint probability depends
only on the sizes of their sets, and :mod:`.estimators` sums them by size group.

Monte Carlo (``fraction``, ``count``, or when asked)
----------------------------------------------------
``R`` assignments are drawn from the design and the probabilities estimated with the
convention of R ``interference`` (``make_exposure_prob``): ``π̂_ij(k,k) = (Σ_r I_i I_j +
1[i=j]) / (R+1)`` — the "+1" only on the diagonal, so every observed condition has
``π̂_i > 0`` — and ``π̂_ij(k,m) = Σ_r I_i(k) I_j(m) / R`` for ``k ≠ m``. Joint counts are
kept for overlapping pairs only; other pairs are taken as independent (exact for
Bernoulli and cluster designs, an approximation for complete randomization).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import gammaln

from graphkit.errors import ConfigError
from graphkit.experiments.network.exposure import ExposureMapping, expose
from graphkit.experiments.network.randomization import Randomization

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Per condition: (sign, set all treated, set all in control); "" is the empty set.
_Term = tuple[int, str, str]
_TERMS: dict[str, tuple[tuple[_Term, ...], ...]] = {
    "any": (((1, "", ""), (-1, "", "Nb")), ((1, "", "Nb"),)),
    "as4": (
        ((1, "O", ""), (-1, "O", "Nb")),
        ((1, "O", "Nb"),),
        ((1, "", "O"), (-1, "", "S")),
        ((1, "", "S"),),
    ),
    "all": (((1, "S", ""),), ((1, "", "S"),), ((1, "", ""), (-1, "S", ""), (-1, "", "S"))),
}
_SETS = ("O", "Nb", "S")


@dataclass(frozen=True, eq=False)
class DisjointGroups:
    """Joint probabilities of pairs with disjoint sets, by size group (complete design).

    ``group`` is each user's group; ``joint(k, m)`` is the G × G matrix of
    ``π_ij(k, m)`` for users of groups g and h whose sets do not overlap.
    """

    group: IntArray
    individual: FloatArray
    """G × K individual probabilities of each group."""
    joint: Callable[[int, int], FloatArray]


@dataclass(frozen=True, eq=False)
class ExposureProbabilities:
    """Individual probabilities of every condition and joint ones for overlapping pairs.

    Attributes
    ----------
    conditions : tuple of str
    individual : ndarray, n × K
        ``π_i(k)``.
    rows, cols : ndarray
        The pairs (including ``i = j``) whose joint probabilities differ from the
        independent or size-group value; every other pair is covered by ``disjoint``
        (or independent when it is None).
    method : str
        ``exact`` or ``monte-carlo``.
    replications : int or None
    """

    conditions: tuple[str, ...]
    individual: FloatArray
    pattern: Callable[[], tuple[IntArray, IntArray]]
    """Builds (once) the stored pairs: ``(rows, cols)``."""
    pair_joint: Callable[[npt.NDArray[np.int8], int], FloatArray]
    """``pair_joint(first, m)``: ``π_{rows,cols}(first, m)`` for every stored pair, where
    ``first`` is a condition index per pair (pairs with ``first < 0`` get 0)."""
    method: str
    replications: int | None = None
    disjoint: DisjointGroups | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return int(self.individual.shape[0])

    @property
    def rows(self) -> IntArray:
        return self.pattern()[0]

    @property
    def cols(self) -> IntArray:
        return self.pattern()[1]

    @property
    def pairs(self) -> int:
        """Ordered pairs with stored joint probabilities (diagonal included)."""
        return int(self.rows.size)

    def joint_matrix(self, k: int, m: int) -> FloatArray:
        """Dense n × n ``π_ij(k, m)`` — for small graphs and tests only."""
        n = self.n
        out = np.zeros((n, n))
        ind = self.individual
        if self.disjoint is None:
            out[:] = np.outer(ind[:, k], ind[:, m])
        else:
            g = self.disjoint.group
            out[:] = self.disjoint.joint(k, m)[np.ix_(g, g)]
        first = np.full(self.rows.size, k, dtype=np.int8)
        out[self.rows, self.cols] = self.pair_joint(first, m)
        return out


# ----------------------------------------------------------------------- exact

# Differences of event probabilities leave rounding residue (1e-17) where the answer is
# exactly 0; a positive residue would turn an impossible pair into a possible one.
_ZERO = 1e-12


def _clean(values: FloatArray) -> FloatArray:
    return np.where(values < _ZERO, 0.0, np.minimum(values, 1.0))


def _event_probability(design: Randomization) -> Callable[[IntArray, IntArray], FloatArray]:
    """f(a, b): probability that a given blocks are all treated and b others all control."""
    if design.kind == "complete":
        n_all, n_t = design.n, design.n_treated
        assert n_t is not None
        log_total = gammaln(n_all + 1) - gammaln(n_t + 1) - gammaln(n_all - n_t + 1)

        def hypergeometric(a: IntArray, b: IntArray) -> FloatArray:
            rest = n_all - a - b
            pick = n_t - a
            ok = (pick >= 0) & (pick <= rest) & (rest >= 0)
            rest_c = np.where(ok, rest, 0)
            pick_c = np.where(ok, pick, 0)
            log_ways = gammaln(rest_c + 1) - gammaln(pick_c + 1) - gammaln(rest_c - pick_c + 1)
            return np.where(ok, np.exp(log_ways - log_total), 0.0)

        return hypergeometric
    p = design.p
    assert p is not None
    log_p, log_q = np.log(p), np.log1p(-p)

    def product(a: IntArray, b: IntArray) -> FloatArray:
        return np.exp(a * log_p + b * log_q)

    return product


class _BlockSets:
    """Users × blocks incidence of O, Nb and S, and pairwise intersection sizes."""

    def __init__(self, matrix: sp.csr_matrix, design: Randomization) -> None:
        n = matrix.shape[0]
        blocks = design.blocks
        own = sp.csr_matrix(
            (np.ones(n, dtype=np.int64), (np.arange(n), blocks)), shape=(n, design.n_blocks)
        )
        touching = (matrix @ own).tocsr()
        touching.data[:] = 1
        either = (touching + own).tocsr()
        either.data[:] = 1
        self.incidence = {"O": own, "Nb": touching, "S": either}
        self.size = {
            "": np.zeros(n, dtype=np.int64),
            "O": np.ones(n, dtype=np.int64),
            "Nb": np.diff(touching.indptr).astype(np.int64),
            "S": np.diff(either.indptr).astype(np.int64),
        }
        # Is the user's own block among the blocks touching their neighbours?
        self.own_in_touching = np.asarray(touching[np.arange(n), blocks]).ravel().astype(bool)
        self._cache: dict[tuple[str, str], IntArray] = {}
        self._pattern: sp.csr_matrix | None = None

    @property
    def pattern(self) -> sp.csr_matrix:
        """Pairs whose S sets overlap, with |S_i ∩ S_j| (built on first use: the
        individual probabilities do not need it)."""
        if self._pattern is None:
            either = self.incidence["S"]
            pattern = (either @ either.T).tocsr()
            pattern.sort_indices()
            coo = pattern.tocoo()
            self.rows = coo.row.astype(np.int64)
            self.cols = coo.col.astype(np.int64)
            self._cache[("S", "S")] = pattern.data.astype(np.int64)
            self._pattern = pattern
        return self._pattern

    def pairs(self) -> tuple[IntArray, IntArray]:
        _ = self.pattern
        return self.rows, self.cols

    def inter(self, x: str, y: str) -> IntArray:
        """|X_i ∩ Y_j| for every stored pair (i, j)."""
        rows, _ = self.pairs()
        if not x or not y:
            return np.zeros(rows.size, dtype=np.int64)
        key = (x, y)
        if key not in self._cache:
            product = (self.incidence[x] @ self.incidence[y].T).tocsr()
            # X_i ∩ Y_j ⊆ S_i ∩ S_j: adding a multiple of the S pattern gives exactly its
            # sparsity, so the data arrays line up and the count is recovered exactly.
            scale = int(self.pattern.data.max()) + 1
            merged = (product + self.pattern * scale).tocsr()
            merged.sort_indices()
            self._cache[key] = merged.data.astype(np.int64) - scale * self._cache[("S", "S")]
        return self._cache[key]

    def self_conflict(self, a: str, b: str) -> npt.NDArray[np.bool_]:
        """Do A_i and B_i share a block (so the event is impossible)?"""
        n = self.size["O"].size
        if not a or not b:
            return np.zeros(n, dtype=bool)
        if {a, b} == {"O", "Nb"}:
            return self.own_in_touching
        return self.size[a] > 0  # the other combinations share O or Nb entirely


class _Gathered:
    """Set sizes and intersections of the chosen pairs, each gathered once: several pairs
    of terms use the same arrays. The empty set gives a scalar 0."""

    def __init__(self, sets: _BlockSets, chosen: IntArray, rows: IntArray, cols: IntArray) -> None:
        self.sets, self.chosen = sets, chosen
        self.at = {"i": rows, "j": cols}
        self.cache: dict[tuple[str, str], Any] = {}

    def inter(self, x: str, y: str) -> Any:
        if not x or not y:
            return 0
        if (x, y) not in self.cache:
            self.cache[(x, y)] = self.sets.inter(x, y)[self.chosen]
        return self.cache[(x, y)]

    def size(self, x: str, side: str) -> Any:
        if not x:
            return 0
        if (side, x) not in self.cache:
            self.cache[(side, x)] = self.sets.size[x][self.at[side]]
        return self.cache[(side, x)]


def exact_probabilities(
    matrix: sp.csr_matrix, design: Randomization, mapping: ExposureMapping
) -> ExposureProbabilities:
    """Exact individual and pairwise exposure probabilities (``any``, ``as4``, ``all``).

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Exposure adjacency (:func:`~.exposure.adjacency`).
    design : Randomization
    mapping : ExposureMapping

    Raises
    ------
    ConfigError
        For ``fraction`` and ``count`` (use :func:`monte_carlo_probabilities`).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix(np.array([[0, 1], [1, 0]]))
    >>> pr = exact_probabilities(A, Randomization.bernoulli(2, 0.5), ExposureMapping("as4"))
    >>> pr.individual[0].tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    if not mapping.has_closed_form:
        raise ConfigError(
            f"exposure {mapping.name} has no closed-form probabilities",
            hint="use Monte Carlo probabilities (replications)",
        )
    if matrix.shape[0] != design.n:
        raise ConfigError(f"the design has {design.n} users, the graph {matrix.shape[0]}")
    terms = _TERMS[mapping.kind]
    sets = _BlockSets(matrix, design)
    f = _event_probability(design)
    n, k_count = design.n, len(terms)

    individual = np.zeros((n, k_count))
    for k, condition in enumerate(terms):
        for sign, a, b in condition:
            value = f(sets.size[a], sets.size[b])
            individual[:, k] += sign * np.where(sets.self_conflict(a, b), 0.0, value)
    individual = _clean(individual)

    def pair_joint(first: npt.NDArray[np.int8], m: int) -> FloatArray:
        rows, cols = sets.pairs()
        out = np.zeros(rows.size)
        for k in range(k_count):
            chosen = np.flatnonzero(first == k)
            if chosen.size == 0:
                continue
            r, c = rows[chosen], cols[chosen]
            gather = _Gathered(sets, chosen, r, c)
            total = np.zeros(chosen.size)
            for sign_i, a_i, b_i in terms[k]:
                bad_i = sets.self_conflict(a_i, b_i)[r]
                for sign_j, a_j, b_j in terms[m]:
                    a = gather.size(a_i, "i") + gather.size(a_j, "j") - gather.inter(a_i, a_j)
                    b = gather.size(b_i, "i") + gather.size(b_j, "j") - gather.inter(b_i, b_j)
                    clash = (
                        (np.asarray(gather.inter(a_i, b_j) + gather.inter(b_i, a_j)) > 0)
                        | bad_i
                        | sets.self_conflict(a_j, b_j)[c]
                    )
                    value = f(np.broadcast_to(a, r.shape), np.broadcast_to(b, r.shape))
                    total += sign_i * sign_j * np.where(clash, 0.0, value)
            out[chosen] = total
        return _clean(out)

    disjoint = None
    if design.kind == "complete":
        disjoint = _disjoint_groups(sets, terms, f, individual)
    return ExposureProbabilities(
        conditions=mapping.conditions,
        individual=individual,
        pattern=sets.pairs,
        pair_joint=pair_joint,
        method="exact",
        disjoint=disjoint,
    )


def _disjoint_groups(
    sets: _BlockSets,
    terms: tuple[tuple[_Term, ...], ...],
    f: Callable[[IntArray, IntArray], FloatArray],
    individual: FloatArray,
) -> DisjointGroups:
    """Users grouped by the sizes of their sets; joint probabilities of disjoint pairs."""
    signature = np.column_stack([sets.size["Nb"], sets.size["S"], sets.own_in_touching])
    unique, group = np.unique(signature, axis=0, return_inverse=True)
    group = group.ravel().astype(np.int64)
    first_member = np.zeros(unique.shape[0], dtype=np.int64)
    first_member[group[::-1]] = np.arange(group.size)[::-1]
    size = {name: values[first_member] for name, values in sets.size.items()}
    own_in = sets.own_in_touching[first_member]

    def conflict(a: str, b: str) -> npt.NDArray[np.bool_]:
        if not a or not b:
            return np.zeros(first_member.size, dtype=bool)
        if {a, b} == {"O", "Nb"}:
            return own_in
        return size[a] > 0

    def joint(k: int, m: int) -> FloatArray:
        out = np.zeros((first_member.size, first_member.size))
        for sign_i, a_i, b_i in terms[k]:
            for sign_j, a_j, b_j in terms[m]:
                a = size[a_i][:, None] + size[a_j][None, :]
                b = size[b_i][:, None] + size[b_j][None, :]
                bad = conflict(a_i, b_i)[:, None] | conflict(a_j, b_j)[None, :]
                out += sign_i * sign_j * np.where(bad, 0.0, f(a, b))
        return _clean(out)

    return DisjointGroups(group=group, individual=individual[first_member], joint=joint)


# ----------------------------------------------------------------------- Monte Carlo


def monte_carlo_probabilities(
    matrix: sp.csr_matrix,
    design: Randomization,
    mapping: ExposureMapping,
    *,
    replications: int = 1000,
    seed: int = 0,
) -> ExposureProbabilities:
    """Exposure probabilities estimated from ``replications`` draws of the design.

    Follows R ``interference``'s convention (module docstring) so its numbers can be
    reproduced; joint counts are kept only for pairs whose neighbourhoods overlap.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix(np.array([[0, 1], [1, 0]]))
    >>> pr = monte_carlo_probabilities(
    ...     A, Randomization.complete(2, 1), ExposureMapping("as4"), replications=9)
    >>> pr.individual[:, [0, 3]].tolist()  # never both treated or both in control
    [[0.1, 0.1], [0.1, 0.1]]
    """
    if replications < 1:
        raise ConfigError(f"replications must be at least 1, got {replications}")
    if matrix.shape[0] != design.n:
        raise ConfigError(f"the design has {design.n} users, the graph {matrix.shape[0]}")
    rng = np.random.default_rng(seed)
    k_count = len(mapping.conditions)
    # Same overlap pattern as the exact method: pairs sharing a user of their B sets.
    closed = (matrix + sp.identity(design.n, dtype=np.int64, format="csr")).tocsr()
    closed.data[:] = 1
    if design.kind == "cluster":
        own = sp.csr_matrix(
            (np.ones(design.n, dtype=np.int64), (np.arange(design.n), design.blocks)),
            shape=(design.n, design.n_blocks),
        )
        closed = (closed @ own).tocsr()
    pattern = (closed @ closed.T).tocoo()
    rows, cols = pattern.row.astype(np.int64), pattern.col.astype(np.int64)

    draws = design.draw(rng, replications)
    codes = np.empty((replications, design.n), dtype=np.int8)
    for r in range(replications):
        codes[r] = expose(matrix, draws[r], mapping).codes
    counts = np.stack([(codes == k).sum(axis=0) for k in range(k_count)], axis=1)
    individual = (counts + 1.0) / (replications + 1.0)
    del draws

    def pair_joint(first: npt.NDArray[np.int8], m: int) -> FloatArray:
        together = np.zeros(rows.size)
        for r in range(replications):
            row_codes = codes[r]
            together += (row_codes[rows] == first) & (row_codes[cols] == m)
        same = first == m
        out = np.where(
            same, (together + (rows == cols)) / (replications + 1.0), together / replications
        )
        return np.where(first >= 0, out, 0.0)

    notes: tuple[str, ...] = ()
    if design.kind == "complete":
        notes = (
            "Monte Carlo probabilities under complete randomization treat users with "
            "disjoint neighbourhoods as independent",
        )
    return ExposureProbabilities(
        conditions=mapping.conditions,
        individual=individual,
        pattern=lambda: (rows, cols),
        pair_joint=pair_joint,
        method="monte-carlo",
        replications=replications,
        notes=notes,
    )


def explicit_probabilities(
    conditions: tuple[str, ...], joint: dict[tuple[int, int], npt.ArrayLike]
) -> ExposureProbabilities:
    """Probabilities given as dense matrices ``joint[(k, m)][i, j] = π_ij(k, m)``.

    The diagonal of ``joint[(k, k)]`` is ``π_i(k)``. Meant for small examples and for
    checking the variance against published numbers.

    Examples
    --------
    >>> pr = explicit_probabilities(("a",), {(0, 0): [[0.5, 0.2], [0.2, 0.5]]})
    >>> pr.individual[:, 0].tolist()
    [0.5, 0.5]
    """
    k_count = len(conditions)
    dense = {key: np.asarray(value, dtype=float) for key, value in joint.items()}
    n = dense[(0, 0)].shape[0]
    individual = np.column_stack([np.diag(dense[(k, k)]) for k in range(k_count)])
    rows, cols = (a.ravel().astype(np.int64) for a in np.indices((n, n)))

    def pair_joint(first: npt.NDArray[np.int8], m: int) -> FloatArray:
        out = np.zeros(rows.size)
        for k in range(k_count):
            chosen = first == k
            if chosen.any():
                matrix = dense.get((k, m))
                if matrix is None:
                    matrix = dense[(m, k)].T
                out[chosen] = matrix[rows[chosen], cols[chosen]]
        return out

    return ExposureProbabilities(
        conditions=tuple(conditions),
        individual=individual,
        pattern=lambda: (rows, cols),
        pair_joint=pair_joint,
        method="explicit",
    )
