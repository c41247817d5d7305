"""Experiment plots: pure functions returning Figures, drawn from real results."""

from __future__ import annotations

import doctest
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from graphkit.experiments.analysis import Comparison, analyze_experiment
from graphkit.experiments.metrics import Metric
from graphkit.experiments.segments import analyze_segments
from graphkit.experiments.survival import compare_survival
from graphkit.reports import experiment_plots


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 300
    pre = rng.exponential(10, n)
    variant = np.where(np.arange(n) % 2 == 0, "control", "treatment")
    return pd.DataFrame(
        {
            "variant": variant,
            "y": pre + rng.normal(0, 1, n) + (variant == "treatment"),
            "y_pre": pre,
            "degree": rng.integers(1, 50, n),
        }
    )


def arms(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {name: rows["y"] for name, rows in frame.groupby("variant")}


def test_no_pyplot_state_is_touched(frame):
    plt.close("all")
    experiment_plots.metric_overview(arms(frame), metric="y")
    assert plt.get_fignums() == []


def test_distribution_and_boxplot(frame, tmp_path: Path):
    figure = experiment_plots.metric_overview(arms(frame), metric="y")
    assert isinstance(figure, matplotlib.figure.Figure)
    histogram, boxes = figure.axes
    legend = [t.get_text() for t in histogram.get_legend().get_texts()]
    assert legend[0].startswith("control (n=150")
    assert [t.get_text() for t in boxes.get_xticklabels()] == ["control", "treatment"]
    assert "not shown" in histogram.get_title(
        loc="left"
    )  # the exponential tail beyond the 99th pct
    figure.savefig(tmp_path / "overview.png")
    assert (tmp_path / "overview.png").stat().st_size > 1000


def test_plots_draw_into_a_given_axes(frame):
    figure = matplotlib.figure.Figure()
    ax = figure.add_subplot()
    assert experiment_plots.metric_boxplot(arms(frame), metric="y", ax=ax) is figure
    assert ax.get_ylabel() == "y"


def test_empty_or_constant_arms_do_not_crash():
    figure = experiment_plots.metric_overview({"control": [], "treatment": [3.0, 3.0]}, metric="y")
    assert len(figure.axes) == 2
    experiment_plots.metric_distribution({}, metric="y")


def test_cuped_comparison_from_an_analysis(frame):
    result = analyze_experiment(frame, [Metric("y", covariate="y_pre"), Metric("degree")])
    figure = experiment_plots.cuped_comparison(result.comparisons)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["y\ntreatment vs control", "degree\ntreatment vs control"]
    # y has a raw and a CUPED interval (2 lines + 2 dots), degree only the raw one
    assert len(ax.get_lines()) == 2 * 2 + 2 + 1  # + the zero line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["raw", "CUPED"]
    empty = Comparison("z", "mean", "control", "treatment", 0, 3)
    assert "not shown: z (treatment)" in experiment_plots.cuped_comparison([empty]).axes[
        0
    ].get_title(loc="left")


def test_forest_plot_of_segments(frame):
    analysis = analyze_segments(frame, Metric("y", covariate="y_pre"), "degree", deciles=4)
    figure = experiment_plots.forest_plot(analysis)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(analysis.segments) + 1 and labels[-1] == "all users"
    assert "Cochran's Q" in ax.get_title(loc="left")
    assert "(CUPED)" in ax.get_xlabel()


def test_survival_curves_from_the_waltons_oracle(waltons):
    result = compare_survival(waltons["T"], waltons["E"], waltons["group"])
    figure = experiment_plots.survival_curves(result, time_label="days")
    ax = figure.axes[0]
    assert len(ax.get_lines()) == 2
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["control (n=129, median 58)", "miR-137 (n=34, median 26)"]
    assert "log-rank" in ax.get_title(loc="left")


def test_examples_run():
    result = doctest.testmod(experiment_plots, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
