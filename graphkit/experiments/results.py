"""What the ``ab`` use cases return: frozen results that serialise themselves.

Each result a command prints lives here, below the workflows and the reports that read
it: ``to_dict()`` is the command's JSON and ``to_frame()`` its CSV rows, so the CLI,
a notebook and the experiment report see the same object. (The report imports these
types from here, never from :mod:`graphkit.workflows`.)
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from graphkit.experiments.aa_simulation import AASimulation
    from graphkit.experiments.analysis import ExperimentAnalysis, SrmSummary
    from graphkit.experiments.metrics import Metric
    from graphkit.experiments.power import PowerResult
    from graphkit.experiments.segments import SegmentAnalysis
    from graphkit.experiments.survival import SurvivalComparison


def flat_record(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    """A nested JSON record as flat CSV columns (intervals as ``_low``/``_high``).

    Examples
    --------
    >>> flat_record("", {"diff_ci": [1, 2], "cuped": {"theta": 0.5}, "notes": ["a", "b"]})
    {'diff_ci_low': 1, 'diff_ci_high': 2, 'cuped_theta': 0.5, 'notes': 'a; b'}
    """
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_record(f"{name}_", value))
        elif isinstance(value, list | tuple) and len(value) == 2 and key.endswith("ci"):
            flat[f"{name}_low"], flat[f"{name}_high"] = value
        elif isinstance(value, list | tuple):
            flat[name] = "; ".join(map(str, value))
        elif key.endswith("ci") and value is None:
            flat[f"{name}_low"] = flat[f"{name}_high"] = None
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True)
class ExperimentData:
    """A per-user table ready for analysis, and where it came from.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per user: ``user_id`` (when known), the variant column, the metric
        columns, their covariates and any joined graph features.
    metrics : tuple of Metric
    variant_col : str
    experiment : str or None
    source : str
        ``"store"`` or the table's path.
    post_days, pre_days : float or None
        The windows, for metrics derived from events.
    notes : tuple of str
    """

    table: pd.DataFrame
    metrics: tuple[Metric, ...]
    variant_col: str
    experiment: str | None
    source: str
    post_days: float | None = None
    pre_days: float | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisReport:
    """``ab analyze``: the analysis and the per-user data it was computed from.

    ``to_dict()`` is :meth:`ExperimentAnalysis.to_dict`; ``to_frame()`` one flat CSV
    row per metric × treatment with the SRM check repeated on each row.
    """

    analysis: ExperimentAnalysis
    data: ExperimentData

    def to_dict(self) -> dict[str, Any]:
        return self.analysis.to_dict()

    def to_frame(self) -> pd.DataFrame:
        from graphkit.experiments.analysis import comparison_to_dict, srm_to_dict

        srm = {
            f"srm_{k}": v
            for k, v in srm_to_dict(self.analysis.srm).items()
            if k in ("chi2", "p_value", "flag")
        }
        rows = []
        for item in self.analysis.comparisons:
            data = comparison_to_dict(item)
            for block in ("cuped", "regression_adjustment"):
                if data[block] is None:
                    data.pop(block)
            rows.append({**srm, **flat_record("", data)})
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class SegmentReport:
    """SRM of the experiment, then one segment analysis per metric × treatment × split."""

    experiment: str | None
    srm: SrmSummary
    analyses: tuple[SegmentAnalysis, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        from graphkit.experiments.analysis import srm_to_dict

        return {
            "experiment": self.experiment,
            "srm": srm_to_dict(self.srm),
            "segmentations": [analysis.to_dict() for analysis in self.analyses],
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per segment, with its split's heterogeneity test and the SRM check."""
        rows = []
        for analysis in self.analyses:
            het = analysis.heterogeneity
            for s in analysis.segments:
                rows.append(
                    {
                        "metric": analysis.metric,
                        "treatment": analysis.treatment,
                        "by": analysis.by,
                        "cuped": analysis.covariate is not None,
                        **flat_record("", {k: v for k, v in asdict(s).items() if k != "notes"}),
                        "q": het.q,
                        "q_df": het.df,
                        "q_p_value": het.p_value,
                        "i2": het.i2,
                        "srm_p_value": self.srm.p_value,
                        "srm_flag": self.srm.flag,
                    }
                )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class AAReport:
    """False-positive rates of repeated A/A splits, one per metric."""

    source: str
    n_users: int
    window: tuple[str | None, str | None]
    results: dict[str, AASimulation]
    notes: tuple[str, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One record per metric (the ``results`` of the JSON)."""
        return [
            {
                "metric": name,
                "test": result.test,
                "n_simulations": result.n_simulations,
                "alpha": result.alpha,
                "false_positives": result.false_positives,
                "false_positive_rate": result.false_positive_rate,
                "ci": [result.ci_low, result.ci_high],
                "confidence": result.confidence,
                "calibrated": result.calibrated,
                "undefined": result.undefined,
                "seed": result.seed,
                "notes": list(result.notes),
            }
            for name, result in self.results.items()
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "n_users": self.n_users,
            "window": {"since": self.window[0], "until": self.window[1]},
            "results": self.rows(),
        }

    def to_frame(self) -> pd.DataFrame:
        rows = self.rows()
        return pd.DataFrame(
            {
                "metric": [r["metric"] for r in rows],
                "false_positive_rate": [r["false_positive_rate"] for r in rows],
                "ci_low": [r["ci"][0] for r in rows],
                "ci_high": [r["ci"][1] for r in rows],
                "alpha": [r["alpha"] for r in rows],
                "simulations": [r["n_simulations"] for r in rows],
                "calibrated": [r["calibrated"] for r in rows],
            }
        )


@dataclass(frozen=True)
class PowerPlan:
    """``ab power``: the solved design, with the cluster design effect when given."""

    kind: str
    result: PowerResult
    design_effect: float | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        return self.result.notes

    def to_dict(self) -> dict[str, Any]:
        result = self.result
        data = {
            "kind": self.kind,
            "formula": result.formula,
            "n_per_group": result.n_per_group,
            "n_per_group_ceil": result.n_per_group_ceil,
            "n_total": 2 * result.n_per_group_ceil,
            "power": result.power,
            "mde": result.mde,
            "alpha": result.alpha,
            "alternative": result.alternative,
            "sd": result.sd,
            "baseline": result.p1,
            "target": result.p2,
            "notes": list(result.notes),
        }
        if self.design_effect is not None:
            data["design_effect"] = self.design_effect
        return data

    def to_frame(self) -> pd.DataFrame:
        """``quantity, value`` rows of every number given or solved (6 significant digits)."""
        shown = {k: v for k, v in self.to_dict().items() if k != "notes" and v is not None}
        text = [f"{v:.6g}" if isinstance(v, float) else str(v) for v in shown.values()]
        return pd.DataFrame({"quantity": list(shown), "value": text})


@dataclass(frozen=True)
class SurvivalReport:
    """``ab survival``: Kaplan–Meier per arm, the log-rank test, and the time axis.

    ``durations`` holds each user's time and churn flag for a stored experiment.
    """

    comparison: SurvivalComparison
    time_label: str
    durations: pd.DataFrame | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        return self.comparison.notes

    def to_dict(self) -> dict[str, Any]:
        result = self.comparison

        def keyed(values: dict[Hashable, Any]) -> dict[str, Any]:
            return {str(k): v for k, v in values.items()}

        return {
            "logrank": {
                "chi2": result.chi2,
                "p_value": result.p_value,
                "df": result.df,
                "test": result.test,
            },
            "median": keyed(result.median_survival),
            "n": keyed(result.n),
            "events": keyed(result.events),
            "time": self.time_label,
            "notes": list(result.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """The curves: one row per arm and time."""
        return self.comparison.curves


@dataclass(frozen=True)
class Assignment:
    """``ab assign``: the rows of assignments.csv and the planned split."""

    experiment: str
    rows: pd.DataFrame
    variants: tuple[str, ...]
    weights: tuple[float, ...] | None = None

    def counts(self) -> dict[str, dict[str, float]]:
        """Per variant: users, their share and the planned share."""
        counts = self.rows["variant"].value_counts()
        planned = self.weights or (1.0,) * len(self.variants)
        total = max(len(self.rows), 1)
        return {
            name: {
                "users": int(counts.get(name, 0)),
                "share": counts.get(name, 0) / total,
                "planned": share / sum(planned),
            }
            for name, share in zip(self.variants, planned, strict=True)
        }

    def to_dict(self) -> dict[str, Any]:
        return {"experiment": self.experiment, "users": len(self.rows), "variants": self.counts()}

    def to_frame(self) -> pd.DataFrame:
        return self.rows
