"""Network-experiment use cases: design on the graph, then estimate spillover.

``design`` pulls the interaction graph before assignment and randomizes users,
clusters or ego-clusters (:mod:`graphkit.experiments.network.design`); ``write_design``
writes ``assignments.csv`` (with each user's ``unit`` and ``role``) and a design record
``<experiment>.design.json`` that ``spillover`` reads back. ``spillover_from_store`` and
``spillover_from_table`` join each user's metric to their exposure condition on the
stored graph and return a :class:`SpilloverReport`. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, DataError, InsufficientData, Location, ParameterError
from graphkit.experiments.network.design import DesignSettings, NetworkDesign, design_experiment
from graphkit.experiments.network.estimators import (
    DEFAULT_TRIM,
    SpilloverEstimate,
    estimate_effects,
)
from graphkit.experiments.network.exposure import (
    Exposure,
    ExposureMapping,
    adjacency,
    expose,
    parse_direction,
)
from graphkit.experiments.network.probabilities import (
    ExposureProbabilities,
    exact_probabilities,
    monte_carlo_probabilities,
)
from graphkit.experiments.network.randomization import DESIGNS, Randomization
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.store.base import EdgeFilter, GraphStore
from graphkit.workflows.network import StoreSource, store_from

if TYPE_CHECKING:
    from graphkit.reports.document import Report
    from graphkit.reports.network_effects import NetworkEffects

DESIGN_SUFFIX = ".design.json"


# ----------------------------------------------------------------------- design


def design(
    store: GraphStore, settings: DesignSettings, *, until: datetime | None = None
) -> NetworkDesign:
    """Randomize the users of ``store`` on its interaction graph before ``until``."""
    graph = pull_graph(store, SubgraphSpec(until=until))
    written_back = None
    if settings.unit == "cluster" and settings.clusters == "community":
        users = store.users_table()
        if "community" in users.columns:
            written_back = dict(zip(users["user_id"].astype(str), users["community"], strict=True))
    return design_experiment(graph, settings, written_back=written_back)


def design_path(assignments: Path, experiment: str) -> Path:
    """Where ``write_design`` puts the design record next to ``assignments``."""
    return assignments.parent / f"{experiment}{DESIGN_SUFFIX}"


def write_design(
    result: NetworkDesign,
    out: Path,
    *,
    assigned_at: datetime,
    force: bool = False,
    append: bool = False,
) -> Path:
    """Write ``assignments.csv`` (plus ``unit`` and ``role``) and the design record."""
    from graphkit.workflows.experiments import write_assignments

    stamp = pd.Timestamp(assigned_at)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    rows = result.assignments.assign(
        experiment=result.settings.experiment, assigned_at=stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    )[["experiment", "user_id", "variant", "assigned_at", "unit", "role"]]
    record = design_path(out, result.settings.experiment)
    # The record of an earlier design of this experiment in the same folder (possibly
    # beside another assignments file) is not silently replaced; checked before anything
    # is written. --append replaces this experiment's rows, so its record too.
    if record.exists() and not (force or append):
        raise ParameterError(
            "force",
            f"is off and {record} already exists (the design of an earlier `ab design`)",
            hint="turn force on to overwrite it, or write to another folder",
        )
    write_assignments(rows, out, force=force, append=append)
    return write_design_record(result, record, stamp)


def write_design_record(result: NetworkDesign, record: Path, assigned_at: pd.Timestamp) -> Path:
    """The design record ``ab spillover --design-file`` reads: settings, diagnostics,
    each user's randomization unit and role."""
    data = result.to_dict() | {"assigned_at": assigned_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    data["membership"] = result.membership()
    data["roles"] = dict(
        zip(result.assignments["user_id"], result.assignments["role"], strict=True)
    )
    try:
        record.write_text(json.dumps(data, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {record}: {exc.strerror or exc}") from exc
    return record


def read_design(path: str | Path) -> dict[str, Any]:
    """A design record written by :func:`write_design`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("the design file does not exist", location=Location(str(path))) from None
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the design: {exc}", location=Location(str(path))) from exc
    for key in ("unit", "p", "membership", "experiment"):
        if key not in data:
            raise DataError(
                f"the design has no {key!r}",
                location=Location(str(path)),
                expected="a file written by `graphkit ab design`",
            )
    return dict(data)


# ----------------------------------------------------------------------- spillover


@dataclass(frozen=True)
class SpilloverSettings:
    """How ``ab spillover`` estimates, validated once.

    Parameters
    ----------
    exposure : str
        ``any``, ``as4``, ``all``, ``fraction:Q`` or ``count:K``.
    direction : {"out", "in", "both"}
    design : {"complete", "bernoulli", "cluster", "ego"} or None
        None: the design record's, else complete randomization.
    treated : str
        The treatment variant; every other variant counts as control.
    trim, alpha : float
    probabilities : {"auto", "exact", "monte-carlo"}
        ``auto``: exact where a closed form exists, Monte Carlo otherwise.
    replications, seed : int
        Monte Carlo draws and their seed.
    until : datetime, optional
        Ties before this time form the graph (default: the first assignment).
    """

    exposure: str = "as4"
    direction: str = "both"
    design: str | None = None
    treated: str = "treatment"
    trim: float = DEFAULT_TRIM
    alpha: float = 0.05
    probabilities: str = "auto"
    replications: int = 1000
    seed: int = 0
    until: datetime | None = None
    mapping: ExposureMapping = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mapping", ExposureMapping.parse(self.exposure))
        parse_direction(self.direction)
        if self.design is not None and self.design not in DESIGNS:
            raise ConfigError(
                f"design {self.design!r} is unknown", hint="use complete, bernoulli, cluster or ego"
            )
        if self.probabilities not in ("auto", "exact", "monte-carlo"):
            raise ConfigError(
                f"probabilities {self.probabilities!r} is unknown",
                hint="use auto, exact or monte-carlo",
            )
        if self.probabilities == "exact" and not self.mapping.has_closed_form:
            raise ConfigError(
                f"exposure {self.mapping.name} has no exact probabilities",
                hint="use probabilities='monte-carlo' (or auto)",
            )
        if self.replications < 1:
            raise ConfigError(f"replications must be at least 1, got {self.replications}")
        if not 0 <= self.trim < 0.5:
            raise ConfigError(f"trim must be in [0, 0.5), got {self.trim}")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha must be in (0, 1), got {self.alpha}")


@dataclass(frozen=True)
class SpilloverReport:
    """Spillover estimates of one metric, and the exposure of every user."""

    experiment: str | None
    metric: str
    design: dict[str, Any]
    exposure: str
    direction: str
    graph: dict[str, int]
    estimate: SpilloverEstimate
    exposures: pd.DataFrame
    """One row per user: ``user_id, variant, treated, degree, treated_neighbours,
    condition, probability`` (of the observed condition), ``outcome``."""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = self.estimate.to_dict()
        return {
            "experiment": self.experiment,
            "metric": self.metric,
            "design": self.design,
            "exposure": self.exposure,
            "direction": self.direction,
            "graph": self.graph,
            "trimmed": data["trimmed"],
            "trim": data["trim"],
            "n_users": data["n_users"],
            "alpha": data["alpha"],
            "probabilities": data["probabilities"],
            "exposure_counts": {c["condition"]: c["n"] for c in data["conditions"]},
            "conditions": data["conditions"],
            "effects": data["effects"],
            "naive": data["naive"],
            "notes": [*self.notes, *data["notes"]],
        }

    def to_frame(self) -> pd.DataFrame:
        return self.estimate.to_frame().assign(metric=self.metric)

    def exposure_properties(self) -> pd.DataFrame:
        """The user properties ``--write-back`` stores: ``exposure`` and its experiment."""
        return pd.DataFrame(
            {
                "user_id": self.exposures["user_id"],
                "exposure": self.exposures["condition"],
                "exposure_experiment": self.experiment or "",
                "treated_neighbours": self.exposures["treated_neighbours"],
            }
        )


def _randomization(
    kind: str, users: Sequence[str], treated: np.ndarray, record: dict[str, Any] | None
) -> tuple[Randomization, dict[str, Any], np.ndarray | None]:
    """The design, its description and (ego designs) which users are measured."""
    n = len(users)
    if kind == "complete":
        return Randomization.complete(n, int(treated.sum())), {"kind": "complete"}, None
    if kind == "bernoulli":
        p = float(record["p"]) if record else float(treated.mean())
        return Randomization.bernoulli(n, p), {"kind": "bernoulli", "p": p}, None
    if record is None:
        raise ParameterError(
            "design_file",
            f"is needed: design {kind!r} needs the clusters `ab design` recorded",
            hint="give the EXPERIMENT.design.json that `ab design` wrote",
        )
    membership = record["membership"]
    missing = [u for u in users if u not in membership]
    if missing:
        raise DataError(
            f"{len(missing)} users of the experiment are not in the design (e.g. {missing[0]!r})",
            expected="the design written by `graphkit ab design` for this experiment",
        )
    units = pd.Index([membership[u] for u in users])
    codes = pd.factorize(units)[0]
    p = float(record["p"])
    description = {"kind": kind, "p": p, "clusters": int(codes.max()) + 1}
    include = None
    if kind == "ego":
        roles = record.get("roles", {})
        include = np.array([roles.get(u) == "ego" for u in users])
        description["egos"] = int(include.sum())
        if not include.any():
            raise InsufficientData("the design has no ego", hint="design with unit='ego'")
    return Randomization.cluster(codes, p), description, include


def estimate_spillover(
    store: GraphStore,
    outcomes: pd.DataFrame,
    settings: SpilloverSettings,
    *,
    metric: str,
    experiment: str | None = None,
    design_record: dict[str, Any] | None = None,
) -> SpilloverReport:
    """Exposure of every user in ``outcomes`` on the stored graph, then HT/Hájek estimates.

    Parameters
    ----------
    store : GraphStore
        Where the interactions are.
    outcomes : DataFrame
        ``user_id``, ``variant`` and the ``metric`` column, one row per user.
    settings : SpilloverSettings
    metric : str
    experiment : str, optional
    design_record : dict, optional
        From :func:`read_design`; sets the default design and the clusters.
    """
    frame = outcomes.dropna(subset=[metric])
    notes: list[str] = []
    if len(frame) < len(outcomes):
        notes.append(f"{len(outcomes) - len(frame)} users without a {metric} value left out")
    frame = frame.drop_duplicates("user_id").sort_values("user_id", kind="mergesort")
    users = [str(u) for u in frame["user_id"]]
    if len(users) < 2:
        raise InsufficientData("fewer than two users with an outcome")
    treated = (frame["variant"].astype(str) == settings.treated).to_numpy()
    if not treated.any():
        found = ", ".join(sorted(frame["variant"].astype(str).unique()))
        raise ConfigError(
            f"no user is in the treated variant {settings.treated!r}; variants: {found}",
            hint="name the treatment arm (treated='…')",
        )
    kind = settings.design or (
        ("bernoulli" if design_record["unit"] == "user" else design_record["unit"])
        if design_record
        else "complete"
    )
    if design_record is None and settings.design is None:
        notes.append("no design recorded: complete randomization with the observed number treated")
    randomization, described, include = _randomization(kind, users, treated, design_record)

    edges = store.aggregate_edges(EdgeFilter(until=settings.until), directed=True, among=users)
    matrix = adjacency(users, edges, direction=settings.direction)
    mapping = settings.mapping
    exposure = expose(matrix, treated, mapping, tuple(users))
    probs = _probabilities(matrix, randomization, settings)
    estimate = estimate_effects(
        exposure.codes,
        frame[metric].to_numpy(dtype=float),
        probs,
        contrasts=mapping.contrasts,
        treated=treated,
        trim=settings.trim,
        alpha=settings.alpha,
        include=include,
    )
    table = _exposure_table(exposure, frame["variant"].astype(str).to_numpy(), probs)
    table["outcome"] = frame[metric].to_numpy(dtype=float)
    return SpilloverReport(
        experiment=experiment,
        metric=metric,
        design=described,
        exposure=mapping.name,
        direction=settings.direction,
        graph={"users": len(users), "ties": int(matrix.nnz), "pairs": probs.pairs},
        estimate=estimate,
        exposures=table,
        notes=tuple(notes),
    )


def _probabilities(
    matrix: Any, randomization: Randomization, settings: SpilloverSettings
) -> ExposureProbabilities:
    exact = settings.probabilities == "exact" or (
        settings.probabilities == "auto" and settings.mapping.has_closed_form
    )
    if exact:
        return exact_probabilities(matrix, randomization, settings.mapping)
    return monte_carlo_probabilities(
        matrix,
        randomization,
        settings.mapping,
        replications=settings.replications,
        seed=settings.seed,
    )


def _exposure_table(
    exposure: Exposure, variants: np.ndarray, probs: ExposureProbabilities
) -> pd.DataFrame:
    table = exposure.to_frame()
    table.insert(1, "variant", variants)
    table["probability"] = probs.individual[np.arange(len(table)), exposure.codes]
    return table


def spillover_from_store(
    store: StoreSource,
    experiment: str,
    metric: str,
    spillover: SpilloverSettings,
    *,
    post_days: float | None = None,
    design_file: str | Path | None = None,
) -> SpilloverReport:
    """Spillover on a stored experiment: its metric per user from events, its graph."""
    from graphkit.experiments.metrics import parse_event_metric

    if parse_event_metric(metric).aggregate == "ratio":
        # A ratio is Σ NUM / Σ DEN per arm, not a per-user value: the exposure estimators
        # would get the table's placeholder column and report zeros.
        raise ConfigError(
            f"metric {metric!r} is a ratio: spillover estimates need one value per user",
            hint="use its numerator or denominator as a count (e.g. clicks=count:click)",
        )
    with store_from(store) as opened:
        return _spillover_of_stored(opened, experiment, metric, spillover, post_days, design_file)


def _spillover_of_stored(
    store: GraphStore,
    experiment: str,
    metric: str,
    spillover: SpilloverSettings,
    post_days: float | None,
    design_file: str | Path | None,
) -> SpilloverReport:
    from graphkit.experiments.metrics import DEFAULT_POST_DAYS
    from graphkit.workflows.experiments import experiment_from_store

    data = experiment_from_store(
        store,
        experiment,
        metrics=[metric],
        post_days=DEFAULT_POST_DAYS if post_days is None else post_days,
        pre_days=0,
    )
    column = data.metrics[0].column
    record = read_design(design_file) if design_file else None
    if record is not None and record["experiment"] != experiment:
        raise ConfigError(
            f"the design file is for experiment {record['experiment']!r}, not {experiment!r}"
        )
    until = spillover.until
    if until is None:
        first = store.assignments(experiment=experiment)["assigned_at"].min()
        until = pd.Timestamp(first).to_pydatetime()
        spillover = _with_until(spillover, until)
    return estimate_spillover(
        store,
        data.table[["user_id", data.variant_col, column]].rename(
            columns={data.variant_col: "variant"}
        ),
        spillover,
        metric=column,
        experiment=experiment,
        design_record=record,
    )


def spillover_from_table(
    store: StoreSource,
    path: str | Path,
    spillover: SpilloverSettings,
    *,
    metric: str,
    id_col: str = "user_id",
    variant_col: str = "variant",
    design_file: str | Path | None = None,
) -> SpilloverReport:
    """Spillover on an analyst's table (one row per user); the graph from the store."""
    from graphkit.workflows.experiments import read_user_table

    frame = read_user_table(path)
    for column, what in ((id_col, "user id"), (variant_col, "variant"), (metric, "metric")):
        if column not in frame.columns:
            raise DataError(
                f"no {what} column {column!r}; columns: {', '.join(map(str, frame.columns))}",
                location=Location(str(path), 1, column),
            )
    values = pd.to_numeric(frame[metric], errors="coerce")
    bad = values.isna() & frame[metric].notna()
    if bad.any():
        line = int(bad[bad].index[0])
        raise DataError(
            f"{frame.loc[line, metric]!r} is not a number",
            location=Location(str(path), line, metric),
            expected="a finite number",
        )
    outcomes = pd.DataFrame(
        {"user_id": frame[id_col].astype(str), "variant": frame[variant_col], metric: values}
    )
    record = read_design(design_file) if design_file else None
    with store_from(store) as opened:
        return estimate_spillover(
            opened, outcomes, spillover, metric=metric, experiment=None, design_record=record
        )


def _with_until(spillover: SpilloverSettings, until: datetime) -> SpilloverSettings:
    from dataclasses import replace

    return replace(spillover, until=until)


def write_back_exposure(store: StoreSource, report: SpilloverReport) -> int:
    """Store each user's exposure condition (``exposure``, ``exposure_experiment``,
    ``treated_neighbours``) for the Browser query ``user_exposure.cypher``."""
    with store_from(store) as opened:
        return opened.write_user_properties(report.exposure_properties())


def write_spillover_simulation(
    sim: Any,
    out_dir: str | Path,
    *,
    experiment: str,
    design: str,
    spillover: float,
    direct: float,
    seed: int,
    salt: str | None = "",
    pre_days: float = 14.0,
    post_days: float = 14.0,
    fmt: Literal["csv", "parquet"] = "csv",
    force: bool = False,
) -> list[str]:
    """Simulate a spillover experiment into ``out_dir``; return what was written.

    ``salt=None`` means ``seed-SEED`` (a new seed draws a new split)."""
    salt = f"seed-{seed}" if salt is None else salt
    from graphkit.simulation import SPILLOVER_TRUTH_FILE, simulate_spillover, write_dataset

    result = simulate_spillover(
        sim,
        experiment=experiment,
        design=design,
        direct=direct,
        spillover=spillover,
        seed=seed,
        salt=salt,
        pre_days=pre_days,
        post_days=post_days,
    )
    paths = write_dataset(result, out_dir, fmt=fmt, force=force)  # type: ignore[arg-type]
    truth_dir = Path(out_dir) / "truth"
    truth_dir.mkdir(exist_ok=True)
    result.truth.to_csv(truth_dir / SPILLOVER_TRUTH_FILE, index=False)
    result.per_user.to_csv(truth_dir / "network_exposure.csv", index=False)
    record = write_design_record(
        result.plan,
        Path(out_dir) / f"{experiment}{DESIGN_SUFFIX}",
        pd.Timestamp(result.assignments["assigned_at"].iloc[0]),
    )
    return [
        f"wrote experiment {experiment!r} ({design} randomization, spillover {spillover:g}): "
        + ", ".join(str(p) for p in [*paths, record]),
        f"true effects on sessions per user (ground truth in {truth_dir / SPILLOVER_TRUTH_FILE}):",
        result.truth[["quantity", "effect", "relative"]].to_string(index=False),
    ]


def network_effects(
    store: StoreSource,
    experiment: str,
    metrics: Sequence[str],
    spillover: SpilloverSettings | None = None,
    *,
    post_days: float | None = None,
    design_file: str | Path | None = None,
) -> NetworkEffects:
    """Spillover of every metric of a stored experiment, for the experiment report's
    "Network effects" section (``experiment_report(..., network=...)``)."""
    from graphkit.experiments.metrics import parse_event_metric
    from graphkit.reports.network_effects import NetworkEffects

    spillover = spillover or SpilloverSettings()
    # Ratio metrics have no per-user value (spillover_from_store refuses them): the report
    # leaves them out of this section, with a note, instead of failing as a whole.
    ratios = [m for m in metrics if parse_event_metric(m).aggregate == "ratio"]
    reports = [
        spillover_from_store(
            store, experiment, metric, spillover, post_days=post_days, design_file=design_file
        )
        for metric in metrics
        if metric not in ratios
    ]
    skipped = tuple(
        f"{metric}: a ratio metric has no per-user value, so no spillover estimate"
        for metric in ratios
    )
    record = read_design(design_file) if design_file else None
    return NetworkEffects(
        estimates={r.metric: r.estimate for r in reports},
        exposure=spillover.mapping.name,
        direction=spillover.direction,
        design=reports[0].design if reports else {"kind": "complete"},
        diagnostics=record.get("diagnostics") if record else None,
        notes=skipped + tuple(n for r in reports for n in r.notes),
    )


def with_network_effects(
    report: Report,
    store: StoreSource,
    experiment: str,
    metrics: Sequence[str],
    *,
    design_file: str | Path | None = None,
    spillover: SpilloverSettings | None = None,
) -> Report:
    """The experiment report with a "Network effects" section before "Survival"."""
    from graphkit.reports.network_effects import network_effects_section

    effects = network_effects(store, experiment, metrics, spillover, design_file=design_file)
    section = network_effects_section(effects)
    sections = list(report.sections)
    titles = [s.title for s in sections]
    at = titles.index("Survival") if "Survival" in titles else len(sections)
    sections.insert(at, section)
    parameters = dict(report.parameters) | {
        "network_effects": {
            "exposure": effects.exposure,
            "direction": effects.direction,
            "design": dict(effects.design),
        }
    }
    return dataclasses.replace(report, sections=tuple(sections), parameters=parameters)
