"""`graphkit ab ...` end to end: exit codes, data on stdout, R oracles, both stores."""

from __future__ import annotations

import io
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.cli.common import to_json
from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.experiments.assignment import assign
from graphkit.experiments.metrics import DEFAULT_METRICS, experiment_metrics
from graphkit.experiments.simulation import simulate_experiment
from graphkit.simulation import simulate_network, write_dataset
from graphkit.workflows import experiments as workflow
from tests.conftest import ORACLES, neo4j_test_settings

runner = CliRunner()
RELATIVE = 1e-6


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """reference.json: values computed with R 4.2.2."""
    return json.loads((ORACLES / "reference.json").read_text())


def run(*args: str, env: dict | None = None):
    base = {"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""}
    return runner.invoke(app, list(args), env={**base, **(env or {})})


def ok(*args: str, env: dict | None = None):
    result = run(*args, env=env)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    """A small simulated network with an experiment (events and assignments)."""
    folder = tmp_path_factory.mktemp("ab") / "data"
    network = simulate_network(400, seed=2)
    experiment = simulate_experiment(
        network,
        experiment="onboarding",
        seed=2,
        effects={"sessions": 0.3, "time_spent": 0.3, "messaged": 0.3},
    )
    write_dataset(network, folder)
    write_dataset(experiment, folder)
    return folder


@pytest.fixture(scope="module")
def store(dataset_dir: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ab") / "store"
    ok("load", str(dataset_dir), "--store", str(folder))
    return folder


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ analyze


def test_analyze_json_contract(store: Path):
    result = ok("ab", "analyze", "onboarding", "--store", str(store), "-f", "json")
    data = json.loads(result.stdout)
    assert set(data["srm"]) >= {"chi2", "p_value", "flag"}
    assert [c["metric"] for c in data["comparisons"]] == list(DEFAULT_METRICS)
    for item in data["comparisons"]:
        assert item["control"] == "control" and item["treatment"] == "treatment"
        assert item["cuped"]["theta"] is not None
        assert item["diff"] == pytest.approx(item["mean_treatment"] - item["mean_control"])
        assert item["p_adjusted"] >= item["p_value"]
    assert [c["test"] for c in data["comparisons"]] == [
        "Welch two-sample t-test",
        "negative-binomial regression (NB2)",
        "negative-binomial regression (NB2)",
    ]
    assert "NaN" not in result.stdout


def test_analyze_table_shows_srm_first_and_writes_plots(store: Path, tmp_path: Path):
    result = ok(
        "ab",
        "analyze",
        "onboarding",
        "--store",
        str(store),
        "-m",
        "sessions",
        "-m",
        "messaged=conversion:message",
        "--plots-dir",
        str(tmp_path / "plots"),
        "--plot",
        str(tmp_path / "effects.png"),
    )
    assert result.stdout.index("Sample ratio check (SRM)") < result.stdout.index("messaged")
    assert "CUPED (pre-period covariate)" in result.stdout
    assert "z-test" in result.stdout
    written = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert written == ["distribution_messaged.png", "distribution_sessions.png", "effects.png"]
    assert (tmp_path / "effects.png").stat().st_size > 1000


def test_analyze_csv_and_out_file(store: Path, tmp_path: Path):
    out = tmp_path / "result.csv"
    ok("ab", "analyze", "onboarding", "--store", str(store), "--out", str(out))
    frame = pd.read_csv(out)
    assert list(frame.columns[:3]) == ["srm_chi2", "srm_p_value", "srm_flag"]
    assert {"diff_ci_low", "diff_ci_high", "cuped_theta", "cuped_diff_ci_low"} <= set(frame.columns)
    assert frame["metric"].tolist() == list(DEFAULT_METRICS)


def test_analyze_adjusts_for_graph_covariates(store: Path):
    result = ok(
        "ab",
        "analyze",
        "onboarding",
        "--store",
        str(store),
        "-m",
        "sessions",
        "--adjust",
        "degree",
        "--adjust",
        "community",
        "-f",
        "json",
    )
    regression = json.loads(result.stdout)["comparisons"][0]["regression_adjustment"]
    assert regression["method"] == "OLS regression adjustment (HC2)"
    assert regression["covariates"][0] == "degree"
    assert any(c.startswith("community_") for c in regression["covariates"])


def test_unknown_names_are_exit_2_with_what_exists(store: Path):
    result = run("ab", "analyze", "onboarding", "--store", str(store), "--control", "ctrl")
    assert result.exit_code == 2
    assert "'ctrl'" in result.stderr and "variants found: control, treatment" in result.stderr
    result = run("ab", "analyze", "onbording", "--store", str(store))
    assert result.exit_code == 2
    assert "experiments found: onboarding" in result.stderr
    result = run("ab", "analyze", "onboarding", "--store", str(store), "-m", "x=avg:click")
    assert result.exit_code == 2 and "hint:" in result.stderr


def test_nothing_or_both_sources_is_a_usage_error(store: Path, tmp_path: Path):
    assert run("ab", "analyze", "--store", str(store)).exit_code == 2
    table = write_csv(tmp_path / "t.csv", "variant,y\ncontrol,1\ntreatment,2\n")
    both = run("ab", "analyze", "onboarding", "--table", str(table), "-m", "y")
    assert both.exit_code == 2 and "not both" in both.stderr


# ------------------------------------------------------------------ --table and the R oracles


def test_table_welch_and_student_match_r(reference, tmp_path: Path):
    sleep = pd.read_csv(ORACLES / "sleep.csv")
    table = tmp_path / "sleep.csv"
    sleep.assign(group=sleep["group"].map({1: "drug1", 2: "drug2"})).to_csv(table, index=False)
    for test, key in (("welch", "welch_t_test"), ("student", "student_t_test")):
        result = ok(
            "ab", "analyze", "--table", str(table), "--variant-col", "group",
            "--metric", "extra", "--control", "drug1", "--test", test, "-f", "json",
        )  # fmt: skip
        item = json.loads(result.stdout)["comparisons"][0]
        oracle = reference[key]
        # R reports group 1 - group 2; graphkit treatment - control: the sign flips
        assert item["statistic"] == pytest.approx(-oracle["t"], rel=RELATIVE)
        assert item["p_value"] == pytest.approx(oracle["p_value"], rel=RELATIVE)
    assert item["df"] == 18


@pytest.mark.parametrize(("flag", "key"), [("--yates", "yates"), ("--no-yates", "no_correction")])
def test_table_conversions_match_r_prop_test(reference, tmp_path: Path, flag, key):
    oracle = reference["two_proportions"]
    rows = []
    for arm, successes, trials in zip(
        ("control", "treatment"), oracle["successes"], oracle["trials"], strict=True
    ):
        rows += [(arm, 1)] * successes + [(arm, 0)] * (trials - successes)
    table = tmp_path / "conversions.parquet"
    pd.DataFrame(rows, columns=["arm", "bought"]).to_parquet(table)
    args = ["--variant-col", "arm", "-m", "bought", "-f", "json"]
    if flag == "--yates":
        args.append(flag)
    result = ok("ab", "analyze", "--table", str(table), *args)
    item = json.loads(result.stdout)["comparisons"][0]
    assert item["kind"] == "conversion"
    # chi2 is R prop.test's X-squared (pooled); the verdict's p-value and CI come from one
    # model, the unpooled z whose interval is R prop.test's conf.int (with Yates: both
    # shifted by the continuity term 0.5·(1/n1 + 1/n2)), computed here by hand.
    assert item["chi2"] == pytest.approx(oracle[key]["chi2"], rel=RELATIVE)
    (s1, s2), (n1, n2) = oracle["successes"], oracle["trials"]
    p1, p2 = s1 / n1, s2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    cc = 0.5 * (1 / n1 + 1 / n2) if flag == "--yates" else 0.0
    z = (abs(p2 - p1) - cc) / se
    assert item["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)), rel=RELATIVE)
    half = 1.959963984540054 * se + cc
    assert item["diff_ci"] == pytest.approx([p2 - p1 - half, p2 - p1 + half], rel=RELATIVE)


def test_table_with_covariate_and_bad_values(tmp_path: Path):
    table = write_csv(
        tmp_path / "users.csv",
        "user_id,variant,minutes,minutes_before\n"
        + "".join(
            f"u{i},{'control' if i % 2 else 'treatment'},{i % 7 + (i % 2 == 0)},{i % 7}\n"
            for i in range(40)
        ),
    )
    result = ok(
        "ab", "analyze", "--table", str(table), "-m", "minutes",
        "--covariate", "minutes_before", "-f", "json",
    )  # fmt: skip
    cuped = json.loads(result.stdout)["comparisons"][0]["cuped"]
    assert cuped["covariate"] == "minutes_before"
    assert cuped["variance_reduction"] > 0.9
    broken = write_csv(
        tmp_path / "broken.csv", "variant,minutes\ncontrol,1\ntreatment,oops\ncontrol,2\n"
    )
    result = run("ab", "analyze", "--table", str(broken), "-m", "minutes")
    assert result.exit_code == 2
    assert "broken.csv, line 3, column 'minutes'" in result.stderr
    missing = run("ab", "analyze", "--table", str(table), "-m", "nope")
    assert missing.exit_code == 2 and "columns found: user_id, variant" in missing.stderr


def test_degenerate_table_gives_notes_and_nulls(tmp_path: Path):
    table = write_csv(
        tmp_path / "flat.csv",
        "variant,seconds,bought\ncontrol,5,0\ncontrol,5,0\ntreatment,5,0\ntreatment,5,0\n",
    )
    result = ok(
        "ab", "analyze", "--table", str(table), "-m", "seconds", "-m", "bought", "-f", "json"
    )
    seconds, bought = json.loads(result.stdout)["comparisons"]
    assert seconds["p_value"] is None and seconds["diff"] == 0
    assert any("zero variance" in note for note in seconds["notes"])
    assert bought["p_value"] is None
    assert any("no trial converted" in note for note in bought["notes"])
    table_view = ok("ab", "analyze", "--table", str(table), "-m", "seconds")
    assert "zero variance" in table_view.stderr and "—" in table_view.stdout


# ------------------------------------------------------------------ segments


def test_segments_from_the_store(store: Path, tmp_path: Path):
    result = ok(
        "ab", "segments", "onboarding", "--store", str(store), "-m", "sessions",
        "--by", "degree", "--by", "influencer", "--deciles", "4", "-f", "json",
        "--plot", str(tmp_path / "forest.png"),
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert set(data["srm"]) >= {"chi2", "p_value", "flag"}
    degree, influencer = data["segmentations"]
    assert (degree["by"], influencer["by"]) == ("degree", "influencer")
    assert degree["heterogeneity"]["test"] == "Cochran's Q"
    assert degree["correction"] == "Benjamini–Hochberg"
    assert [s["segment"] for s in influencer["segments"]] == ["influencer", "other"]
    assert degree["cuped"]["covariate"] == "sessions_pre"
    assert (tmp_path / "forest.png").stat().st_size > 1000


def test_segments_from_a_table_with_a_features_file(store: Path, tmp_path: Path):
    features = tmp_path / "features.csv"
    ok("features", "--store", str(store), "--out", str(features))
    data = workflow.experiment_from_store(
        Settings(store_dir=store), "onboarding", metrics=["sessions"]
    )
    table = tmp_path / "users.csv"
    data.table.to_csv(table, index=False)
    result = ok(
        "ab", "segments", "--table", str(table), "-m", "sessions:count",
        "--covariate", "sessions_pre", "--features", str(features), "--by", "community",
        "--min-size", "15", "-f", "csv",
    )  # fmt: skip
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert set(frame["by"]) == {"community"}
    assert {"segment", "diff", "diff_ci_low", "p_adjusted", "q_p_value"} <= set(frame.columns)
    no_store = str(tmp_path / "no-store")
    no_features = run(
        "ab", "segments", "--table", str(table), "-m", "sessions", "--store", no_store
    )
    # without --features, graphkit builds them from a store; there is none here
    assert no_features.exit_code == 3
    assert "no degree, influencer, community column" in no_features.stderr
    assert "--features FILE" in no_features.stderr


# ------------------------------------------------------------------ power, aa, survival


def test_power_matches_r_and_names_its_formula(reference):
    data = json.loads(
        ok("ab", "power", "--kind", "mean", "--delta", "0.5", "--no-strict", "-f", "json").stdout
    )
    assert data["n_per_group"] == pytest.approx(
        reference["power_t_test"]["n_for_d0.5_power0.8"], rel=RELATIVE
    )
    assert {"n_per_group", "power", "mde", "formula"} <= set(data)
    assert "power.t.test" in data["formula"]
    data = json.loads(
        ok("ab", "power", "--kind", "mean", "--delta", "1", "--n", "20", "-f", "json").stdout
    )
    assert data["power"] == pytest.approx(
        reference["power_t_test"]["power_n20_d1_strict"], rel=RELATIVE
    )
    oracle = reference["power_prop_test"]
    data = json.loads(
        ok(
            "ab", "power", "--kind", "proportion", "--baseline", str(oracle["p1"]),
            "--target", str(oracle["p2"]), "--no-strict", "-f", "json",
        ).stdout
    )  # fmt: skip
    assert data["n_per_group"] == pytest.approx(oracle["n_per_group"], rel=RELATIVE)
    assert "power.prop.test" in data["formula"]
    mde = json.loads(
        ok(
            "ab", "power", "--kind", "proportion", "--baseline", "0.1", "--n", "3841", "-f", "json"
        ).stdout
    )
    assert mde["mde"] == pytest.approx(0.02, abs=1e-4) and mde["power"] == 0.8
    bad = run("ab", "power", "--kind", "mean", "--delta", "1", "--n", "20", "--power", "0.8")
    assert bad.exit_code == 2 and "give all but one" in bad.stderr


def test_aa_on_stored_data_is_calibrated(store: Path):
    data = json.loads(
        ok("ab", "aa", "--store", str(store), "-n", "300", "-m", "sessions", "-f", "json").stdout
    )
    (result,) = data["results"]
    assert result["metric"] == "sessions" and result["n_simulations"] == 300
    low, high = result["ci"]
    assert low <= result["false_positive_rate"] <= high
    assert result["calibrated"] == (low <= 0.05 <= high)
    assert low <= 0.05 <= high  # Welch on 400 users' sessions: calibrated
    assert data["n_users"] == 400


def test_aa_from_a_table(tmp_path: Path):
    table = write_csv(tmp_path / "m.csv", "y\n" + "".join(f"{i % 13}\n" for i in range(200)))
    data = json.loads(
        ok("ab", "aa", "--table", str(table), "-m", "y", "-n", "200", "-f", "json").stdout
    )
    assert data["results"][0]["n_simulations"] == 200
    assert run("ab", "aa", "--table", str(table)).exit_code == 2


def test_survival_table_matches_r_survdiff(reference, tmp_path: Path):
    oracle = reference["logrank"]
    result = ok(
        "ab", "survival", "--table", str(ORACLES / "waltons.csv"), "--duration-col", "T",
        "--event-col", "E", "--variant-col", "group", "-f", "json",
        "--plot", str(tmp_path / "km.png"),
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert data["logrank"]["chi2"] == pytest.approx(oracle["chi2"], rel=RELATIVE)
    assert data["logrank"]["p_value"] == pytest.approx(oracle["p_value"], rel=RELATIVE)
    assert data["median"] == oracle["median_survival"]
    assert (tmp_path / "km.png").exists()


def test_survival_from_events_is_time_to_churn(store: Path):
    data = json.loads(
        ok(
            "ab", "survival", "onboarding", "--store", str(store), "--churn-days", "3", "-f", "json"
        ).stdout
    )
    assert set(data["median"]) == {"control", "treatment"}
    assert data["logrank"]["test"] == "log-rank"
    assert 0 <= data["logrank"]["p_value"] <= 1
    assert data["time"] == "days since assignment"


# ------------------------------------------------------------------ assign


def test_assign_is_deterministic_and_loadable(dataset_dir: Path, store: Path, tmp_path: Path):
    dataset = shutil.copytree(dataset_dir, tmp_path / "data")
    out = tmp_path / "assignments.csv"
    args = ["ab", "assign", "checkout", "--store", str(store), "--variants", "a,b,c"]
    args += ["--weights", "50,25,25", "--salt", "s1", "--assigned-at", "2026-03-01"]
    ok(*args, "--out", str(out))
    first = out.read_bytes()
    assert run(*args, "--out", str(out)).exit_code == 2  # no silent overwrite
    ok(*args, "--out", str(out), "--force")
    assert out.read_bytes() == first
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["experiment", "user_id", "variant", "assigned_at"]
    expected = assign(
        rows["user_id"], "checkout", salt="s1", variants=["a", "b", "c"], weights=[50, 25, 25]
    )
    assert rows["variant"].tolist() == expected.tolist()
    assert (rows["assigned_at"] == "2026-03-01T00:00:00Z").all()
    # the file joins the dataset and passes its validation, beside another experiment
    ok(*args, "--out", str(dataset / "assignments.csv"), "--append")
    loaded = load_dataset(dataset).assignments
    assert set(loaded["experiment"]) == {"onboarding", "checkout"}


def test_assign_from_a_users_file_to_stdout(tmp_path: Path):
    users = write_csv(tmp_path / "users.csv", "user_id,country\nu1,US\nu2,DE\nu3,FR\n")
    result = ok(
        "ab", "assign", "exp", "--users", str(users), "--assigned-at", "2026-01-01", "--out", "-"
    )
    rows = pd.read_csv(io.StringIO(result.stdout))
    assert rows["user_id"].tolist() == ["u1", "u2", "u3"]
    assert "control:" in result.stderr


# ------------------------------------------------------------------ both stores


def expected_analysis(dataset_dir: Path) -> dict:
    """`ab analyze onboarding` computed from the files themselves, with no store at all."""
    dataset = load_dataset(dataset_dir)
    assignments = dataset.assignments[dataset.assignments["experiment"] == "onboarding"]
    derived = experiment_metrics(assignments, dataset.events, DEFAULT_METRICS)
    data = workflow.ExperimentData(
        derived.table, derived.metrics, "variant", "onboarding", "store",
        derived.post_days, derived.pre_days, derived.notes,
    )  # fmt: skip
    return json.loads(to_json(workflow.analyze(data).to_dict()))


def store_args(store_kind: str, empty_store) -> tuple[list[str], dict]:
    if store_kind == "local":
        return ["--store", str(empty_store.folder)], {}
    settings = neo4j_test_settings()
    assert settings is not None
    return ["--neo4j", settings.neo4j_uri], {"GRAPHKIT_NEO4J_PASSWORD": settings.neo4j_password}


def test_analyze_is_identical_on_both_stores(store_kind, empty_store, dataset_dir: Path, tmp_path):
    args, env = store_args(store_kind, empty_store)
    empty_store.load(load_dataset(dataset_dir))
    result = ok("ab", "analyze", "onboarding", *args, "-f", "json", env=env)
    assert json.loads(result.stdout) == expected_analysis(dataset_dir)
    segments = ok(
        "ab", "segments", "onboarding", *args, "-m", "sessions", "--by", "degree",
        "--by", "community", "-f", "json", env=env,
    )  # fmt: skip
    survival = ok("ab", "survival", "onboarding", *args, "-f", "json", env=env)
    # the same numbers on the other store: compared through a fresh embedded store
    reference_store = tmp_path / "reference"
    ok("load", str(dataset_dir), "--store", str(reference_store))
    local = ["--store", str(reference_store)]
    assert segments.stdout == ok(
        "ab", "segments", "onboarding", *local, "-m", "sessions", "--by", "degree",
        "--by", "community", "-f", "json",
    ).stdout  # fmt: skip
    assert survival.stdout == ok("ab", "survival", "onboarding", *local, "-f", "json").stdout


# ------------------------------------------------------------------ plans, weights, monitor

THREE_WAY_PLAN = """\
experiment = "threeway"
control = "control"
alpha = 0.05
mde = 0.05

[weights]
control = 50
a = 25
b = 25

[windows]
post_days = 14
pre_days = 14

[metrics]
primary = ["sessions"]
secondary = ["time_spent"]
guardrail = ["events"]

[guardrails]
events = 0.2
"""


@pytest.fixture(scope="module")
def three_way_store(tmp_path_factory) -> Path:
    """A 50/25/25 split, simulated with the planned weights and loaded."""
    folder = tmp_path_factory.mktemp("threeway") / "data"
    network = simulate_network(1200, seed=4)
    experiment = simulate_experiment(
        network,
        experiment="threeway",
        seed=4,
        variants=["control", "a", "b"],
        weights=[50, 25, 25],
        effects={"sessions": 0.2},
    )
    write_dataset(network, folder)
    write_dataset(experiment, folder)
    store = tmp_path_factory.mktemp("threeway") / "store"
    ok("load", str(folder), "--store", str(store))
    return store


def report_summary(path: Path) -> list[str]:
    report = json.loads(path.read_text())
    (summary,) = [s for s in report["sections"] if s["title"] == "Summary"]
    return summary["blocks"][0]["items"]


def test_a_planned_50_25_25_split_is_reported_as_planned(three_way_store: Path, tmp_path: Path):
    store = ["--store", str(three_way_store)]
    plain = tmp_path / "plain.json"
    ok("report", "experiment", "threeway", *store, "-m", "sessions", "--out", str(plain))
    # without the plan, equal shares are expected and the correct split looks broken
    assert report_summary(plain)[0].startswith("Sample ratio mismatch")
    weighted = tmp_path / "weighted.json"
    ok(
        "report", "experiment", "threeway", *store, "-m", "sessions",
        "--weights", "control=50,a=25,b=25", "--out", str(weighted),
    )  # fmt: skip
    assert report_summary(weighted)[0].startswith("The split is as planned")
    plan = write_csv(tmp_path / "experiment.toml", THREE_WAY_PLAN)
    planned = tmp_path / "planned.json"
    ok("report", "experiment", "threeway", *store, "--config", str(plan), "--out", str(planned))
    sentences = report_summary(planned)
    assert sentences[0].startswith("The split is as planned")
    assert any(s.startswith("sessions (primary, a vs control)") for s in sentences)
    assert any("guardrail" in s for s in sentences)
    # the analysis of the same file reports the same SRM p-value
    analysis = json.loads(ok("ab", "analyze", "--config", str(plan), *store, "-f", "json").stdout)
    report = json.loads(planned.read_text())
    assert analysis["srm"]["p_value"] == pytest.approx(report["facts"]["srm_p_value"])
    assert analysis["srm"]["flag"] is False
    roles = {(c["metric"], c["treatment"]): c["verdict"]["role"] for c in analysis["comparisons"]}
    assert roles[("events", "a")] == "guardrail" and roles[("sessions", "b")] == "primary"
    assert analysis["settings"]["weights"] == {"control": 50.0, "a": 25.0, "b": 25.0}
    # an option contradicting the file is refused, naming both
    clash = run("ab", "analyze", "--config", str(plan), *store, "--alpha", "0.1")
    assert clash.exit_code != 0 and "alpha is 0.05 in" in clash.stderr


def test_a_bad_definition_file_names_its_line(tmp_path: Path):
    plan = write_csv(tmp_path / "bad.toml", THREE_WAY_PLAN.replace("alpha = 0.05", "alpha = 2"))
    result = run("ab", "analyze", "--config", str(plan), "--store", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert "bad.toml, line 3, column 'alpha'" in result.stderr
    typo = write_csv(
        tmp_path / "typo.toml", THREE_WAY_PLAN.replace("post_days = 14", "post_dyas = 14")
    )
    result = run("ab", "analyze", "--config", str(typo), "--store", str(tmp_path / "none"))
    assert "typo.toml, line 12, column 'windows.post_dyas'" in result.stderr
    assert "unknown key" in result.stderr


def test_monitor_replays_day_by_day(store: Path):
    result = ok(
        "ab", "monitor", "onboarding", "--store", str(store), "--every", "7d",
        "-m", "sessions", "-f", "json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    looks = data["looks"]
    assert [look["look"] for look in looks] == list(range(1, len(looks) + 1))
    assert len(looks) >= 3
    assert data["sequential_tuning"] == 5000
    for look in looks:
        if look["cs_low"] is not None:
            # the confidence sequence always contains the fixed-horizon interval
            assert look["cs_low"] <= look["ci_low"] and look["cs_high"] >= look["ci_high"]
    valid = [look["always_valid_p"] for look in looks if look["always_valid_p"] is not None]
    assert valid == sorted(valid, reverse=True)  # a running minimum
    assert [look["n"] for look in looks] == sorted(look["n"] for look in looks)


def test_analyze_sequential_mde_and_capping_flags(store: Path):
    result = ok(
        "ab", "analyze", "onboarding", "--store", str(store), "--sequential", "--mde", "0.1",
        "--cap", "0.99", "--guardrail", "events=0.5", "-f", "json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    by_metric = {c["metric"]: c for c in data["comparisons"]}
    for item in data["comparisons"]:
        verdict = item["verdict"]
        assert verdict["sequential"]["tuning"] == 5000
        assert verdict["p_value"] == pytest.approx(verdict["sequential"]["p_value"])
        assert verdict["target_mde"] == 0.1 and 0 <= verdict["power_at_target"] <= 1
        assert item["capped_at"] is not None
    assert by_metric["events"]["verdict"]["role"] == "guardrail"
    assert by_metric["events"]["verdict"]["guardrail"]["margin"] == 0.5
    assert data["guardrails"] is not None


def test_assign_with_strata_balances_each_stratum(tmp_path: Path, store: Path):
    lines = "".join(
        f"u{i},{['US', 'DE', 'FR'][i % 3]},{['ios', 'android'][i % 2]}\n" for i in range(120)
    )
    users = write_csv(tmp_path / "users.csv", "user_id,country,os\n" + lines)
    args = ["ab", "assign", "exp", "--users", str(users), "--assigned-at", "2026-01-01"]
    result = ok(*args, "--strata", "country,os", "--out", "-")
    rows = pd.read_csv(io.StringIO(result.stdout)).merge(pd.read_csv(users), on="user_id")
    counts = rows.groupby(["country", "os"])["variant"].value_counts().unstack()
    assert (counts["control"] == counts["treatment"]).all()  # 20 per stratum: 10 and 10
    assert ok(*args, "--strata", "country,os", "--out", "-").stdout == result.stdout
    missing = run(*args, "--strata", "city", "--out", "-")
    assert missing.exit_code == 2 and "city" in missing.stderr
    by_degree = ok(
        "ab", "assign", "exp", "--store", str(store), "--strata", "degree_bucket",
        "--assigned-at", "2026-01-01", "--out", "-",
    )  # fmt: skip
    assert len(pd.read_csv(io.StringIO(by_degree.stdout))) == 400


def test_ratio_metric_from_events(store: Path):
    args = ["ab", "analyze", "onboarding", "--store", str(store), "-f", "json"]
    ratio = json.loads(ok(*args, "-m", "vps=ratio:view/session").stdout)["comparisons"][0]
    counts = json.loads(ok(*args, "-m", "views=count:view", "-m", "visits=count:session").stdout)[
        "comparisons"
    ]
    views, visits = counts
    assert ratio["metric"] == "vps" and ratio["kind"] == "ratio"
    assert ratio["test"] == "ratio z-test (delta method)"
    # Σ views / Σ sessions per arm = the ratio of the two per-user means (same users)
    for arm in ("control", "treatment"):
        expected = views[f"mean_{arm}"] / visits[f"mean_{arm}"]
        assert ratio[f"mean_{arm}"] == pytest.approx(expected)
    excludes = ratio["diff_ci"][0] > 0 or ratio["diff_ci"][1] < 0
    assert excludes == (ratio["p_value"] < 0.05)
    assert ratio["cuped"] is None and ratio["verdict"]["adjustment"] == "none"


def test_monitor_unknown_arm_is_exit_2_listing_the_arms(store: Path):
    # It used to be exit 4 "no look had users in both arms".
    result = run(
        "ab", "monitor", "onboarding", "--store", str(store), "-m", "sessions", "--control", "ctrl"
    )  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "'ctrl'" in result.stderr and "variants found: control, treatment" in result.stderr


def test_analyze_help_names_ratio_metrics():
    # Ratio metrics worked but --help listed only sum, count and conversion.
    result = run("ab", "analyze", "--help", env={"COLUMNS": "400"})
    assert result.exit_code == 0
    assert "NAME=ratio:NUM_EVENT/DEN_EVENT" in result.stdout


def test_verdict_table_says_not_significant_and_no_test(tmp_path: Path):
    # The verdict column showed "—" both for a test that found nothing and for no test.
    rows = ["user_id,variant,flat,y"] + [
        f"u{i},{'treatment' if i % 2 else 'control'},5,{(i * 7919) % 13}" for i in range(200)
    ]
    table = write_csv(tmp_path / "t.csv", "\n".join(rows) + "\n")
    result = ok(
        "ab", "analyze", "--table", str(table), "--variant-col", "variant", "-m", "y",
        "-m", "flat", "--guardrail", "flat", env={"COLUMNS": "250"},
    )  # fmt: skip
    verdicts = result.stdout.split("Verdicts", 1)[1]
    y_row = next(line for line in verdicts.splitlines() if line.startswith("│ y "))
    flat_row = next(line for line in verdicts.splitlines() if line.startswith("│ flat "))
    assert "not significant" in y_row
    assert "not tested" in flat_row
    assert "not tested (no estimate): flat" in result.stdout
