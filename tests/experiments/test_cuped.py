"""CUPED and OLS regression adjustment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from graphkit.errors import DataError, InsufficientData
from graphkit.experiments.cuped import cuped, regression_adjustment
from graphkit.experiments.means import compare_means

from .checks import assert_no_nan


@pytest.fixture
def experiment():
    """400 users: pre-period metric ``pre``, outcome ``y``, arm, degree and community."""
    rng = np.random.default_rng(42)
    n = 400
    pre = rng.gamma(2.0, 2.0, size=n)
    treated = np.arange(n) % 2
    community = rng.choice(["a", "b", "c"], size=n)
    degree = rng.poisson(5, size=n)
    y = 1.0 + 0.8 * pre + 0.1 * degree + 0.5 * treated + rng.normal(0, 1 + 0.5 * treated, n)
    return pd.DataFrame(
        {
            "arm": np.where(treated == 1, "treatment", "control"),
            "y": y,
            "pre": pre,
            "degree": degree,
            "community": pd.Categorical(community),
        }
    )


def _arms(frame, column):
    return (
        frame.loc[frame["arm"] == "control", column].to_numpy(),
        frame.loc[frame["arm"] == "treatment", column].to_numpy(),
    )


def test_cuped_by_hand(experiment):
    (y_c, y_t), (x_c, x_t) = _arms(experiment, "y"), _arms(experiment, "pre")
    result = cuped(y_c, x_c, y_t, x_t)
    y, x = np.concatenate([y_c, y_t]), np.concatenate([x_c, x_t])
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    assert result.theta == pytest.approx(theta)
    assert result.covariate_mean == pytest.approx(x.mean())
    assert result.correlation == pytest.approx(np.corrcoef(y, x)[0, 1])
    by_hand = compare_means(y_c - theta * (x_c - x.mean()), y_t - theta * (x_t - x.mean()))
    assert result.adjusted.diff == pytest.approx(by_hand.diff)
    assert result.adjusted.p_value == pytest.approx(by_hand.p_value)
    assert result.unadjusted == compare_means(y_c, y_t)
    se2 = lambda r: r.control.sd**2 / r.control.n + r.treatment.sd**2 / r.treatment.n  # noqa: E731
    assert result.variance_reduction == pytest.approx(1 - se2(by_hand) / se2(result.unadjusted))
    assert result.variance_reduction > 0.5
    assert result.adjusted.ci_high - result.adjusted.ci_low < (
        result.unadjusted.ci_high - result.unadjusted.ci_low
    )


def test_constant_covariate_means_no_adjustment():
    result = cuped([1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [2.0, 3.0, 5.0], [5.0, 5.0, 5.0])
    assert result.theta is None and result.variance_reduction is None
    assert result.adjusted == result.unadjusted
    assert any("constant" in note for note in result.notes)
    assert_no_nan(result)


def test_constant_metric_gives_zero_correlation_note():
    result = cuped([1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [1.0, 1.0], [2.0, 3.0])
    assert result.theta == 0.0 and result.correlation is None
    assert result.variance_reduction is None
    assert_no_nan(result)


def test_cuped_input_errors():
    with pytest.raises(DataError, match="covariate values"):
        cuped([1.0, 2.0], [1.0], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(InsufficientData):
        cuped([], [], [1.0, 2.0], [1.0, 2.0])


# --- regression adjustment ----------------------------------------------------------


def test_hc2_without_covariates_is_the_welch_standard_error(experiment):
    result = regression_adjustment(
        experiment, metric="y", arm="arm", control="control", treatment="treatment", covariates=[]
    )
    welch = compare_means(*_arms(experiment, "y"))
    assert result.estimate == pytest.approx(welch.diff)
    assert result.stderr == pytest.approx(welch.diff / welch.statistic)
    assert result.df == len(experiment) - 2
    assert result.method == "OLS regression adjustment (HC2)"


def test_regression_adjustment_by_hand(experiment):
    result = regression_adjustment(
        experiment,
        metric="y",
        arm="arm",
        control="control",
        treatment="treatment",
        covariates=["pre", "degree", "community"],
    )
    assert result.covariates == ("pre", "degree", "community_b", "community_c")
    dummies = pd.get_dummies(experiment["community"], drop_first=True, dtype=float)
    design = np.column_stack(
        [
            np.ones(len(experiment)),
            (experiment["arm"] == "treatment").to_numpy(float),
            experiment[["pre", "degree"]].to_numpy(float),
            dummies.to_numpy(),
        ]
    )
    y = experiment["y"].to_numpy()
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coefficients
    bread = np.linalg.inv(design.T @ design)
    leverage = np.einsum("ij,jk,ik->i", design, bread, design)
    # HC2 (MacKinnon & White 1985): weight squared residuals by 1 / (1 - h_ii).
    meat = design.T @ (design * (residuals**2 / (1 - leverage))[:, None])
    stderr = math.sqrt((bread @ meat @ bread)[1, 1])
    df = len(y) - design.shape[1]
    assert result.estimate == pytest.approx(coefficients[1])
    assert result.stderr == pytest.approx(stderr)
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(coefficients[1] / stderr), df))
    assert result.ci_low == pytest.approx(coefficients[1] - stats.t.isf(0.025, df) * stderr)
    assert 0 < result.r_squared < 1
    assert result.notes == ()


def test_other_arms_are_left_out_with_a_note(experiment):
    frame = pd.concat([experiment, experiment.head(7).assign(arm="other")], ignore_index=True)
    result = regression_adjustment(
        frame, metric="y", arm="arm", control="control", treatment="treatment", covariates=["pre"]
    )
    assert result.n_control + result.n_treatment == len(experiment)
    assert any("left out 7 row(s)" in note for note in result.notes)


def test_single_member_category_falls_back_to_hc1(experiment):
    frame = experiment.assign(community=experiment["community"].astype(str))
    frame.loc[0, "community"] = "lonely"
    result = regression_adjustment(
        frame,
        metric="y",
        arm="arm",
        control="control",
        treatment="treatment",
        covariates=["community"],
    )
    assert result.method == "OLS regression adjustment (HC1)"
    assert any("leverage 1" in note for note in result.notes)
    assert_no_nan(result)


def test_constant_covariates_are_dropped(experiment):
    result = regression_adjustment(
        experiment.assign(site="x"),
        metric="y",
        arm="arm",
        control="control",
        treatment="treatment",
        covariates=["pre", "site"],
    )
    assert result.covariates == ("pre",)


def test_exact_fit_gives_no_standard_error():
    frame = pd.DataFrame({"arm": ["c", "c", "t", "t"], "y": [1.0, 1.0, 2.0, 2.0]})
    result = regression_adjustment(
        frame, metric="y", arm="arm", control="c", treatment="t", covariates=[]
    )
    assert result.estimate == pytest.approx(1.0)
    assert result.stderr is None and result.p_value is None
    assert any("exactly" in note for note in result.notes)
    assert_no_nan(result)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda f: f.drop(columns="pre"), DataError, "missing column"),
        (lambda f: f.assign(pre=f["pre"].where(f.index > 2)), DataError, "missing value"),
        (lambda f: f.assign(copy=2 * f["pre"]), DataError, "collinear"),
        (lambda f: f[f["arm"] == "control"], InsufficientData, "no rows"),
        (lambda f: f.head(3), InsufficientData, "parameters"),
    ],
)
def test_regression_adjustment_input_errors(experiment, change, error, message):
    covariates = ["pre", "copy"] if message == "collinear" else ["pre"]
    with pytest.raises(error, match=message):
        regression_adjustment(
            change(experiment),
            metric="y",
            arm="arm",
            control="control",
            treatment="treatment",
            covariates=covariates,
        )


# --- simulation ---------------------------------------------------------------------


@pytest.mark.slow
def test_cuped_is_unbiased_and_reduces_variance():
    rng = np.random.default_rng(2013)
    simulations, n, effect = 1000, 200, 0.3
    rho_squared = 9 / 10  # Y = 3X + ε with Var(X) = Var(ε) = 1, so ρ² = 9 / (9 + 1)
    adjusted, unadjusted, reductions = [], [], []
    covered = 0
    for _ in range(simulations):
        x_c, x_t = rng.normal(size=n), rng.normal(size=n)
        y_c = 5 + 3 * x_c + rng.normal(size=n)
        y_t = 5 + 3 * x_t + rng.normal(size=n) + effect
        result = cuped(y_c, x_c, y_t, x_t)
        adjusted.append(result.adjusted.diff)
        unadjusted.append(result.unadjusted.diff)
        reductions.append(result.variance_reduction)
        covered += result.adjusted.ci_low <= effect <= result.adjusted.ci_high
    adjusted_sd = np.std(adjusted, ddof=1)
    assert abs(np.mean(adjusted) - effect) < 4 * adjusted_sd / math.sqrt(simulations)
    assert np.var(adjusted) / np.var(unadjusted) == pytest.approx(1 - rho_squared, abs=0.03)
    assert np.mean(reductions) == pytest.approx(rho_squared, abs=0.01)
    interval = stats.binomtest(covered, simulations).proportion_ci(0.99, method="exact")
    assert interval.low <= 0.95 <= interval.high
