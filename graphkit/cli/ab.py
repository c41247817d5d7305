"""`graphkit ab ...`: design, split, check and analyse A/B experiments on the network.

Commands: ``assign`` (salted-hash split → assignments.csv), ``aa`` (false-positive
rate of repeated A/A splits), ``power`` (sample size, power, MDE), ``analyze`` (every
metric × treatment, SRM first), ``monitor``, ``segments`` (effects by graph position)
and ``survival`` (Kaplan–Meier, log-rank). Each builds its settings from the flags,
opens the store once, calls its twin in :mod:`graphkit.ab` and renders the result;
the tables' layout lives in :mod:`graphkit.reports.experiment_tables`.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from graphkit.cli.common import (
    FORMAT_OPTION,
    OUT_OPTION,
    OutputFormat,
    check_csv_out,
    emit,
    emit_result,
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
    uses_store,
)
from graphkit.cli.options import (
    ALPHA_OPTION,
    APPEND_OPTION,
    ASSIGNED_AT_OPTION,
    EXPERIMENT_NAME_ARGUMENT,
    FORCE_OPTION,
    SALT_OPTION,
    TABLE_OPTION,
    VARIANT_COL_OPTION,
    VARIANTS_OPTION,
    WEIGHTS_LIST_OPTION,
    assignment_time,
    given,
    print_notes,
    variant_names,
    weight_list,
)
from graphkit.config import Settings
from graphkit.errors import ConfigError
from graphkit.experiments.defaults import (
    DEFAULT_CHURN_DAYS,
    DEFAULT_DECILES,
    DEFAULT_METRICS,
    DEFAULT_MIN_SIZE,
    DEFAULT_POST_DAYS,
    DEFAULT_PRE_DAYS,
    SEGMENTATIONS,
)

if TYPE_CHECKING:
    from graphkit.experiments.analysis import SrmSummary
    from graphkit.experiments.settings import AnalysisSettings, ExperimentSource
    from graphkit.graph.pull import SubgraphSpec
    from graphkit.reports.experiment_tables import TableView
    from graphkit.store.base import GraphStore

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


@contextmanager
def _store_for(settings: Settings, stored: bool) -> "Iterator[GraphStore | Settings]":
    """The store opened once for a stored experiment; for a table, the settings, so the
    store opens only if graph features must be built."""
    if not stored:
        yield settings
        return
    from graphkit.workflows.network import opened_store

    with opened_store(settings) as store:
        yield store


def _show(views: "list[TableView]", out: Path | None) -> None:
    """Several tables to stdout, or as plain text into --out."""
    console = stdout if out is None else text_console()
    for view in views:
        table = render_table(view.frame, view.title, view.caption)
        if view.first_column_width is not None:
            table.columns[0].min_width = view.first_column_width
        console.print(table)
    if out is not None:
        emit(console.export_text(), out)


def _save(figures: dict[Path, Any]) -> None:
    for path, figure in figures.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            figure.savefig(path, dpi=120)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"cannot save the plot to {path}: {exc}",
                hint="use a writable path ending in .png, .pdf or .svg",
            ) from exc
        stderr.print(f"wrote {path}")


def _srm_message(srm: "SrmSummary") -> None:
    if srm.flag:
        stderr.print(
            f"[bold red]warning:[/] sample-ratio mismatch (p = {srm.p_value:.3g} < "
            f"{srm.threshold}): the arms do not have the planned sizes",
            markup=True,
        )


ANALYSIS_FLAGS = {  # flag parameter -> AnalysisSettings field, taken as given
    "control": "control",
    "treatment": "treatments",
    "test": "test",
    "count_model": "count_model",
    "yates": "yates",
    "correction": "correction",
    "alpha": "alpha",
    "bootstrap": "bootstrap",
    "adjust_for": "adjust_for",
    "srm_threshold": "srm_threshold",
    "mde": "mde",
    "sequential": "sequential",
    "sequential_tuning": "sequential_tuning",
    "cap": "cap",
    "primary": "primary",
    "cuped": "cuped",
}


def _analysis_settings(plan: Any, flags: dict[str, Any]) -> "AnalysisSettings":
    """``ab analyze``'s AnalysisSettings: the flags, checked against the plan if any."""
    from graphkit.experiments.inference import Prior
    from graphkit.workflows.experiments import resolve_analysis

    lower, prior_sd = flags["lower_is_better"], flags["prior_sd"]
    return resolve_analysis(
        plan,
        **{field: given(flags[flag]) for flag, field in ANALYSIS_FLAGS.items()},
        seed=flags["seed"] if plan is None else None,
        weights=_named_weights(flags["weights"]),
        guardrails=_guardrails(flags["guardrail"]),
        lower_is_better=frozenset(lower) if lower else None,
        prior=None if prior_sd is None else Prior(0.0, prior_sd),
    )


def _experiment_source(plan: Any, flags: dict[str, Any]) -> "ExperimentSource":
    """Where the data come from (EXPERIMENT or --table), with the plan's metrics and
    windows when there is one."""
    from graphkit.experiments.settings import ExperimentSource

    table, experiment = flags["table"], flags["experiment"]
    return ExperimentSource(
        experiment=experiment if table else _plan_value(plan, experiment, None, "experiment"),
        table=table,
        variant_col=flags["variant_col"],
        covariates=tuple(flags["covariates"] or ()),
        metrics=tuple(flags["metrics"] or (plan.metrics if plan is not None else ())),
        post_days=_plan_value(plan, flags["post_days"], DEFAULT_POST_DAYS, "post_days"),
        pre_days=_plan_value(plan, flags["pre_days"], DEFAULT_PRE_DAYS, "pre_days"),
        features=flags["features"],
        spec=flags["spec"],
        engine=flags["settings"].engine,
    )


# ------------------------------------------------------------------------- assign


@app.command("assign")
@handles_errors
@uses_store
def assign_command(
    settings: Settings,
    experiment: EXPERIMENT_NAME_ARGUMENT,
    variants: VARIANTS_OPTION = "control,treatment",
    weights: WEIGHTS_LIST_OPTION = None,
    salt: SALT_OPTION = "",
    users: Annotated[
        Path | None,
        typer.Option(
            "--users",
            metavar="FILE",
            help="CSV/Parquet with a user_id column (default: every user in the store).",
        ),
    ] = None,
    assigned_at: ASSIGNED_AT_OPTION = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            callback=check_csv_out,
            help="Where to write the assignments ('-' for stdout).",
        ),
    ] = Path("assignments.csv"),
    force: FORCE_OPTION = False,
    append: APPEND_OPTION = False,
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
    from graphkit import ab
    from graphkit.workflows.experiments import write_assignments

    columns = split_list(strata, "--strata") if strata else None
    with _store_for(settings, users is None) as store:
        result = ab.assign(
            store,
            experiment,
            variants=variant_names(variants),
            weights=weight_list(weights),
            salt=salt,
            users=users,
            assigned_at=assignment_time(assigned_at),
            strata=columns,
        )
    if str(out) == "-":
        emit(result.rows.to_csv(index=False, lineterminator="\n"), None)
    else:
        write_assignments(result.rows, out, force=force, append=append)
        stderr.print(f"wrote {len(result.rows)} assignments of {experiment!r} to {out}")
    for name, count in result.counts().items():
        stderr.print(
            f"  {name}: {count['users']} users "
            f"({count['share']:.1%}; planned {count['planned']:.1%})"
        )


# ------------------------------------------------------------------------- aa


@app.command("aa")
@handles_errors
@uses_store
def aa_command(
    settings: Settings,
    table: TABLE_OPTION = None,
    metrics: METRIC_OPTION = None,
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
    from graphkit import ab
    from graphkit.reports.experiment_tables import aa_view

    with _store_for(settings, table is None) as store:
        report = ab.aa(
            store,
            table=table,
            metrics=metrics or (),
            since=parse_time(since, "--since"),
            until=parse_time(until, "--until"),
            simulations=simulations,
            test=test.value,
            alpha=alpha,
            seed=seed,
        )
    print_notes(report.notes)
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.table:
        _show([aa_view(report)], out)
    else:
        emit_result(report, fmt, out)


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
    from graphkit import ab
    from graphkit.reports.experiment_tables import power_view

    plan = ab.power(
        kind.value,
        delta=delta,
        sd=sd,
        baseline=baseline,
        target=target,
        n=n,
        power=power,
        alpha=alpha,
        alternative=alternative.value,
        strict=strict,
        cluster_size=cluster_size,
        icc=icc,
    )
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.table:
        print_notes(plan.notes)
        _show([power_view(plan)], out)
    else:
        emit_result(plan, fmt, out)


# ------------------------------------------------------------------------- analyze


@app.command("analyze")
@handles_errors
@pulls_subgraph
def analyze_command(
    settings: Settings,
    spec: "SubgraphSpec",
    experiment: EXPERIMENT_ARGUMENT = None,
    config: CONFIG_OPTION = None,
    table: TABLE_OPTION = None,
    variant_col: VARIANT_COL_OPTION = "variant",
    metrics: METRIC_OPTION = None,
    covariates: COVARIATE_OPTION = None,
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
    adjust_for: Annotated[
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
    from graphkit import ab
    from graphkit.reports import experiment_tables as tables

    flags = dict(locals())  # the flags as given: they build the two settings objects
    plan = _plan(config)
    analysis = _analysis_settings(plan, flags)
    source = _experiment_source(plan, flags)
    with _store_for(settings, table is None) as store:
        report = ab.analyze(store, source, analysis)
    _srm_message(report.analysis.srm)
    fmt = format_for(fmt, out)
    if fmt is not OutputFormat.table:
        emit_result(report, fmt, out)
    else:
        print_notes(tables.analysis_notes(report.analysis))
        _show(tables.analysis_views(report, analysis.alpha), out)
        for line in tables.analysis_sentences(report.analysis) if out is None else []:
            stdout.print(line, markup=False, highlight=False)
    _plots(report, plot, plots_dir)


def _plots(report: Any, plot: Path | None, plots_dir: Path | None) -> None:
    """The main plot and/or every plot of an analysis (matplotlib loads only when asked)."""
    if plot is None and plots_dir is None:
        return
    from graphkit.reports import experiment_plots

    if plot is not None:
        _save({plot: experiment_plots.cuped_comparison(report.analysis.comparisons)})
    if plots_dir is not None:
        figures = experiment_plots.analysis_figures(report)
        _save({plots_dir / name: figure for name, figure in figures.items()})


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
    metrics: METRIC_OPTION = None,
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
    from graphkit import ab
    from graphkit.workflows.experiments import resolve_analysis

    plan = _plan(config)
    name = _plan_value(plan, experiment, None, "experiment")
    if not name:
        raise ConfigError("name the experiment to monitor", hint="graphkit ab monitor EXPERIMENT")
    analysis = resolve_analysis(
        plan, control=control, alpha=alpha, sequential_tuning=sequential_tuning
    )
    with _store_for(settings, True) as store:
        result = ab.monitor(
            store,
            name,
            analysis,
            metrics=metrics or (list(plan.metrics) if plan is not None else DEFAULT_METRICS),
            every_days=_every(every),
            post_days=plan.post_days if plan is not None else post_days,
            pre_days=plan.pre_days if plan is not None else pre_days,
        )
    print_notes(result.notes)
    emit_result(
        result,
        format_for(fmt, out),
        out,
        title=f"Experiment {name}, a look every {every}",
        caption=f"always-valid: asymptotic confidence sequence, tuning N* = {result.tuning}; "
        "naive: fixed-horizon p at each look (invalid when peeking)",
    )


# ------------------------------------------------------------------------- segments


@app.command("segments")
@handles_errors
@pulls_subgraph
def segments_command(
    settings: Settings,
    spec: "SubgraphSpec",
    experiment: EXPERIMENT_ARGUMENT = None,
    table: TABLE_OPTION = None,
    variant_col: VARIANT_COL_OPTION = "variant",
    metrics: METRIC_OPTION = None,
    covariates: COVARIATE_OPTION = None,
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
    from graphkit import ab
    from graphkit.reports import experiment_tables as tables

    source = _experiment_source(None, dict(locals()))
    with _store_for(settings, table is None) as store:
        report = ab.segments(
            store,
            source,
            by=[b.value for b in by] if by else list(SEGMENTATIONS),
            control=control,
            treatments=treatment,
            cuped=cuped,
            deciles=deciles,
            min_size=min_size,
            alpha=alpha,
            weights=_named_weights(weights),
        )
    _srm_message(report.srm)
    fmt = format_for(fmt, out)
    if fmt is not OutputFormat.table:
        emit_result(report, fmt, out)
    else:
        print_notes(tables.segment_notes(report))
        _show(tables.segment_views(report), out)
    if plot is not None or plots_dir is not None:
        from graphkit.reports import experiment_plots

        if plot is not None:
            _save({plot: experiment_plots.segment_forests(report)})
        if plots_dir is not None:
            figures = experiment_plots.segment_figures(report)
            _save({plots_dir / name: figure for name, figure in figures.items()})


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
    from graphkit import ab
    from graphkit.reports.experiment_tables import survival_view

    with _store_for(settings, table is None) as store:
        report = ab.survival(
            store,
            experiment=experiment,
            table=table,
            duration_col=duration_col,
            event_col=event_col,
            variant_col=variant_col,
            churn_days=churn_days,
            event=event,
            until=parse_time(until, "--until"),
            alpha=alpha,
        )
    fmt = format_for(fmt, out)
    if fmt is not OutputFormat.table:
        emit_result(report, fmt, out)
    else:
        print_notes(report.notes)
        _show([survival_view(report)], out)
    if plot is not None:
        from graphkit.reports.experiment_plots import survival_curves

        _save({plot: survival_curves(report.comparison, time_label=report.time_label)})


from graphkit.cli import ab_network  # noqa: E402  (design, spillover: their own module)

ab_network.register(app)
