"""`graphkit ab ...`: design, split, check and analyse A/B experiments on the network.

Commands: ``assign`` (salted-hash split → assignments.csv), ``aa`` (false-positive
rate of repeated A/A splits), ``power`` (sample size, power, MDE), ``analyze`` (every
metric × treatment, SRM first), ``segments`` (effects by graph position) and
``survival`` (Kaplan–Meier, log-rank). Each calls one use case of
:mod:`graphkit.workflows.experiments` and renders its result.
"""

import re
from dataclasses import asdict
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from graphkit.cli.common import (
    FORMAT_OPTION,
    OUT_OPTION,
    OutputFormat,
    check_csv_out,
    emit,
    emit_frame,
    format_for,
    handles_errors,
    parse_number,
    parse_time,
    pulls_subgraph,
    render_table,
    split_list,
    stderr,
    stdout,
    text_console,
    to_json,
    uses_store,
)
from graphkit.config import Settings
from graphkit.errors import ConfigError
from graphkit.experiments.metrics import (
    DEFAULT_CHURN_DAYS,
    DEFAULT_METRICS,
    DEFAULT_POST_DAYS,
    DEFAULT_PRE_DAYS,
)
from graphkit.experiments.segmentation import (
    DEFAULT_DECILES,
    DEFAULT_MIN_SIZE,
    FEATURE_OF,
    SEGMENTATIONS,
)
from graphkit.graph.features import FEATURE_COLUMNS
from graphkit.graph.pull import SubgraphSpec

if TYPE_CHECKING:
    from graphkit.experiments.analysis import ExperimentAnalysis, SrmSummary
    from graphkit.workflows.experiments import ExperimentData, SegmentReport

app = typer.Typer(
    name="ab",
    help="A/B experiments: split users, plan power, check A/A, analyse, segment by graph "
    "position, compare survival.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class MeanTestChoice(StrEnum):
    welch = "welch"
    student = "student"
    mann_whitney = "mann-whitney"


class CountModelChoice(StrEnum):
    negative_binomial = "negative-binomial"
    poisson = "poisson"
    welch = "welch"


class CorrectionChoice(StrEnum):
    holm = "holm"
    bh = "bh"


class PowerKind(StrEnum):
    mean = "mean"
    proportion = "proportion"


class AlternativeChoice(StrEnum):
    two_sided = "two-sided"
    one_sided = "one-sided"


class SegmentChoice(StrEnum):
    degree = "degree"
    influencer = "influencer"
    community = "community"


# ------------------------------------------------------------------------- shared options

EXPERIMENT_ARGUMENT = Annotated[
    str | None,
    typer.Argument(
        metavar="EXPERIMENT",
        help="Experiment name in the stored assignments (or use --table).",
        show_default=False,
    ),
]
TABLE_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--table",
        metavar="FILE",
        rich_help_panel="Your own table",
        help="Per-user CSV/Parquet table instead of a stored experiment.",
    ),
]
VARIANT_COL_OPTION = Annotated[
    str,
    typer.Option(
        "--variant-col", rich_help_panel="Your own table", help="Column with each user's arm."
    ),
]
METRIC_OPTION = Annotated[
    list[str] | None,
    typer.Option(
        "--metric",
        "-m",
        help="Repeatable. Stored experiment: NAME=sum|count|conversion[:EVENT] or "
        f"{', '.join(DEFAULT_METRICS)} (default all three), or a ratio "
        "NAME=ratio:NUM_EVENT/DEN_EVENT. --table: COLUMN, COLUMN:mean|count|conversion or "
        "NAME=ratio:NUM_COL/DEN_COL.",
    ),
]
COVARIATE_OPTION = Annotated[
    list[str] | None,
    typer.Option(
        "--covariate",
        rich_help_panel="Your own table",
        help="CUPED covariate column for every metric, or METRIC=COLUMN (repeatable).",
    ),
]
CONTROL_OPTION = Annotated[str, typer.Option("--control", help="The control variant.")]
TREATMENT_OPTION = Annotated[
    list[str] | None,
    typer.Option(
        "--treatment", help="Treatment variant(s) to compare (default: every other variant)."
    ),
]
POST_OPTION = Annotated[
    float,
    typer.Option(
        "--post-days",
        rich_help_panel="Metric windows",
        help="Analysis window: [assigned_at, assigned_at + days).",
    ),
]
PRE_OPTION = Annotated[
    float,
    typer.Option(
        "--pre-days",
        rich_help_panel="Metric windows",
        help="CUPED pre-period: [assigned_at - days, assigned_at); 0 turns CUPED off.",
    ),
]
FEATURES_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--features",
        metavar="FILE",
        help="Graph features (from `graphkit features --out`) joined on user_id; default: "
        "built from the stored graph when needed.",
    ),
]
ALPHA_OPTION = Annotated[float, typer.Option("--alpha", help="Significance level.")]
WEIGHTS_HELP = "Planned split for the SRM check, e.g. control=50,treatment=50 (default equal)."
PLOT_OPTION = Annotated[
    Path | None, typer.Option("--plot", metavar="FILE.png", help="Save the main plot.")
]
PLOTS_DIR_OPTION = Annotated[
    Path | None, typer.Option("--plots-dir", metavar="DIR", help="Save every plot into DIR.")
]


CONFIG_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE.toml",
        rich_help_panel="Plan",
        help="Experiment definition file: experiment, arms and weights, metrics (primary, "
        "secondary, guardrail), windows, alpha, correction, CUPED, MDE. Options that "
        "contradict it are refused.",
    ),
]
MDE_OPTION = Annotated[
    float | None,
    typer.Option(
        "--mde",
        metavar="REL",
        rich_help_panel="Plan",
        help="The relative effect that matters, e.g. 0.02 for 2%: verdicts say whether the "
        "test could have seen it.",
        show_default=False,
    ),
]
SEQUENTIAL_OPTION = Annotated[
    bool | None,
    typer.Option(
        "--sequential/--fixed-horizon",
        rich_help_panel="Plan",
        help="Always-valid p-values and confidence sequences (safe to peek). Default: "
        "fixed horizon.",
        show_default=False,
    ),
]
TUNING_OPTION = Annotated[
    int | None,
    typer.Option(
        "--sequential-tuning",
        metavar="N",
        rich_help_panel="Plan",
        help="Users (both arms) at which the confidence sequence is tightest (default 5000).",
        show_default=False,
    ),
]
CAP_OPTION = Annotated[
    float | None,
    typer.Option(
        "--cap",
        metavar="Q",
        rich_help_panel="Plan",
        help="Winsorize each mean/count metric at its Q quantile of all users, e.g. 0.99.",
        show_default=False,
    ),
]
PRIMARY_OPTION = Annotated[
    list[str] | None,
    typer.Option(
        "--primary",
        metavar="NAME",
        rich_help_panel="Plan",
        help="Primary metric (repeatable; default the first metric).",
        show_default=False,
    ),
]
GUARDRAIL_OPTION = Annotated[
    list[str] | None,
    typer.Option(
        "--guardrail",
        metavar="NAME[=MARGIN]",
        rich_help_panel="Plan",
        help="Guardrail metric with its non-inferiority margin (relative, default 0.01) "
        "(repeatable).",
        show_default=False,
    ),
]
LOWER_OPTION = Annotated[
    list[str] | None,
    typer.Option(
        "--lower-is-better",
        metavar="NAME",
        rich_help_panel="Plan",
        help="Metric whose decrease is good (repeatable).",
        show_default=False,
    ),
]
CUPED_OPTION = Annotated[
    bool | None,
    typer.Option(
        "--cuped/--no-cuped",
        rich_help_panel="Plan",
        help="Verdicts use the CUPED-adjusted estimate when a pre-period exists (default on).",
        show_default=False,
    ),
]
PRIOR_OPTION = Annotated[
    float | None,
    typer.Option(
        "--prior-sd",
        metavar="SD",
        rich_help_panel="Plan",
        help="Normal prior N(0, SD²) on the relative effect for the Bayesian results "
        "(default: flat prior).",
        show_default=False,
    ),
]


def _guardrails(texts: list[str] | None) -> dict[str, float] | None:
    if not texts:
        return None
    margins = {}
    for text in texts:
        name, equals, margin = text.partition("=")
        margins[name.strip()] = parse_number(margin, "--guardrail") if equals else 0.01
    return margins


def _plan(config: Path | None) -> Any:
    if config is None:
        return None
    from graphkit.experiments.plan import load_plan

    return load_plan(config)


def _plan_value(plan: Any, value: Any, default: Any, name: str) -> Any:
    from graphkit.experiments.plan import planned

    return planned(plan, value, default, name)


def _named_weights(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    weights = {}
    for item in split_list(text, "--weights"):
        name, equals, value = item.partition("=")
        if not equals:
            raise ConfigError(
                f"--weights {text!r}: write NAME=WEIGHT pairs", hint="e.g. control=50,treatment=50"
            )
        weights[name.strip()] = parse_number(value, "--weights")
    return weights


def _source(experiment: str | None, table: Path | None) -> None:
    if experiment and table:
        raise ConfigError("give either EXPERIMENT (stored) or --table FILE, not both")
    if not experiment and not table:
        raise ConfigError(
            "nothing to analyse",
            hint="name a stored experiment (graphkit ab analyze EXPERIMENT) or pass --table FILE",
        )


def _notes(notes: Any, prefix: str = "") -> None:
    for note in notes:
        stderr.print(f"note: {prefix}{note}", markup=False)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def _ci(interval: tuple[float, float] | None, digits: int = 4) -> str:
    return "—" if interval is None else f"[{interval[0]:.{digits}g}, {interval[1]:.{digits}g}]"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2%}"


def _pct_ci(interval: tuple[float, float] | None) -> str:
    return "—" if interval is None else f"[{interval[0]:+.2%}, {interval[1]:+.2%}]"


def _print_tables(tables: list[Table], out: Path | None) -> None:
    """Several rich tables to stdout, or as plain text into --out."""
    if out is None:
        for table in tables:
            stdout.print(table)
        return
    console = text_console()
    for table in tables:
        console.print(table)
    emit(console.export_text(), out)


def _save(figure: Any, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot save the plot to {path}: {exc}",
            hint="use a writable path ending in .png, .pdf or .svg",
        ) from exc
    stderr.print(f"wrote {path}")


def _workflow() -> ModuleType:
    """The experiment use cases, imported on first use: statistics libraries are slow to
    load, and every `graphkit` command (even --help) imports this module."""
    from graphkit.workflows import experiments

    return experiments


def _network_design() -> ModuleType:
    from graphkit.experiments.network import design

    return design


def _plots() -> ModuleType:
    """The plot module, imported only when a plot is asked for (matplotlib is slow to load)."""
    from graphkit.reports import experiment_plots

    return experiment_plots


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(parts))


def _srm_table(srm: "SrmSummary") -> Table:
    frame = pd.DataFrame(
        {
            "variant": list(srm.observed),
            "users": list(srm.observed.values()),
            "expected": [round(srm.expected[name], 1) for name in srm.observed],
        }
    )
    verdict = "MISMATCH — do not trust the results" if srm.flag else "ok"
    caption = f"χ² = {srm.chi2:.3f}, df = {srm.df}, p = {srm.p_value:.3g}: {verdict}"
    return render_table(frame, "Sample ratio check (SRM)", caption)


def _srm_message(srm: "SrmSummary") -> None:
    if srm.flag:
        stderr.print(
            f"[bold red]warning:[/] sample-ratio mismatch (p = {srm.p_value:.3g} < "
            f"{srm.threshold}): the arms do not have the planned sizes",
            markup=True,
        )


# ------------------------------------------------------------------------- assign


@app.command("assign")
@handles_errors
@uses_store
def assign_command(
    settings: Settings,
    experiment: Annotated[str, typer.Argument(help="Experiment name (part of the hash key).")],
    variants: Annotated[
        str, typer.Option("--variants", help="Comma-separated variant names.")
    ] = "control,treatment",
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="Comma-separated relative weights, e.g. 50,50."),
    ] = None,
    salt: Annotated[
        str, typer.Option("--salt", help="Salt: change it to reshuffle the split.")
    ] = "",
    users: Annotated[
        Path | None,
        typer.Option(
            "--users",
            metavar="FILE",
            help="CSV/Parquet with a user_id column (default: every user in the store).",
        ),
    ] = None,
    assigned_at: Annotated[
        str | None,
        typer.Option("--assigned-at", help="Assignment time (ISO-8601, UTC); default now."),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            callback=check_csv_out,
            help="Where to write the assignments ('-' for stdout).",
        ),
    ] = Path("assignments.csv"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    append: Annotated[
        bool,
        typer.Option(
            "--append", help="Add to an existing file, replacing this experiment's earlier rows."
        ),
    ] = False,
    strata: Annotated[
        str | None,
        typer.Option(
            "--strata",
            metavar="COLUMNS",
            help="Balance the split within each stratum: users columns, e.g. country,os, "
            "or degree_bucket (degree decile in the graph).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Split users deterministically with a salted SHA-256 hash; write assignments.csv.

    The same user, experiment, salt, variants and weights give the same variant on every
    machine. Load the file with `graphkit load` (it belongs in the dataset folder).
    With --strata, each stratum is split as planned (up to one user per arm).
    """
    names = split_list(variants, "--variants")
    shares = (
        [parse_number(w, "--weights") for w in split_list(weights, "--weights")]
        if weights
        else None
    )
    moment = parse_time(assigned_at, "--assigned-at") or datetime.now(UTC).replace(microsecond=0)
    ids = _workflow().users_to_assign(settings if users is None else None, users)
    labels = (
        _workflow().stratum_labels(
            settings if users is None else None, users, ids, split_list(strata, "--strata")
        )
        if strata
        else None
    )
    rows = _workflow().assign_users(
        ids,
        experiment,
        variants=names,
        weights=shares,
        salt=salt,
        assigned_at=moment,
        strata=labels,
    )
    if str(out) == "-":
        emit(rows.to_csv(index=False, lineterminator="\n"), None)
    else:
        _workflow().write_assignments(rows, out, force=force, append=append)
        stderr.print(f"wrote {len(rows)} assignments of {experiment!r} to {out}")
    counts = rows["variant"].value_counts()
    planned = shares or [1.0] * len(names)
    for name, share in zip(names, planned, strict=True):
        stderr.print(
            f"  {name}: {int(counts.get(name, 0))} users "
            f"({counts.get(name, 0) / max(len(rows), 1):.1%}; planned {share / sum(planned):.1%})"
        )


# ------------------------------------------------------------------------- aa


@app.command("aa")
@handles_errors
@uses_store
def aa_command(
    settings: Settings,
    table: TABLE_OPTION = None,
    metric: METRIC_OPTION = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Stored events at or after this time (UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Stored events before this time (UTC).")
    ] = None,
    simulations: Annotated[
        int, typer.Option("--simulations", "-n", help="Number of random A/A splits.")
    ] = 1000,
    test: Annotated[
        MeanTestChoice, typer.Option("--test", help="Test run on every split.")
    ] = MeanTestChoice.welch,
    alpha: ALPHA_OPTION = 0.05,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random splits.")] = 0,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """Repeated A/A splits on real data: the false-positive rate must be close to alpha.

    Each split halves the users at random and runs the test; the share of p < alpha is
    reported with its exact (Clopper–Pearson) 95% interval. From the store, every user's
    metric is taken over the events in [--since, --until) (users without events count 0).
    """
    if table is not None:
        if not metric:
            raise ConfigError("--table needs --metric COLUMN (repeatable)")
        report = _workflow().aa_from_table(
            table,
            metrics=metric,
            n_simulations=simulations,
            test=test.value,
            alpha=alpha,
            seed=seed,
        )
    else:
        report = _workflow().aa_from_store(
            settings,
            metrics=metric or DEFAULT_METRICS,
            since=parse_time(since, "--since"),
            until=parse_time(until, "--until"),
            n_simulations=simulations,
            test=test.value,
            alpha=alpha,
            seed=seed,
        )
    _notes(report.notes)
    rows: list[dict[str, Any]] = [
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
        for name, result in report.results.items()
    ]
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.json:
        data = {
            "source": report.source,
            "n_users": report.n_users,
            "window": {"since": report.window[0], "until": report.window[1]},
            "results": rows,
        }
        emit(to_json(data), out)
        return
    frame = pd.DataFrame(
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
    if fmt is OutputFormat.csv:
        emit(frame.to_csv(index=False), out)
        return
    shown = pd.DataFrame(
        {
            "metric": frame["metric"],
            "false positives": [f"{r['false_positive_rate']:.2%}" for r in rows],
            "95% CI": [f"[{r['ci'][0]:.2%}, {r['ci'][1]:.2%}]" for r in rows],
            "alpha": [f"{r['alpha']:g}" for r in rows],
            "splits": frame["simulations"],
            "calibrated": ["yes" if r["calibrated"] else "NO" for r in rows],
        }
    )
    caption = (
        f"{report.n_users} users; 95% Clopper–Pearson intervals; "
        "calibrated = alpha inside the interval"
    )
    _print_tables([render_table(shown, "A/A false-positive rate", caption)], out)


# ------------------------------------------------------------------------- power


@app.command("power")
@handles_errors
def power_command(
    kind: Annotated[PowerKind, typer.Option("--kind", help="mean (t-test) or proportion.")],
    delta: Annotated[
        float | None, typer.Option("--delta", help="Mean: difference to detect (metric units).")
    ] = None,
    sd: Annotated[
        float, typer.Option("--sd", help="Mean: standard deviation of the metric.")
    ] = 1.0,
    baseline: Annotated[
        float | None, typer.Option("--baseline", help="Proportion: control rate P1.")
    ] = None,
    target: Annotated[
        float | None, typer.Option("--target", help="Proportion: treatment rate P2 to detect.")
    ] = None,
    n: Annotated[float | None, typer.Option("--n", help="Users per group.")] = None,
    power: Annotated[
        float | None,
        typer.Option("--power", help="Target power (default 0.8 when solving for n or the MDE)."),
    ] = None,
    alpha: ALPHA_OPTION = 0.05,
    alternative: Annotated[
        AlternativeChoice, typer.Option("--alternative", help="two-sided or one-sided.")
    ] = AlternativeChoice.two_sided,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict/--no-strict",
            help="Count the wrong tail of a two-sided test (R strict=TRUE); R's default is "
            "--no-strict.",
        ),
    ] = True,
    cluster_size: Annotated[
        float | None,
        typer.Option("--cluster-size", help="Users per randomized cluster (with --icc)."),
    ] = None,
    icc: Annotated[
        float | None, typer.Option("--icc", help="Intra-cluster correlation: n × (1+(M-1)·ICC).")
    ] = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """Sample size, power or minimum detectable effect (MDE) of a two-arm experiment.

    Give all but one of the effect (--delta, or --target), --n and --power: the missing
    one is solved for. Means: R power.t.test (two-sample, noncentral t). Proportions: R
    power.prop.test (normal approximation); the MDE of a proportion is target - baseline.
    """
    deff = _network_design().cluster_design_effect(cluster_size, icc)
    result = _workflow().plan_power(
        kind.value,
        delta=delta,
        sd=sd,
        baseline=baseline,
        target=target,
        n=None if n is None else n / deff,
        power=power,
        alpha=alpha,
        alternative=alternative.value,
        strict=strict,
    )
    result = _network_design().with_design_effect(result, deff)
    data = {
        "kind": kind.value,
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
    } | ({"design_effect": deff} if cluster_size is not None else {})
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.json:
        emit(to_json(data), out)
        return
    shown = {k: v for k, v in data.items() if k != "notes" and v is not None}
    text = [f"{v:.6g}" if isinstance(v, float) else str(v) for v in shown.values()]
    frame = pd.DataFrame({"quantity": list(shown), "value": text})
    if fmt is OutputFormat.csv:
        emit(frame.to_csv(index=False), out)
        return
    _notes(result.notes)
    _print_tables([render_table(frame, "Power", result.formula)], out)


# ------------------------------------------------------------------------- analyze


def _load(
    settings: Settings,
    spec: SubgraphSpec,
    *,
    experiment: str | None,
    table: Path | None,
    metric: list[str] | None,
    variant_col: str,
    covariate: list[str] | None,
    post_days: float,
    pre_days: float,
    features: Path | None,
    needed_features: list[str],
) -> "ExperimentData":
    """The per-user table of a stored experiment or of --table, with graph features joined."""
    _source(experiment, table)
    if table is not None:
        return _workflow().experiment_from_table(
            table,
            metrics=metric or [],
            variant_col=variant_col,
            covariates=covariate or [],
            features=features,
            needed_features=needed_features,
            settings=settings,
            spec=spec,
        )
    if covariate:
        raise ConfigError(
            "--covariate is for --table; a stored experiment's covariate is each metric's "
            "pre-period value",
            hint="set the pre-period with --pre-days (0 turns CUPED off)",
        )
    assert experiment is not None
    return _workflow().experiment_from_store(
        settings,
        experiment,
        metrics=metric or DEFAULT_METRICS,
        post_days=post_days,
        pre_days=pre_days,
        features=features,
        needed_features=needed_features,
        spec=spec,
    )


SHORT_TEST_NAMES = {
    "Welch two-sample t-test": "Welch t",
    "Student two-sample t-test": "Student t",
    "Mann–Whitney U test": "Mann–Whitney",
    "negative-binomial regression (NB2)": "neg. binomial",
    "Poisson regression": "Poisson",
    "two-proportion z-test (pooled)": "z-test",
    "chi-square test with Yates' continuity correction": "χ² (Yates)",
}


SHORT_CORRECTIONS = {"Benjamini–Hochberg": "BH"}


def _short(correction: str) -> str:
    return SHORT_CORRECTIONS.get(correction, correction)


def _two(top: str, bottom: str) -> str:
    """A cell on two lines keeps tables narrow enough for an 80-column terminal."""
    return f"{top}\n{bottom}"


def _covariate_names(columns: tuple[str, ...]) -> str:
    """``community_1, community_2, …`` (dummies) shown as ``community (2 levels)``."""
    groups: dict[str, int] = {}
    for column in columns:
        base, _, level = column.rpartition("_")
        name = base if base and level.isdigit() else column
        groups[name] = groups.get(name, 0) + 1
    return ", ".join(
        name if count == 1 else f"{name} ({count} dummies)" for name, count in groups.items()
    )


def _effect_tables(result: "ExperimentAnalysis", caption: str, title: str) -> list[Table]:
    """Effects (one row per metric × treatment), then CUPED and regression adjustment."""
    several = len({item.treatment for item in result.comparisons}) > 1
    label = {
        id(item): _two(item.metric, item.treatment) if several else item.metric
        for item in result.comparisons
    }
    effects = pd.DataFrame(
        [
            {
                "metric": label[id(item)],
                "n ctrl\ntrt": _two(str(item.n_control), str(item.n_treatment)),
                "mean ctrl\ntrt": _two(_fmt(item.mean_control), _fmt(item.mean_treatment)),
                "diff\n[CI]": _two(_fmt(item.diff, 4), _ci(item.diff_ci)),
                "relative\n[CI]": _two(_pct(item.rel_diff), _pct_ci(item.rel_ci)),
                "test": SHORT_TEST_NAMES.get(item.test or "", item.test or "—"),
                "p\np adj": _two(_fmt(item.p_value, 3), _fmt(item.p_adjusted, 3)),
            }
            for item in result.comparisons
        ]
    )
    if any(item.bootstrap_ci is not None for item in result.comparisons):
        effects.insert(4, "bootstrap\nCI", [_ci(item.bootstrap_ci) for item in result.comparisons])
    tables = [render_table(effects, title, caption)]
    # Metric names are what the reader looks for: never cut them short.
    tables[0].columns[0].min_width = max(
        len(line) for text in label.values() for line in text.split("\n")
    )
    with_cuped = [item for item in result.comparisons if item.cuped is not None]
    if with_cuped:
        cuped_rows = pd.DataFrame(
            [
                {
                    "metric": label[id(item)],
                    "θ": _fmt(item.cuped.theta, 3),
                    "diff\n[CI]": _two(_fmt(item.cuped.diff), _ci(item.cuped.diff_ci)),
                    "p": _fmt(item.cuped.p_value, 3),
                    "variance\nreduction": "—"
                    if item.cuped.variance_reduction is None
                    else f"{item.cuped.variance_reduction:.0%}",
                }
                for item in with_cuped
                if item.cuped is not None
            ]
        )
        tables.append(
            render_table(cuped_rows, "CUPED (pre-period covariate)", "θ = cov(Y, X) / var(X)")
        )
    adjusted = [item for item in result.comparisons if item.regression is not None]
    if adjusted:
        regression_rows = pd.DataFrame(
            [
                {
                    "metric": label[id(item)],
                    "covariates": _covariate_names(item.regression.covariates),
                    "diff\n[CI]": _two(_fmt(item.regression.estimate), _ci(item.regression.ci)),
                    "p": _fmt(item.regression.p_value, 3),
                    "R²": _fmt(item.regression.r_squared, 3),
                }
                for item in adjusted
                if item.regression is not None
            ]
        )
        method = adjusted[0].regression.method if adjusted[0].regression else ""
        tables.append(render_table(regression_rows, "Regression adjustment", method))
    return tables


def _flat(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    """A nested JSON comparison as flat CSV columns (intervals as _low/_high)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(f"{name}_", value))
        elif isinstance(value, list | tuple) and len(value) == 2 and key.endswith("ci"):
            flat[f"{name}_low"], flat[f"{name}_high"] = value
        elif isinstance(value, list | tuple):
            flat[name] = "; ".join(map(str, value))
        elif key.endswith("ci") and value is None:
            flat[f"{name}_low"] = flat[f"{name}_high"] = None
        else:
            flat[name] = value
    return flat


def _analysis_csv(result: "ExperimentAnalysis") -> str:
    from graphkit.experiments.analysis import comparison_to_dict, srm_to_dict

    srm = {
        f"srm_{k}": v
        for k, v in srm_to_dict(result.srm).items()
        if k in ("chi2", "p_value", "flag")
    }
    rows = []
    for item in result.comparisons:
        data = comparison_to_dict(item)
        for block in ("cuped", "regression_adjustment"):
            if data[block] is None:
                data.pop(block)
        rows.append({**srm, **_flat("", data)})
    return pd.DataFrame(rows).to_csv(index=False)


def _analysis_plots(
    result: "ExperimentAnalysis",
    data: "ExperimentData",
    plot: Path | None,
    plots_dir: Path | None,
) -> None:
    if plot is not None:
        _save(_plots().cuped_comparison(result.comparisons), plot)
    if plots_dir is not None:
        _save(_plots().cuped_comparison(result.comparisons), plots_dir / "effects.png")
        variants = data.table[data.variant_col].astype(str)
        arms = [result.control, *dict.fromkeys(c.treatment for c in result.comparisons)]
        for metric in data.metrics:
            values = {arm: data.table.loc[variants == arm, metric.column] for arm in arms}
            figure = _plots().metric_overview(values, metric=metric.column)
            _save(figure, plots_dir / f"distribution_{_slug(metric.column)}.png")


@app.command("analyze")
@handles_errors
@pulls_subgraph
def analyze_command(
    settings: Settings,
    spec: SubgraphSpec,
    experiment: EXPERIMENT_ARGUMENT = None,
    config: CONFIG_OPTION = None,
    table: TABLE_OPTION = None,
    variant_col: VARIANT_COL_OPTION = "variant",
    metric: METRIC_OPTION = None,
    covariate: COVARIATE_OPTION = None,
    control: Annotated[
        str | None,
        typer.Option(
            "--control", help="The control variant (default control).", show_default=False
        ),
    ] = None,
    treatment: TREATMENT_OPTION = None,
    post_days: Annotated[
        float | None,
        typer.Option(
            "--post-days",
            rich_help_panel="Metric windows",
            help="Analysis window: [assigned_at, assigned_at + days) "
            f"(default {DEFAULT_POST_DAYS:g}).",
            show_default=False,
        ),
    ] = None,
    pre_days: Annotated[
        float | None,
        typer.Option(
            "--pre-days",
            rich_help_panel="Metric windows",
            help="CUPED pre-period: [assigned_at - days, assigned_at); 0 turns CUPED off "
            f"(default {DEFAULT_PRE_DAYS:g}).",
            show_default=False,
        ),
    ] = None,
    test: Annotated[
        MeanTestChoice | None,
        typer.Option(
            "--test",
            rich_help_panel="Tests",
            help="Test for mean metrics (default welch; counts/conversions have theirs).",
            show_default=False,
        ),
    ] = None,
    count_model: Annotated[
        CountModelChoice | None,
        typer.Option(
            "--count-model",
            rich_help_panel="Tests",
            help="Model for count metrics (default negative-binomial).",
            show_default=False,
        ),
    ] = None,
    yates: Annotated[
        bool | None,
        typer.Option(
            "--yates/--no-yates",
            rich_help_panel="Tests",
            help="Yates' continuity correction for conversions (as R prop.test); default off.",
            show_default=False,
        ),
    ] = None,
    correction: Annotated[
        CorrectionChoice | None,
        typer.Option(
            "--correction",
            rich_help_panel="Tests",
            help="Multiple-testing correction across the verdicts: holm (default) or bh.",
            show_default=False,
        ),
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option("--alpha", help="Significance level (default 0.05).", show_default=False),
    ] = None,
    bootstrap: Annotated[
        int | None,
        typer.Option(
            "--bootstrap",
            metavar="N",
            rich_help_panel="Tests",
            help="Add a percentile bootstrap CI (N resamples).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    adjust: Annotated[
        list[str] | None,
        typer.Option(
            "--adjust",
            metavar="COLUMN",
            rich_help_panel="Tests",
            help="Regression adjustment for a covariate, e.g. degree, pagerank, community "
            "(repeatable; graph features are built or joined as needed); verdicts use it.",
        ),
    ] = None,
    features: FEATURES_OPTION = None,
    weights: Annotated[str | None, typer.Option("--weights", help=WEIGHTS_HELP)] = None,
    srm_threshold: Annotated[
        float | None,
        typer.Option(
            "--srm-threshold",
            help="SRM p-value below which the split is flagged (default 0.001).",
            show_default=False,
        ),
    ] = None,
    mde: MDE_OPTION = None,
    sequential: SEQUENTIAL_OPTION = None,
    sequential_tuning: TUNING_OPTION = None,
    cap: CAP_OPTION = None,
    primary: PRIMARY_OPTION = None,
    guardrail: GUARDRAIL_OPTION = None,
    lower_is_better: LOWER_OPTION = None,
    cuped: CUPED_OPTION = None,
    prior_sd: PRIOR_OPTION = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
    plot: PLOT_OPTION = None,
    plots_dir: PLOTS_DIR_OPTION = None,
) -> None:
    """Analyse an experiment: SRM first, then every metric × treatment vs control.

    Per comparison: n, mean, sd per arm; difference (treatment - control) and relative
    difference with CIs; Welch t-test (means), negative-binomial regression (counts),
    two-proportion z-test (conversions) or the delta method (ratios); CUPED with the
    pre-period value. Then one verdict per comparison from one model (CUPED-adjusted when
    on): estimate, CI, p adjusted across verdicts, power and MDE, chance to beat
    control, guardrail status. JSON schema: see the README.
    """
    plan = _plan(config)
    experiment = _plan_value(plan, experiment, None, "experiment") if not table else experiment
    wanted = _workflow()
    from graphkit.experiments.inference import Prior

    analysis = wanted.resolve_analysis(
        plan,
        control=control,
        treatments=tuple(treatment) if treatment else None,
        test=test.value if test else None,
        count_model=count_model.value if count_model else None,
        yates=yates,
        correction=correction.value if correction else None,
        alpha=alpha,
        bootstrap=bootstrap,
        seed=seed if plan is None else None,
        adjust_for=tuple(adjust) if adjust else None,
        weights=_named_weights(weights),
        srm_threshold=srm_threshold,
        mde=mde,
        sequential=sequential,
        sequential_tuning=sequential_tuning,
        cap=cap,
        primary=tuple(primary) if primary else None,
        guardrails=_guardrails(guardrail),
        lower_is_better=frozenset(lower_is_better) if lower_is_better else None,
        cuped=cuped,
        prior=Prior(0.0, prior_sd) if prior_sd is not None else None,
    )
    data = _load(
        settings,
        spec,
        experiment=experiment,
        table=table,
        metric=metric or (list(plan.metrics) if plan is not None else None),
        variant_col=variant_col,
        covariate=covariate,
        post_days=_plan_value(plan, post_days, DEFAULT_POST_DAYS, "post_days"),
        pre_days=_plan_value(plan, pre_days, DEFAULT_PRE_DAYS, "pre_days"),
        features=features,
        needed_features=[c for c in analysis.adjust_for if c in FEATURE_COLUMNS],
    )
    result = wanted.analyze(data, settings=analysis)
    _srm_message(result.srm)
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.json:
        emit(to_json(result.to_dict()), out)
    elif fmt is OutputFormat.csv:
        emit(_analysis_csv(result), out)
    else:
        _notes(result.notes)
        for item in result.comparisons:
            _notes(item.notes, f"{item.metric} ({item.treatment}): ")
        windows = (
            f"post window {data.post_days:g} days, pre window {data.pre_days:g} days; "
            if data.post_days is not None and data.pre_days is not None
            else ""
        )
        caption = (
            f"{windows}{int(100 * (1 - analysis.alpha))}% CIs; p-values adjusted with "
            f"{result.correction}"
        )
        title = (
            f"Experiment {result.experiment}"
            if result.experiment
            else f"Experiment ({data.source})"
        )
        tables = [_srm_table(result.srm), *_effect_tables(result, caption, title)]
        tables.append(_verdict_table(result))
        _print_tables(tables, out)
        if out is None:
            for item in result.comparisons:
                if item.sentence:
                    stdout.print(item.sentence, markup=False, highlight=False)
            guardrails = result.guardrail_summary()
            if guardrails:
                stdout.print(guardrails.capitalize() + ".", markup=False, highlight=False)
    _analysis_plots(result, data, plot, plots_dir)


def _verdict_table(result: "ExperimentAnalysis") -> Table:
    """The verdicts as the library lays them out (ExperimentAnalysis.to_frame)."""
    frame = result.to_frame()
    shown = pd.DataFrame(
        {
            "metric": frame["metric"] + "\n" + frame["treatment"],
            "role\nmodel": frame["role"].fillna("—") + "\n" + frame["adjustment"].fillna("—"),
            "effect\n[CI]": [
                _two(_fmt(_value(row.estimate)), _ci(_interval(row.ci_low, row.ci_high)))
                for row in frame.itertuples()
            ],
            "relative": [_pct(_value(v)) for v in frame["relative"]],
            "p\np adj": [
                _two(_fmt(_value(p), 3), _fmt(_value(q), 3))
                for p, q in zip(frame["p_value"], frame["p_adjusted"], strict=True)
            ],
            "MDE\n(80%)": [
                "—" if v is None or v != v else f"±{abs(v):.1%}" for v in frame["mde_relative"]
            ],
            "P(win)": ["—" if v is None or v != v else f"{v:.1%}" for v in frame["chance_to_win"]],
            # "—" read as "no data" for a test that ran and found nothing: say which.
            "verdict": [
                (g if isinstance(g, str) else "not tested")
                if role == "guardrail"
                else "significant"
                if sig
                else "no test"
                if _value(p) is None
                else "not significant"
                for role, sig, g, p in zip(
                    frame["role"],
                    frame["significant"],
                    frame["guardrail"],
                    frame["p_value"],
                    strict=True,
                )
            ],
        }
    )
    return render_table(
        shown, "Verdicts", "one model per row; MDE = effect detectable with 80% power"
    )


def _value(value: Any) -> float | None:
    """None for a missing cell (pandas turns None into NaN)."""
    return None if value is None or value != value else float(value)


def _interval(low: Any, high: Any) -> tuple[float, float] | None:
    low, high = _value(low), _value(high)
    return None if low is None or high is None else (low, high)


def _every(text: str) -> float:
    """``1d``, ``12h`` or a number of days, as days."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dh]?)\s*", text)
    if not match:
        raise ConfigError(f"--every {text!r} is not a period", hint="write e.g. 1d, 12h or 7d")
    value = float(match.group(1))
    return value / 24 if match.group(2) == "h" else value


@app.command("monitor")
@handles_errors
@uses_store
def monitor_command(
    settings: Settings,
    experiment: Annotated[
        str | None,
        typer.Argument(metavar="EXPERIMENT", help="Experiment name in the stored assignments."),
    ] = None,
    config: CONFIG_OPTION = None,
    every: Annotated[
        str, typer.Option("--every", help="Time between looks: 1d, 12h, 7d...")
    ] = "1d",
    metric: METRIC_OPTION = None,
    control: Annotated[
        str | None,
        typer.Option(
            "--control", help="The control variant (default control).", show_default=False
        ),
    ] = None,
    post_days: POST_OPTION = DEFAULT_POST_DAYS,
    pre_days: PRE_OPTION = DEFAULT_PRE_DAYS,
    alpha: Annotated[
        float | None,
        typer.Option("--alpha", help="Significance level (default 0.05).", show_default=False),
    ] = None,
    sequential_tuning: TUNING_OPTION = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """Replay a stored experiment look by look: the fixed-horizon p-value (valid only at
    one planned look) beside the always-valid p-value and confidence sequence.

    Each look sees the users assigned and the events recorded so far.
    """
    plan = _plan(config)
    name = _plan_value(plan, experiment, None, "experiment")
    if not name:
        raise ConfigError("name the experiment to monitor", hint="graphkit ab monitor EXPERIMENT")
    wanted = _workflow()
    analysis = wanted.resolve_analysis(
        plan, control=control, alpha=alpha, sequential_tuning=sequential_tuning
    )
    result = wanted.monitor(
        settings,
        name,
        analysis=analysis,
        metrics=metric or (list(plan.metrics) if plan is not None else DEFAULT_METRICS),
        every_days=_every(every),
        post_days=plan.post_days if plan is not None else post_days,
        pre_days=plan.pre_days if plan is not None else pre_days,
    )
    _notes(result.notes)
    emit_frame(
        result.to_frame(),
        format_for(fmt, out),
        out,
        title=f"Experiment {name}, a look every {every}",
        caption=f"always-valid: asymptotic confidence sequence, tuning N* = {result.tuning}; "
        "naive: fixed-horizon p at each look (invalid when peeking)",
        json_data=result.to_dict(),
    )


# ------------------------------------------------------------------------- segments


def _segments_data(report: "SegmentReport") -> dict[str, Any]:
    from graphkit.experiments.analysis import srm_to_dict

    return {
        "experiment": report.experiment,
        "srm": srm_to_dict(report.srm),
        "segmentations": [analysis.to_dict() for analysis in report.analyses],
        "notes": list(report.notes),
    }


@app.command("segments")
@handles_errors
@pulls_subgraph
def segments_command(
    settings: Settings,
    spec: SubgraphSpec,
    experiment: EXPERIMENT_ARGUMENT = None,
    table: TABLE_OPTION = None,
    variant_col: VARIANT_COL_OPTION = "variant",
    metric: METRIC_OPTION = None,
    covariate: COVARIATE_OPTION = None,
    control: CONTROL_OPTION = "control",
    treatment: TREATMENT_OPTION = None,
    by: Annotated[
        list[SegmentChoice] | None,
        typer.Option(
            "--by", help="degree (deciles), influencer, community (repeatable; default all)."
        ),
    ] = None,
    deciles: Annotated[
        int, typer.Option("--deciles", help="Degree quantile groups.")
    ] = DEFAULT_DECILES,
    min_size: Annotated[
        int, typer.Option("--min-size", help="Pool communities smaller than this into 'other'.")
    ] = DEFAULT_MIN_SIZE,
    cuped: Annotated[
        bool, typer.Option("--cuped/--no-cuped", help="Adjust with the pre-period covariate.")
    ] = True,
    post_days: POST_OPTION = DEFAULT_POST_DAYS,
    pre_days: PRE_OPTION = DEFAULT_PRE_DAYS,
    features: FEATURES_OPTION = None,
    alpha: ALPHA_OPTION = 0.05,
    weights: Annotated[str | None, typer.Option("--weights", help=WEIGHTS_HELP)] = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
    plot: PLOT_OPTION = None,
    plots_dir: PLOTS_DIR_OPTION = None,
) -> None:
    """Effects by graph position: degree deciles, influencers vs others, communities.

    Each segment gets the Welch estimate (after CUPED) with a CI and a Benjamini–Hochberg
    adjusted p-value; Cochran's Q tests whether the effect differs between segments.
    Graph features come from --features, the --table itself, or the stored graph.
    """
    chosen = [b.value for b in by] if by else list(SEGMENTATIONS)
    data = _load(
        settings,
        spec,
        experiment=experiment,
        table=table,
        metric=metric,
        variant_col=variant_col,
        covariate=covariate,
        post_days=post_days,
        pre_days=pre_days,
        features=features,
        needed_features=[FEATURE_OF[name] for name in chosen],
    )
    report = _workflow().segments(
        data,
        by=chosen,
        control=control,
        treatments=treatment,
        use_cuped=cuped,
        deciles=deciles,
        min_size=min_size,
        alpha=alpha,
        weights=_named_weights(weights),
    )
    _srm_message(report.srm)
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.json:
        emit(to_json(_segments_data(report)), out)
    else:
        rows = []
        tables = [_srm_table(report.srm)]
        for analysis in report.analyses:
            het = analysis.heterogeneity
            frame = pd.DataFrame(
                [
                    {
                        "segment": s.segment,
                        "n_ctrl": s.n_control,
                        "n_trt": s.n_treatment,
                        "diff [CI]": f"{_fmt(s.diff)} {_ci(s.diff_ci)}",
                        "p": _fmt(s.p_value, 3),
                        f"p_adj ({_short(analysis.correction)})": _fmt(s.p_adjusted, 3),
                        "power": "—"
                        if s.power is None
                        else f"{s.power:.0%}" + (" (underpowered)" if s.underpowered else ""),
                    }
                    for s in (*analysis.segments, analysis.overall)
                ]
            )
            caption = (
                f"Cochran's Q = {het.q:.3f}, df = {het.df}, p = {het.p_value:.3g}, "
                f"I² = {het.i2:.0%}"
                if het.q is not None and het.p_value is not None and het.i2 is not None
                else "no heterogeneity test"
            )
            trend = analysis.trend
            if trend is not None and trend.q is not None and trend.p_value is not None:
                caption += f"; trend test χ² = {trend.q:.3f}, df = 1, p = {trend.p_value:.3g}"
            caption += "; power: to detect the overall effect in the segment"
            cuped_text = " (CUPED)" if analysis.covariate else ""
            title = (
                f"{analysis.metric}{cuped_text} by {analysis.by}: "
                f"{analysis.treatment} vs {analysis.control}"
            )
            tables.append(render_table(frame, title, caption))
            for s in analysis.segments:
                rows.append(
                    {
                        "metric": analysis.metric,
                        "treatment": analysis.treatment,
                        "by": analysis.by,
                        "cuped": analysis.covariate is not None,
                        **_flat("", {k: v for k, v in asdict(s).items() if k != "notes"}),
                        "q": het.q,
                        "q_df": het.df,
                        "q_p_value": het.p_value,
                        "i2": het.i2,
                        "srm_p_value": report.srm.p_value,
                        "srm_flag": report.srm.flag,
                    }
                )
        if fmt is OutputFormat.csv:
            emit(pd.DataFrame(rows).to_csv(index=False), out)
        else:
            _notes(report.notes)
            for analysis in report.analyses:
                _notes(analysis.notes, f"{analysis.metric} by {analysis.by}: ")
                _notes(analysis.heterogeneity.notes, f"{analysis.metric} by {analysis.by}: ")
            _print_tables(tables, out)
    if plot is not None:
        import matplotlib.figure

        figure = matplotlib.figure.Figure(
            figsize=(9, sum(1.5 + 0.45 * (len(a.segments) + 1) for a in report.analyses)),
            layout="constrained",
        )
        axes = figure.subplots(len(report.analyses), 1, squeeze=False)[:, 0]
        for analysis, ax in zip(report.analyses, axes, strict=True):
            _plots().forest_plot(analysis, ax=ax)
        _save(figure, plot)
    if plots_dir is not None:
        for analysis in report.analyses:
            name = _slug("forest", analysis.metric, analysis.treatment, analysis.by) + ".png"
            _save(_plots().forest_plot(analysis), plots_dir / name)


# ------------------------------------------------------------------------- survival


@app.command("survival")
@handles_errors
@uses_store
def survival_command(
    settings: Settings,
    experiment: EXPERIMENT_ARGUMENT = None,
    table: TABLE_OPTION = None,
    duration_col: Annotated[
        str | None,
        typer.Option(
            "--duration-col", rich_help_panel="Your own table", help="Time to event or censoring."
        ),
    ] = None,
    event_col: Annotated[
        str | None,
        typer.Option(
            "--event-col",
            rich_help_panel="Your own table",
            help="1 = event observed, 0 = censored (default: every event observed).",
        ),
    ] = None,
    variant_col: VARIANT_COL_OPTION = "variant",
    churn_days: Annotated[
        float,
        typer.Option(
            "--churn-days",
            rich_help_panel="From events",
            help="Inactivity that counts as churn (stored experiment).",
        ),
    ] = DEFAULT_CHURN_DAYS,
    event: Annotated[
        str | None,
        typer.Option(
            "--event", rich_help_panel="From events", help="Only this event counts as activity."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            rich_help_panel="From events",
            help="End of observation (default: last event).",
        ),
    ] = None,
    alpha: Annotated[
        float, typer.Option("--alpha", help="Curves get 1 - alpha pointwise CIs.")
    ] = 0.05,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
    plot: PLOT_OPTION = None,
) -> None:
    """Kaplan–Meier curves, median per arm and the log-rank test.

    From --table: --duration-col, --event-col and --variant-col. From a stored
    experiment: days from assignment to churn, where a user churns at their last activity
    before --churn-days without any event; users still active at the end are censored.
    """
    _source(experiment, table)
    time_label = "days since assignment"
    if table is not None:
        if duration_col is None:
            raise ConfigError("--table needs --duration-col (and usually --event-col)")
        result = _workflow().survival_from_table(
            table,
            duration_col=duration_col,
            event_col=event_col,
            variant_col=variant_col,
            alpha=alpha,
        )
        time_label = duration_col
    else:
        assert experiment is not None
        result, _ = _workflow().survival_from_store(
            settings,
            experiment,
            churn_days=churn_days,
            event=event,
            until=parse_time(until, "--until"),
            alpha=alpha,
        )
    data = {
        "logrank": {
            "chi2": result.chi2,
            "p_value": result.p_value,
            "df": result.df,
            "test": result.test,
        },
        "median": {str(k): v for k, v in result.median_survival.items()},
        "n": {str(k): v for k, v in result.n.items()},
        "events": {str(k): v for k, v in result.events.items()},
        "time": time_label,
        "notes": list(result.notes),
    }
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.json:
        emit(to_json(data), out)
    elif fmt is OutputFormat.csv:
        emit(result.curves.to_csv(index=False), out)
    else:
        _notes(result.notes)
        frame = pd.DataFrame(
            {
                "variant": [str(g) for g in result.groups],
                "n": [result.n[g] for g in result.groups],
                "events": [result.events[g] for g in result.groups],
                "median": [_fmt(result.median_survival[g]) for g in result.groups],
            }
        )
        caption = (
            f"log-rank χ² = {result.chi2:.4g}, df = {result.df}, p = {result.p_value:.3g}"
            if result.chi2 is not None and result.p_value is not None
            else "no log-rank test"
        )
        _print_tables([render_table(frame, f"Survival ({time_label})", caption)], out)
    if plot is not None:
        _save(_plots().survival_curves(result, time_label=time_label), plot)


from graphkit.cli import ab_network  # noqa: E402  (design, spillover: their own module)

ab_network.register(app)
