"""Experiment definition files: one TOML file the analysis and the report both read.

A file holds what was planned before the data came in, so ``ab analyze --config`` and
``report experiment --config`` cannot disagree (e.g. on the planned split)::

    experiment = "onboarding"        # name in assignments.csv
    control = "control"
    alpha = 0.05
    correction = "holm"              # or "bh"
    cuped = true                     # verdicts use the CUPED-adjusted estimate
    mde = 0.02                       # the relative effect that matters (2%)
    sequential = false               # always-valid p-values and confidence sequences
    sequential_tuning = 5000         # N*: users at which the sequence is tightest
    cap = 0.99                       # winsorize mean/count metrics at this quantile
    prior_sd = 0.3                   # normal prior N(prior_mean, prior_sd²) on the lift

    [weights]                        # planned split, for the SRM check
    control = 50
    treatment = 50

    [windows]
    post_days = 14
    pre_days = 14

    [metrics]                        # event metric specs, as --metric takes them
    primary = ["sessions"]
    secondary = ["time_spent", "ctr=ratio:click/view"]
    guardrail = ["events"]
    lower_is_better = []

    [guardrails]                     # non-inferiority margins (relative; default 0.01)
    events = 0.02

Every key is optional except ``[metrics] primary``. An unknown key, a wrong type or an
invalid value is a :class:`~graphkit.errors.DataError` naming the file, the line and
the key (TOML's parser reports only syntax errors with a line, so the line of a key is
found in the text).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphkit.errors import ConfigError, DataError, Location
from graphkit.experiments.inference import Prior
from graphkit.experiments.metrics import DEFAULT_POST_DAYS, DEFAULT_PRE_DAYS
from graphkit.experiments.settings import DEFAULT_GUARDRAIL_MARGIN, AnalysisSettings

TOP_KEYS: dict[str, type | tuple[type, ...]] = {
    "experiment": str,
    "control": str,
    "treatments": list,
    "alpha": (int, float),
    "correction": str,
    "test": str,
    "count_model": str,
    "yates": bool,
    "cuped": bool,
    "mde": (int, float),
    "power": (int, float),
    "sequential": bool,
    "sequential_tuning": int,
    "cap": (int, float),
    "prior_mean": (int, float),
    "prior_sd": (int, float),
    "srm_threshold": (int, float),
    "weights": dict,
    "windows": dict,
    "metrics": dict,
    "guardrails": dict,
}
WINDOW_KEYS = ("post_days", "pre_days")
METRIC_KEYS = ("primary", "secondary", "guardrail", "lower_is_better")


@dataclass(frozen=True)
class ExperimentPlan:
    """An experiment definition: what to analyse and how.

    Attributes
    ----------
    experiment : str or None
        Name in the stored assignments.
    metrics : tuple of str
        Metric specs in order: primary, secondary, guardrail.
    post_days, pre_days : float
        The metric windows.
    analysis : AnalysisSettings
        Every analysis choice, roles and guardrail margins included.
    source : str or None
        The file it was read from.
    """

    experiment: str | None
    metrics: tuple[str, ...]
    post_days: float
    pre_days: float
    analysis: AnalysisSettings
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "metrics": list(self.metrics),
            "post_days": self.post_days,
            "pre_days": self.pre_days,
            "analysis": self.analysis.to_dict(),
            "source": self.source,
        }


def planned(plan: ExperimentPlan | None, value: Any, default: Any, name: str) -> Any:
    """``name`` (experiment, post_days...) from the caller or the plan, which must agree.

    Without a plan: ``value``, or ``default`` when it is None. With one: the plan's value;
    a ``value`` that differs from it is a ConfigError naming both.

    Examples
    --------
    >>> planned(None, None, 14.0, "post_days")
    14.0
    """
    if plan is None:
        return default if value is None else value
    chosen = getattr(plan, name)
    if value is not None and value != chosen:
        raise ConfigError(
            f"{name} is {chosen!r} in {plan.source} but {value!r} was given",
            hint="keep the experiment's plan in one place: change the definition file",
        )
    return chosen


def metric_name(spec: str) -> str:
    """The name a metric spec gives its column (``ctr=ratio:a/b`` → ``ctr``)."""
    return spec.partition("=")[0].strip() if "=" in spec else spec.strip()


def line_of(text: str, table: str | None, key: str | None) -> int | None:
    """1-based line of ``key`` in ``[table]`` (top level when None) of a TOML text.

    Dotted or inline tables are not followed; the table's header line (or None) is
    returned when the key is not found on a line of its own.

    Examples
    --------
    >>> line_of('a = 1\\n[windows]\\npost_days = "x"\\n', "windows", "post_days")
    3
    """
    current: str | None = None
    header_line = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\s*([^\[\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip().strip('"')
            if current == table:
                header_line = number
            continue
        if current == table and key is not None:
            name = re.match(r'^("?)([A-Za-z0-9_.-]+)\1\s*=', line)
            if name and name.group(2) == key:
                return number
    return header_line


class _Reader:
    """Check values of a parsed file, raising DataErrors that point at their line."""

    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, table: str | None, key: str | None, problem: str, expected: str) -> DataError:
        shown = key if table is None else f"{table}.{key}" if key else table
        return DataError(
            problem,
            location=Location(self.path, line_of(self.text, table, key), shown),
            expected=expected,
            hint="see the experiment definition file format in the README (ab analyze --config)",
        )

    def number(self, table: str | None, key: str, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(table, key, f"{value!r} is not a number", "a number")
        return float(value)

    def names(self, table: str, key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(table, key, f"{value!r} is not a list of names", 'e.g. ["sessions"]')
        return tuple(v.strip() for v in value)


def parse_plan(text: str, path: str = "<experiment.toml>") -> ExperimentPlan:
    """Read an experiment definition from TOML text (see the module docstring).

    Raises
    ------
    DataError
        On a syntax error, an unknown key, a value of the wrong type or an invalid
        value, with the file, line and key.

    Examples
    --------
    >>> plan = parse_plan('''
    ... experiment = "onboarding"
    ... [weights]
    ... control = 50
    ... treatment = 25
    ... [metrics]
    ... primary = ["sessions"]
    ... guardrail = ["events"]
    ... ''')
    >>> plan.metrics, dict(plan.analysis.weights), dict(plan.analysis.guardrails)
    (('sessions', 'events'), {'control': 50.0, 'treatment': 25.0}, {'events': 0.01})
    """
    reader = _Reader(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise DataError(
            f"not valid TOML: {exc}",
            location=Location(path, int(match.group(1)) if match else None),
            expected="a TOML experiment definition",
        ) from exc
    for key, value in data.items():
        if key not in TOP_KEYS:
            raise reader.fail(None, key, f"unknown key {key!r}", f"one of {', '.join(TOP_KEYS)}")
        kinds = TOP_KEYS[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is not bool):
            table = key if isinstance(value, dict) else None
            raise reader.fail(table, key, f"{value!r} has the wrong type", _type_words(kinds))

    def top_number(key: str) -> float | None:
        return None if key not in data else reader.number(None, key, data[key])

    windows = data.get("windows", {})
    for key in windows:
        if key not in WINDOW_KEYS:
            raise reader.fail("windows", key, f"unknown key {key!r}", " or ".join(WINDOW_KEYS))
    post_days = reader.number("windows", "post_days", windows.get("post_days", DEFAULT_POST_DAYS))
    pre_days = reader.number("windows", "pre_days", windows.get("pre_days", DEFAULT_PRE_DAYS))
    if post_days <= 0:
        raise reader.fail("windows", "post_days", f"{post_days:g} days", "a window > 0 days")
    if pre_days < 0:
        raise reader.fail("windows", "pre_days", f"{pre_days:g} days", "0 days or more")

    metrics = data.get("metrics", {})
    for key in metrics:
        if key not in METRIC_KEYS:
            raise reader.fail("metrics", key, f"unknown key {key!r}", ", ".join(METRIC_KEYS))
    if "primary" not in metrics:
        raise reader.fail("metrics", None, "no primary metric", '[metrics] primary = ["NAME"]')
    roles = {key: reader.names("metrics", key, metrics.get(key, [])) for key in METRIC_KEYS}
    specs = (*roles["primary"], *roles["secondary"], *roles["guardrail"])
    names = [metric_name(spec) for spec in specs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise reader.fail(
            "metrics", None, f"metric(s) listed twice: {', '.join(repeated)}", "each once"
        )
    unknown_lower = [n for n in roles["lower_is_better"] if n not in names]
    if unknown_lower:
        raise reader.fail(
            "metrics", "lower_is_better", f"{', '.join(unknown_lower)} not analysed", "metric names"
        )
    guardrail_names = [metric_name(spec) for spec in roles["guardrail"]]
    margins = dict.fromkeys(guardrail_names, DEFAULT_GUARDRAIL_MARGIN)
    for key, value in data.get("guardrails", {}).items():
        if key not in guardrail_names:
            raise reader.fail(
                "guardrails",
                key,
                f"{key!r} is not a guardrail metric",
                "a name from [metrics] guardrail",
            )
        margins[key] = reader.number("guardrails", key, value)

    weights = None
    if "weights" in data:
        weights = {k: reader.number("weights", k, v) for k, v in data["weights"].items()}
    prior_sd = top_number("prior_sd")
    try:
        analysis = AnalysisSettings(
            control=data.get("control", "control"),
            treatments=tuple(reader.names("", "treatments", data["treatments"]))
            if "treatments" in data
            else None,
            test=data.get("test", "welch"),
            count_model=data.get("count_model", "negative-binomial"),
            yates=data.get("yates", False),
            correction=data.get("correction", "holm"),
            alpha=top_number("alpha") or 0.05,
            weights=weights,
            srm_threshold=top_number("srm_threshold") or AnalysisSettings.srm_threshold,
            cuped=data.get("cuped", True),
            mde=top_number("mde"),
            power=top_number("power") or AnalysisSettings.power,
            sequential=data.get("sequential", False),
            sequential_tuning=data.get("sequential_tuning", AnalysisSettings.sequential_tuning),
            prior=Prior(top_number("prior_mean") or 0.0, prior_sd),
            cap=top_number("cap"),
            primary=tuple(metric_name(s) for s in roles["primary"]),
            guardrails=margins,
            lower_is_better=frozenset(roles["lower_is_better"]),
        )
    except ConfigError as exc:
        named = _key_named_in(exc.message)
        raise reader.fail(
            named[0] if named else None, named[1] if named else None, exc.message, "a valid value"
        ) from exc
    return ExperimentPlan(
        experiment=data.get("experiment"),
        metrics=specs,
        post_days=post_days,
        pre_days=pre_days,
        analysis=analysis,
        source=path,
    )


def _type_words(kinds: type | tuple[type, ...]) -> str:
    words = {str: "text in quotes", list: "a list", dict: "a [table]", bool: "true or false",
             int: "a whole number", float: "a number"}  # fmt: skip
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join(dict.fromkeys(words[k] for k in kinds))


def _key_named_in(message: str) -> tuple[str | None, str] | None:
    """The file key a settings error is about (settings errors start with the parameter)."""
    first = message.split()[0] if message.split() else ""
    if message.startswith("unknown "):
        first = message.split()[1]
    if first in TOP_KEYS:
        return (None, first)
    if first == "guardrail":
        return ("guardrails", message.split("'")[1]) if "'" in message else None
    if first == "prior_sd" or first == "prior_mean":
        return (None, first)
    if first == "weights":
        return ("weights", "")
    return None


def load_plan(path: str | Path) -> ExperimentPlan:
    """Read an experiment definition file (see :func:`parse_plan`).

    Raises
    ------
    DataError
        If the file cannot be read or is invalid (with its line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read the experiment definition: {exc}",
            location=Location(str(path)),
            expected="a UTF-8 TOML file",
        ) from exc
    return parse_plan(text, str(path))


def merge_weights(
    plan_weights: Mapping[str, float] | None, flag_weights: Mapping[str, float] | None
) -> Mapping[str, float] | None:
    """The planned split from a definition file or a flag; both must agree if given."""
    if (
        plan_weights is not None
        and flag_weights is not None
        and dict(plan_weights) != dict(flag_weights)
    ):
        raise ConfigError(
            "weights are given twice and differ (definition file and command line)",
            hint="keep the planned split in one place: the definition file",
        )
    return plan_weights if plan_weights is not None else flag_weights
