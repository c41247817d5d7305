"""assign_variant and assign: deterministic salted-hash splitting."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.errors import ConfigError
from graphkit.experiments.assignment import (
    assign,
    assign_stratified,
    assign_variant,
    hash_to_unit,
)
from graphkit.experiments.proportions import chi_square_independence

REPO = Path(__file__).resolve().parents[2]
USERS = [f"user-{i}" for i in range(20_000)]

# sha256(b"salt:exp1:alice") starts 82897e27354a7b91; its top 53 bits / 2**53:
EXPECTED_UNIT = 4592865236134223 / 2**53  # 0.5099104734156671
EXPECTED_VARIANTS = ["treatment", "control", "control", "treatment", "treatment"]


def test_regression_values():
    # Computed once with this implementation; a change here re-randomises every
    # running experiment, so it must never happen silently.
    assert hash_to_unit("alice", "exp1", "salt") == pytest.approx(EXPECTED_UNIT, abs=0)
    assert assign(["alice", "bob", "carol", "dave", 7], "exp1", salt="salt").tolist() == (
        EXPECTED_VARIANTS
    )


def test_same_answer_in_a_fresh_process_with_another_hash_seed():
    code = (
        "from graphkit.experiments.assignment import assign;"
        "print(','.join(assign([f'u{i}' for i in range(50)], 'exp', salt='x')))"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    ).stdout.strip()
    assert output.split(",") == assign([f"u{i}" for i in range(50)], "exp", salt="x").tolist()


def test_vectorised_and_scalar_agree():
    ids = USERS[:300]
    frame = assign(ids, "exp2", salt="k", variants=["a", "b", "c"], weights=[1, 2, 3])
    assert frame.tolist() == [
        assign_variant(user, "exp2", salt="k", variants=["a", "b", "c"], weights=[1, 2, 3])
        for user in ids
    ]
    assert frame.name == "variant" and frame.index.name == "user_id"
    assert list(frame.index) == ids


def test_ids_are_compared_as_text():
    assert assign_variant(42, "exp") == assign_variant("42", "exp")


def test_salt_and_experiment_reshuffle():
    base = assign(USERS[:2000], "exp")
    assert (base != assign(USERS[:2000], "exp", salt="v2")).mean() == pytest.approx(0.5, abs=0.05)
    other = assign(USERS[:2000], "other-exp")
    table = pd.crosstab(base, other).to_numpy()
    assert chi_square_independence(table).p_value > 0.001  # independent splits


def test_ramping_up_only_moves_users_into_treatment():
    small = assign(USERS[:5000], "ramp", weights=[90, 10])
    large = assign(USERS[:5000], "ramp", weights=[50, 50])
    assert (large[small == "treatment"] == "treatment").all()


def test_zero_weight_variant_gets_nobody():
    result = assign(USERS[:5000], "exp", variants=["a", "b", "c"], weights=[1, 0, 1])
    assert "b" not in set(result)


@pytest.mark.parametrize(
    ("variants", "weights"),
    [
        (["a", "a"], None),
        (["a", "b"], [1]),
        (["a", "b"], [1, -1]),
        (["a", "b"], [0, 0]),
        ([], None),
    ],
)
def test_invalid_configuration(variants, weights):
    with pytest.raises(ConfigError):
        assign_variant("u", "exp", variants=variants, weights=weights)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=2, max_size=4), st.text(max_size=8))
def test_shares_match_the_weights(weights, salt):
    variants = [f"v{i}" for i in range(len(weights))]
    result = assign(USERS, "prop", salt=salt, variants=variants, weights=weights)
    shares = result.value_counts(normalize=True)
    for variant, weight in zip(variants, weights, strict=True):
        expected = weight / sum(weights)
        stderr = math.sqrt(expected * (1 - expected) / len(USERS))
        assert abs(shares.get(variant, 0.0) - expected) < 5 * stderr


# ------------------------------------------------------------------ stratified


def test_stratified_split_is_balanced_in_every_stratum_and_reproducible():
    rng = np.random.default_rng(0)
    ids = [f"user{i}" for i in range(3000)]
    countries = rng.choice(["DE", "FR", "US"], 3000)
    systems = rng.choice(["ios", "android"], 3000)
    strata = [f"{c}|{o}" for c, o in zip(countries, systems, strict=True)]
    split = assign_stratified(ids, strata, "exp", salt="s", weights=[50, 25, 25],
                              variants=["control", "a", "b"])  # fmt: skip
    table = pd.DataFrame({"stratum": strata, "variant": split.to_numpy()})
    for _, group in table.groupby("stratum"):
        counts = group["variant"].value_counts()
        n = len(group)
        planned = {"control": n / 2, "a": n / 4, "b": n / 4}
        for arm, expected in planned.items():
            assert abs(counts.get(arm, 0) - expected) <= 1  # exact up to rounding
    again = assign_stratified(ids, strata, "exp", salt="s", weights=[50, 25, 25],
                              variants=["control", "a", "b"])  # fmt: skip
    assert again.tolist() == split.tolist()
    # input order does not matter: the hash order decides within a stratum
    shuffled = rng.permutation(3000)
    reordered = assign_stratified([ids[i] for i in shuffled], [strata[i] for i in shuffled],
                                  "exp", salt="s", weights=[50, 25, 25],
                                  variants=["control", "a", "b"])  # fmt: skip
    assert reordered.loc[ids].tolist() == split.tolist()
    # another salt reshuffles
    other = assign_stratified(ids, strata, "exp", salt="t", weights=[50, 25, 25],
                              variants=["control", "a", "b"])  # fmt: skip
    assert (other.to_numpy() != split.to_numpy()).mean() > 0.3


def test_stratified_split_is_closer_to_plan_than_the_plain_hash():
    ids = [f"u{i}" for i in range(400)]
    strata = [f"s{i % 40}" for i in range(400)]  # 40 small strata of 10
    plain = pd.DataFrame({"s": strata, "v": assign(ids, "exp").to_numpy()})
    balanced = pd.DataFrame({"s": strata, "v": assign_stratified(ids, strata, "exp").to_numpy()})

    def worst(frame):
        return max(abs((g["v"] == "control").sum() - len(g) / 2) for _, g in frame.groupby("s"))

    assert worst(balanced) == 0 < worst(plain)
