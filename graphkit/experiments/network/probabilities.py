"""Exposure probabilities: each user's chance of every condition, and joint chances.

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
``B = B_i ∪ B_j``, so it depends only on set sizes and on the intersections
``|X_i ∩ Y_j|`` for X, Y ∈ {O, Nb, S}. All of those follow from one sparse product
``L Rᵀ`` of users × blocks incidence matrices of ``S`` whose entries carry a flag for the
user's own block (``L``: 1 + 2³⁰·[own], ``R``: 1 + 2³¹·[own]), so one integer per pair
holds ``|S_i ∩ S_j|``, whether ``O_i ⊆ S_j``, whether ``O_j ⊆ S_i`` and whether
``O_i = O_j``. Only pairs whose ``S`` sets overlap are ever visited (never an n × n dense
matrix), and they are visited in blocks of rows (:meth:`ExposureProbabilities.blocks`)
so memory stays bounded however many pairs overlap. Pairs that do not overlap are
independent under Bernoulli and cluster randomization; under complete randomization
their joint probability depends only on the sizes of their sets, and :mod:`.estimators`
sums them by size group. Under cluster randomization, users with the same own cluster and
the same clusters touching their neighbours are in the same condition under every
assignment; :class:`UserTypes` lets the variance sums run over pairs of such types.

Monte Carlo (``fraction``, ``count``, or when asked)
----------------------------------------------------
``R`` assignments are drawn from the design and the probabilities estimated with the
convention of R ``interference`` (``make_exposure_prob``): ``π̂_ij(k,k) = (Σ_r I_i I_j +
1[i=j]) / (R+1)`` — the "+1" only on the diagonal, so every observed condition has
``π̂_i > 0`` — and ``π̂_ij(k,m) = Σ_r I_i(k) I_j(m) / R`` for ``k ≠ m``. The draws are
exposed in batches (one sparse product ``A Zᵀ`` per batch); each user's conditions over
the draws are kept as bits, so a joint count is the popcount of an AND. Joint counts are
kept for overlapping pairs only; other pairs are taken as independent (exact for
Bernoulli and cluster designs, an approximation for complete randomization).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import gammaln

from graphkit.errors import ConfigError
from graphkit.experiments.network.exposure import ExposureMapping
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

PAIRS_PER_BLOCK = 2_000_000
"""Default bound on the pairs of one block (a few hundred MB of temporary arrays)."""


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


class PairBlock:
    """The stored pairs whose first user is one of ``users``.

    ``rows`` and ``cols`` are the two users of every pair, grouped by row user in the
    order of ``users``; ``counts`` the pairs of each of them; ``joint(k, m)`` is
    ``π_ij(k, m)`` for every pair.
    """

    users: IntArray
    rows: IntArray
    cols: IntArray
    counts: IntArray

    def joint(self, k: int, m: int) -> FloatArray:
        raise NotImplementedError


class PairSource:
    """Builds :class:`PairBlock` objects. ``partners`` (a mask of users, or None for
    everyone) keeps only the pairs whose second user is one of them."""

    def work(self, partners: npt.NDArray[np.bool_] | None) -> IntArray:
        """An upper bound of each user's cost (its pairs, times the width of a pair for
        Monte Carlo), to cut blocks."""
        raise NotImplementedError

    def block(self, users: IntArray, partners: npt.NDArray[np.bool_] | None) -> PairBlock:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class UserTypes:
    """Users whose pairs all have the same joint probabilities (cluster designs: same
    own cluster and same clusters touching their neighbours), and the probabilities of
    the types: the variance sums can run over pairs of types with summed outcomes."""

    of_user: IntArray
    probabilities: ExposureProbabilities


@dataclass(frozen=True, eq=False)
class ExposureProbabilities:
    """Individual probabilities of every condition and joint ones for overlapping pairs.

    Attributes
    ----------
    conditions : tuple of str
    individual : ndarray, n × K
        ``π_i(k)``.
    source : PairSource
        The pairs (including ``i = j``) whose joint probabilities differ from the
        independent or size-group value, block by block (:meth:`blocks`); every other
        pair is covered by ``disjoint`` (or independent when it is None).
    method : str
        ``exact``, ``monte-carlo`` or ``explicit``.
    replications : int or None
    """

    conditions: tuple[str, ...]
    individual: FloatArray
    source: PairSource
    method: str
    replications: int | None = None
    disjoint: DisjointGroups | None = None
    notes: tuple[str, ...] = field(default=())
    types: UserTypes | None = None
    """Set for cluster designs with users of identical sets (see :class:`UserTypes`)."""
    _pair_counts: dict[str, IntArray] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return int(self.individual.shape[0])

    def blocks(
        self,
        users: npt.ArrayLike | None = None,
        max_pairs: int = PAIRS_PER_BLOCK,
        partners: npt.NDArray[np.bool_] | None = None,
    ) -> Iterator[PairBlock]:
        """The stored pairs of ``users`` (default: everyone), in blocks of consecutive
        users whose pairs stay under ``max_pairs`` (a user with more is a block alone);
        with ``partners`` (a mask), only pairs whose second user is in it.

        Examples
        --------
        >>> import numpy as np, scipy.sparse as sp
        >>> A = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]]))
        >>> pr = exact_probabilities(A, Randomization.bernoulli(3, 0.5), ExposureMapping("any"))
        >>> [block.rows.tolist() for block in pr.blocks(max_pairs=2)]
        [[0, 0], [1, 1], [2]]
        >>> block = next(pr.blocks([0]))
        >>> sorted(zip(block.cols.tolist(), block.joint(0, 0).tolist()))  # (0, 0) and (0, 1)
        [(0, 0.5), (1, 0.25)]
        """
        chosen = (
            np.arange(self.n, dtype=np.int64)
            if users is None
            else np.asarray(users, dtype=np.int64)
        )
        if chosen.size == 0:
            return
        counts = self._pair_counts.setdefault("counts", np.full(self.n, -1, dtype=np.int64))
        work = np.cumsum(self.source.work(partners)[chosen])
        start = 0
        while start < chosen.size:
            base = work[start - 1] if start else 0
            stop = int(np.searchsorted(work, base + max_pairs, side="right"))
            stop = max(stop, start + 1)
            block = self.source.block(chosen[start:stop], partners)
            if partners is None:
                counts[chosen[start:stop]] = block.counts
            yield block
            start = stop

    @property
    def pairs(self) -> int:
        """Ordered pairs with stored joint probabilities (diagonal included). Counted
        while blocks are visited; the users not visited yet are counted here."""
        if self.types is not None:  # Σ over pairs of types of their users' products
            of_user = self.types.of_user
            size = np.bincount(of_user).astype(np.int64)
            total = 0
            for block in self.types.probabilities.blocks():
                total += int(np.sum(size[block.rows] * size[block.cols]))
            return total
        counts = self._pair_counts.get("counts")
        missing = np.arange(self.n) if counts is None else np.flatnonzero(counts < 0)
        for _ in self.blocks(missing):
            pass
        return int(self._pair_counts["counts"].sum())

    def _everything(self) -> PairBlock:
        """All stored pairs in one block — for small graphs and tests only."""
        return self.source.block(np.arange(self.n, dtype=np.int64), None)

    @property
    def rows(self) -> IntArray:
        """First user of every stored pair (all at once: small graphs only)."""
        return self._everything().rows

    @property
    def cols(self) -> IntArray:
        """Second user of every stored pair, in the order of :attr:`rows`."""
        return self._everything().cols

    def pair_joint(self, first: npt.NDArray[np.int8], m: int) -> FloatArray:
        """``π_{rows,cols}(first, m)`` for every stored pair, where ``first`` is a
        condition index per pair (pairs with ``first < 0`` get 0) — small graphs only."""
        block = self._everything()
        out = np.zeros(block.rows.size)
        for k in range(len(self.conditions)):
            chosen = first == k
            if chosen.any():
                out[chosen] = block.joint(k, m)[chosen]
        return out

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
        block = self._everything()
        out[block.rows, block.cols] = block.joint(k, m)
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
        # log x! for x = 0..N, looked up per pair (the same values gammaln gives).
        log_factorial = gammaln(np.arange(n_all + 1, dtype=np.float64) + 1)

        def hypergeometric(a: IntArray, b: IntArray) -> FloatArray:
            rest = n_all - a - b
            pick = n_t - a
            ok = (pick >= 0) & (pick <= rest) & (rest >= 0)
            rest_c = np.where(ok, rest, 0)
            pick_c = np.where(ok, pick, 0)
            log_ways = (
                log_factorial[rest_c] - log_factorial[pick_c] - log_factorial[rest_c - pick_c]
            )
            return np.where(ok, np.exp(log_ways - log_total), 0.0)

        return hypergeometric
    p = design.p
    assert p is not None
    log_p, log_q = np.log(p), np.log1p(-p)

    def product(a: IntArray, b: IntArray) -> FloatArray:
        return np.exp(a * log_p + b * log_q)

    return product


# Bits of the product L Rᵀ: |S_i ∩ S_j| below _SHIFT, then [O_i ⊆ S_j], [O_j ⊆ S_i],
# and [O_i = O_j] at bit 2·_SHIFT + 1 (62 bits in all: an int64 never overflows).
_SHIFT = 30


class _BlockSets:
    """Users × blocks incidence of O, Nb and S, with the flagged matrices L and Rᵀ."""

    def __init__(self, blocks: IntArray, touching: sp.csr_matrix) -> None:
        """``blocks``: each unit's own block; ``touching``: units × blocks, 1 where a
        block holds a neighbour of the unit."""
        n, n_blocks = touching.shape
        self.blocks = blocks
        self.touching = touching
        own = sp.csr_matrix(
            (np.ones(n, dtype=np.int64), (np.arange(n), blocks)), shape=(n, n_blocks)
        )
        either = (touching + own).tocsr()
        either.data[:] = 1
        either.sort_indices()
        self.either = either
        self.size = {
            "": np.zeros(n, dtype=np.int64),
            "O": np.ones(n, dtype=np.int64),
            "Nb": np.diff(touching.indptr).astype(np.int64),
            "S": np.diff(either.indptr).astype(np.int64),
        }
        if n_blocks >= 1 << _SHIFT:
            raise ConfigError(f"{n_blocks} randomization units are too many")
        # Is the user's own block among the blocks touching their neighbours?
        holder = np.repeat(np.arange(n), np.diff(touching.indptr))
        own_there = holder[touching.indices == blocks[holder]]
        self.own_in_touching = np.bincount(own_there, minlength=n) > 0
        self._views: dict[bytes | None, tuple[sp.csr_matrix, IntArray | None, IntArray]] = {}

    @functools.cached_property
    def flagged(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """L and R (units × blocks): S with 1 + 2³⁰·[own block], 1 + 2³¹·[own block].
        Built on first use: the individual probabilities do not need them."""
        either = self.either
        owner = np.repeat(np.arange(either.shape[0]), np.diff(either.indptr))
        is_own = (either.indices == self.blocks[owner]).astype(np.int64)
        left = sp.csr_matrix(
            (1 + (is_own << _SHIFT), either.indices, either.indptr), shape=either.shape
        )
        right = sp.csr_matrix(
            (1 + (is_own << (_SHIFT + 1)), either.indices, either.indptr), shape=either.shape
        )
        return left, right

    @classmethod
    def of_graph(cls, matrix: sp.csr_matrix, design: Randomization) -> _BlockSets:
        n = matrix.shape[0]
        own = sp.csr_matrix(
            (np.ones(n, dtype=np.int64), (np.arange(n), design.blocks)),
            shape=(n, design.n_blocks),
        )
        touching = (matrix @ own).tocsr()
        touching.data[:] = 1
        touching.sort_indices()
        return cls(design.blocks, touching)

    def types(self) -> tuple[IntArray, IntArray]:
        """Users with the same own block and the same blocks touching their neighbours:
        (type of every user, first user of every type). Such users are in the same
        condition under every assignment (any, as4, all), so their pairs with anyone
        have the same joint probabilities."""
        touching, n = self.touching, self.blocks.size
        seen: dict[bytes, int] = {}
        of_user = np.empty(n, dtype=np.int64)
        indptr, indices = touching.indptr, touching.indices.astype(np.int64)
        for user in range(n):
            key = np.append(indices[indptr[user] : indptr[user + 1]], self.blocks[user]).tobytes()
            of_user[user] = seen.setdefault(key, len(seen))
        first = np.zeros(len(seen), dtype=np.int64)
        first[of_user[::-1]] = np.arange(n)[::-1]
        return of_user, first

    def view(
        self, partners: npt.NDArray[np.bool_] | None
    ) -> tuple[sp.csr_matrix, IntArray | None, IntArray]:
        """Rᵀ over the partners (blocks × partners), the partners' user ids (None: all)
        and each user's bound on its pairs Σ_{b ∈ S_i} (partners whose S holds b). The
        last view is kept: a pass asks for the same one block after block."""
        key = None if partners is None else np.packbits(partners).tobytes()
        if key not in self._views:
            ids = None if partners is None else np.flatnonzero(partners)
            right = self.flagged[1] if ids is None else self.flagged[1][ids]
            right_t = right.T.tocsr()
            bound = self.either @ np.diff(right_t.indptr).astype(np.int64)
            if len(self._views) > 1:  # everyone's view and the latest partners' view
                self._views = {k: v for k, v in self._views.items() if k is None}
            self._views[key] = (right_t, ids, bound)
        return self._views[key]

    def pattern(
        self, users: IntArray, partners: npt.NDArray[np.bool_] | None = None
    ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """(counts per user, rows, cols, flagged |S_i ∩ S_j|) of the users' pairs."""
        right_t, ids, _ = self.view(partners)
        product = (self.flagged[0][users] @ right_t).tocsr()
        counts = np.diff(product.indptr).astype(np.int64)
        rows = np.repeat(users, counts)
        cols = product.indices.astype(np.int64)
        return counts, rows, cols if ids is None else ids[cols], product.data

    def self_conflict(self, a: str, b: str) -> npt.NDArray[np.bool_]:
        """Do A_i and B_i share a block (so the event is impossible)?"""
        n = self.size["O"].size
        if not a or not b:
            return np.zeros(n, dtype=bool)
        if {a, b} == {"O", "Nb"}:
            return self.own_in_touching
        return self.size[a] > 0  # the other combinations share O or Nb entirely


class _ExactBlock(PairBlock):
    """Set sizes and intersections of a block's pairs, each built once on first use."""

    def __init__(
        self,
        sets: _BlockSets,
        terms: tuple[tuple[_Term, ...], ...],
        f: Callable[[IntArray, IntArray], FloatArray],
        users: IntArray,
        partners: npt.NDArray[np.bool_] | None,
    ) -> None:
        self.users = users
        self.counts, self.rows, self.cols, self._flagged = sets.pattern(users, partners)
        self.sets, self.terms, self.f = sets, terms, f
        self.at = {"i": self.rows, "j": self.cols}
        self.cache: dict[Any, Any] = {}

    def _flag(self, name: str) -> Any:
        if name not in self.cache:
            data = self._flagged
            if name == "S":
                value = data & ((1 << _SHIFT) - 1)
            elif name == "Oi":  # O_i ⊆ S_j
                value = (data >> _SHIFT) & 1
            elif name == "Oj":  # O_j ⊆ S_i
                value = (data >> (_SHIFT + 1)) & 1
            elif name == "same":  # O_i = O_j
                value = data >> (2 * _SHIFT + 1)
            else:  # user's own block outside their Nb: 1 − own_in_touching
                side = name[-1]
                value = (~self.sets.own_in_touching[self.at[side]]).astype(np.int64)
            self.cache[name] = value
        return self.cache[name]

    def inter(self, x: str, y: str) -> Any:
        """|X_i ∩ Y_j|; S ∖ Nb is O when the own block is not touching the neighbours."""
        if not x or not y:
            return 0
        key = ("inter", x, y)
        if key not in self.cache:
            t, a, b, same = (self._flag(name) for name in ("S", "Oi", "Oj", "same"))
            out_i, out_j = self._flag("out_i"), self._flag("out_j")
            value = {
                ("O", "O"): lambda: same,
                ("O", "S"): lambda: a,
                ("S", "O"): lambda: b,
                ("S", "S"): lambda: t,
                ("O", "Nb"): lambda: a - same * out_j,
                ("Nb", "O"): lambda: b - same * out_i,
                ("Nb", "S"): lambda: t - a * out_i,
                ("S", "Nb"): lambda: t - b * out_j,
                ("Nb", "Nb"): lambda: t - a * out_i - b * out_j + same * out_i * out_j,
            }[(x, y)]()
            self.cache[key] = value
        return self.cache[key]

    def size(self, x: str, side: str) -> Any:
        if not x:
            return 0
        if x == "O":
            return 1
        key = ("size", side, x)
        if key not in self.cache:
            self.cache[key] = self.sets.size[x][self.at[side]]
        return self.cache[key]

    def conflict(self, a: str, b: str, side: str) -> Any:
        if not a or not b:
            return False
        key = ("conflict", side, a, b)
        if key not in self.cache:
            self.cache[key] = self.sets.self_conflict(a, b)[self.at[side]]
        return self.cache[key]

    def joint(self, k: int, m: int) -> FloatArray:
        shape = self.rows.shape
        total = np.zeros(shape)
        for sign_i, a_i, b_i in self.terms[k]:
            bad_i = self.conflict(a_i, b_i, "i")
            for sign_j, a_j, b_j in self.terms[m]:
                a = self.size(a_i, "i") + self.size(a_j, "j") - self.inter(a_i, a_j)
                b = self.size(b_i, "i") + self.size(b_j, "j") - self.inter(b_i, b_j)
                clash = (
                    (np.asarray(self.inter(a_i, b_j) + self.inter(b_i, a_j)) > 0)
                    | bad_i
                    | self.conflict(a_j, b_j, "j")
                )
                value = self.f(np.broadcast_to(a, shape), np.broadcast_to(b, shape))
                if np.ndim(clash) or clash:  # a scalar False: nothing to mask
                    value = np.where(clash, 0.0, value)
                if sign_i * sign_j > 0:
                    total += value
                else:
                    total -= value
        return _clean(total)


@dataclass(eq=False)
class _ExactSource(PairSource):
    sets: _BlockSets
    terms: tuple[tuple[_Term, ...], ...]
    f: Callable[[IntArray, IntArray], FloatArray]

    def __post_init__(self) -> None:
        self.f = _tabulated(self.f, self.sets, self.terms)

    def work(self, partners: npt.NDArray[np.bool_] | None) -> IntArray:
        return self.sets.view(partners)[2]

    def block(self, users: IntArray, partners: npt.NDArray[np.bool_] | None) -> PairBlock:
        return _ExactBlock(self.sets, self.terms, self.f, users, partners)


# Largest table of f(a, b) looked up per pair (entries; 32 MB of float64).
_TABLE_LIMIT = 1 << 22


def _tabulated(
    f: Callable[[IntArray, IntArray], FloatArray],
    sets: _BlockSets,
    terms: tuple[tuple[_Term, ...], ...],
) -> Callable[[IntArray, IntArray], FloatArray]:
    """f looked up in a table of every (a, b) a pair can have, when that table is small
    (a ≤ 2 for ``any`` and ``as4``, whose "treated" sets are at most the own block): one
    gather per pair instead of an exp, and the same numbers (the table is f itself)."""
    largest = {name: int(values.max(initial=0)) for name, values in sets.size.items()}
    top_a = 2 * max(largest[a] for condition in terms for _, a, _ in condition)
    top_b = 2 * max(largest[b] for condition in terms for _, _, b in condition)
    if (top_a + 1) * (top_b + 1) > _TABLE_LIMIT:
        return f
    a_grid, b_grid = np.meshgrid(
        np.arange(top_a + 1, dtype=np.int64), np.arange(top_b + 1, dtype=np.int64), indexing="ij"
    )
    table = f(a_grid, b_grid).ravel()
    width = top_b + 1

    def lookup(a: IntArray, b: IntArray) -> FloatArray:
        return table[a * width + b]

    return lookup


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
    sets = _BlockSets.of_graph(matrix, design)
    f = _event_probability(design)
    n, k_count = design.n, len(terms)

    individual = np.zeros((n, k_count))
    for k, condition in enumerate(terms):
        for sign, a, b in condition:
            value = f(sets.size[a], sets.size[b])
            individual[:, k] += sign * np.where(sets.self_conflict(a, b), 0.0, value)
    individual = _clean(individual)

    disjoint = None
    if design.kind == "complete":
        disjoint = _disjoint_groups(sets, terms, f, individual)
    source = _ExactSource(sets, terms, f)
    types = None
    if design.kind == "cluster":
        of_user, first = sets.types()
        if first.size < n:
            type_sets = _BlockSets(sets.blocks[first], sets.touching[first])
            over_types = ExposureProbabilities(
                conditions=mapping.conditions,
                individual=individual[first],
                source=_ExactSource(type_sets, terms, source.f),
                method="exact",
            )
            types = UserTypes(of_user, over_types)
    return ExposureProbabilities(
        conditions=mapping.conditions,
        individual=individual,
        source=source,
        method="exact",
        disjoint=disjoint,
        types=types,
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

# Draws exposed together: one sparse product A Zᵀ of this many columns.
_DRAWS_PER_BATCH = 64


class _MonteCarloBlock(PairBlock):
    def __init__(
        self,
        source: _MonteCarloSource,
        users: IntArray,
        partners: npt.NDArray[np.bool_] | None,
    ) -> None:
        self.users = users
        self.counts, self.rows, self.cols, _ = source.sets.pattern(users, partners)
        self.source = source
        self._first: dict[int, npt.NDArray[np.uint64]] = {}

    def joint(self, k: int, m: int) -> FloatArray:
        bits = self.source.bits
        if k not in self._first:
            self._first[k] = bits[k][self.rows]
        together = np.bitwise_count(self._first[k] & bits[m][self.cols]).sum(axis=1, dtype=np.int64)
        replications = self.source.replications
        if k == m:
            return (together + (self.rows == self.cols)) / (replications + 1.0)
        return together / replications


@dataclass(eq=False)
class _MonteCarloSource(PairSource):
    sets: _BlockSets
    bits: list[npt.NDArray[np.uint64]]
    """Per condition, users × words: bit r of a user's row = in the condition at draw r."""
    replications: int

    def work(self, partners: npt.NDArray[np.bool_] | None) -> IntArray:
        return self.sets.view(partners)[2] * self.bits[0].shape[1]

    def block(self, users: IntArray, partners: npt.NDArray[np.bool_] | None) -> PairBlock:
        return _MonteCarloBlock(self, users, partners)


def _draw_codes(
    matrix: sp.csr_matrix,
    design: Randomization,
    mapping: ExposureMapping,
    replications: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.int8]:
    """Condition of every user in every draw (replications × n), drawn and exposed in
    batches: the generator's stream is the same as one ``design.draw`` of all draws."""
    codes = np.empty((replications, design.n), dtype=np.int8)
    degree = np.diff(matrix.indptr).astype(np.int64)
    for start in range(0, replications, _DRAWS_PER_BATCH):
        stop = min(start + _DRAWS_PER_BATCH, replications)
        draws = design.draw(rng, stop - start)
        treated = np.asarray(matrix @ draws.T.astype(np.int64))  # n × batch
        codes[start:stop] = mapping.classify(draws.T, treated, degree[:, None]).T
    return codes


def _pack(codes: npt.NDArray[np.int8], k_count: int) -> list[npt.NDArray[np.uint64]]:
    """Per condition, users × ⌈R/64⌉ words of bits (draw r → bit r)."""
    replications, n = codes.shape
    words = -(-replications // 64)
    out = []
    for k in range(k_count):
        packed = np.packbits(codes == k, axis=0, bitorder="little")  # ⌈R/8⌉ × n
        padded = np.zeros((words * 8, n), dtype=np.uint8)
        padded[: packed.shape[0]] = packed
        out.append(np.ascontiguousarray(padded.T).view(np.uint64))
    return out


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
    codes = _draw_codes(matrix, design, mapping, replications, rng)
    counts = np.stack([(codes == k).sum(axis=0) for k in range(k_count)], axis=1)
    individual = (counts + 1.0) / (replications + 1.0)
    bits = _pack(codes, k_count)
    del codes
    # Same overlap pattern as the exact method: pairs whose S sets share a block.
    sets = _BlockSets.of_graph(matrix, design)

    notes: tuple[str, ...] = ()
    if design.kind == "complete":
        notes = (
            "Monte Carlo probabilities under complete randomization treat users with "
            "disjoint neighbourhoods as independent",
        )
    return ExposureProbabilities(
        conditions=mapping.conditions,
        individual=individual,
        source=_MonteCarloSource(sets, bits, replications),
        method="monte-carlo",
        replications=replications,
        notes=notes,
    )


class _ExplicitBlock(PairBlock):
    def __init__(
        self,
        dense: dict[tuple[int, int], FloatArray],
        users: IntArray,
        partners: npt.NDArray[np.bool_] | None,
    ) -> None:
        n = dense[(0, 0)].shape[0]
        ids = np.arange(n, dtype=np.int64) if partners is None else np.flatnonzero(partners)
        self.dense, self.users = dense, users
        self.counts = np.full(users.size, ids.size, dtype=np.int64)
        self.rows = np.repeat(users, ids.size)
        self.cols = np.tile(ids, users.size)

    def joint(self, k: int, m: int) -> FloatArray:
        matrix = self.dense.get((k, m))
        if matrix is None:
            matrix = self.dense[(m, k)].T
        return matrix[self.rows, self.cols]


@dataclass(eq=False)
class _ExplicitSource(PairSource):
    dense: dict[tuple[int, int], FloatArray]

    def work(self, partners: npt.NDArray[np.bool_] | None) -> IntArray:
        n = self.dense[(0, 0)].shape[0]
        return np.full(n, n if partners is None else int(partners.sum()), dtype=np.int64)

    def block(self, users: IntArray, partners: npt.NDArray[np.bool_] | None) -> PairBlock:
        return _ExplicitBlock(self.dense, users, partners)


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
    individual = np.column_stack([np.diag(dense[(k, k)]) for k in range(k_count)])
    return ExposureProbabilities(
        conditions=tuple(conditions),
        individual=individual,
        source=_ExplicitSource(dense),
        method="explicit",
    )
