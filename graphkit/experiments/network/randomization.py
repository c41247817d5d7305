"""Randomization designs: how treatment was (or will be) drawn.

* ``complete``: exactly ``n_treated`` of the ``n`` users treated, every subset equally
  likely (the default for an experiment of unknown design);
* ``bernoulli``: each user treated independently with probability ``p`` (what a salted
  hash split is, user by user);
* ``cluster``: each cluster treated independently with probability ``p``, all its users
  together (graph-cluster randomization, Ugander et al. 2013; ego-clusters are clusters).

The design gives the exposure probabilities (:mod:`.probabilities`) and, for Monte
Carlo, draws assignments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from graphkit.errors import ConfigError

DESIGNS = ("complete", "bernoulli", "cluster", "ego")


@dataclass(frozen=True, eq=False)
class Randomization:
    """A validated randomization design over ``n`` users.

    Parameters
    ----------
    kind : {"complete", "bernoulli", "cluster"}
    n : int
        Number of users.
    p : float, optional
        Treatment probability of a user (bernoulli) or a cluster (cluster).
    n_treated : int, optional
        Users treated (complete).
    clusters : array of int, optional
        Cluster index ``0..C-1`` per user (cluster).

    Examples
    --------
    >>> Randomization.complete(10, 3).draw(np.random.default_rng(0), 2).sum(axis=1).tolist()
    [3, 3]
    """

    kind: str
    n: int
    p: float | None = None
    n_treated: int | None = None
    clusters: npt.NDArray[np.int64] | None = None
    blocks: npt.NDArray[np.int64] = field(init=False)
    """Independent randomization unit of every user (itself, or its cluster)."""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError("the design needs at least one user")
        if self.kind == "complete":
            if self.n_treated is None or not 0 <= self.n_treated <= self.n:
                raise ConfigError(f"n_treated must be in [0, {self.n}], got {self.n_treated}")
            blocks = np.arange(self.n, dtype=np.int64)
        elif self.kind in ("bernoulli", "cluster"):
            if self.p is None or not 0 < self.p < 1:
                raise ConfigError(f"p must be in (0, 1), got {self.p}")
            if self.kind == "bernoulli":
                blocks = np.arange(self.n, dtype=np.int64)
            else:
                if self.clusters is None or len(self.clusters) != self.n:
                    raise ConfigError("a cluster design needs one cluster index per user")
                _, blocks = np.unique(np.asarray(self.clusters), return_inverse=True)
                blocks = blocks.astype(np.int64)
        else:
            raise ConfigError(
                f"design {self.kind!r} is unknown", hint="use complete, bernoulli or cluster"
            )
        object.__setattr__(self, "blocks", blocks)

    @classmethod
    def complete(cls, n: int, n_treated: int) -> Randomization:
        return cls("complete", n, n_treated=int(n_treated))

    @classmethod
    def bernoulli(cls, n: int, p: float) -> Randomization:
        return cls("bernoulli", n, p=float(p))

    @classmethod
    def cluster(cls, clusters: npt.ArrayLike, p: float) -> Randomization:
        ids = np.asarray(clusters)
        return cls("cluster", int(ids.size), p=float(p), clusters=ids)

    @property
    def n_blocks(self) -> int:
        return int(self.blocks.max()) + 1

    def describe(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "users": self.n}
        if self.kind == "complete":
            data["treated"] = self.n_treated
        else:
            data["p"] = self.p
        if self.kind == "cluster":
            data["clusters"] = self.n_blocks
        return data

    def draw(self, rng: np.random.Generator, replications: int) -> npt.NDArray[np.bool_]:
        """``replications`` × ``n`` treatment indicators drawn from the design."""
        if self.kind == "complete":
            assert self.n_treated is not None
            # argsort of uniforms = a uniformly random permutation per row.
            ranks = np.argsort(rng.random((replications, self.n)), axis=1)
            out = np.zeros((replications, self.n), dtype=bool)
            np.put_along_axis(out, ranks[:, : self.n_treated], True, axis=1)
            return out
        assert self.p is not None
        treated_blocks = rng.random((replications, self.n_blocks)) < self.p
        return treated_blocks[:, self.blocks]
