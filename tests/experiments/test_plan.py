"""Experiment definition files: what they hold, and errors that point at the line."""

from __future__ import annotations

import pytest

from graphkit.errors import ConfigError, DataError
from graphkit.experiments.plan import line_of, parse_plan
from graphkit.workflows.experiments import resolve_analysis

PLAN = """\
experiment = "checkout"
alpha = 0.1
correction = "bh"
mde = 0.03
sequential = true
prior_sd = 0.3

[weights]
control = 2
new = 1

[windows]
post_days = 7

[metrics]
primary = ["sessions"]
secondary = ["ctr=ratio:click/view"]
guardrail = ["events", "time_spent"]
lower_is_better = ["events"]

[guardrails]
events = 0.05
"""


def test_a_plan_holds_every_choice():
    plan = parse_plan(PLAN, "checkout.toml")
    assert plan.experiment == "checkout"
    assert plan.metrics == ("sessions", "ctr=ratio:click/view", "events", "time_spent")
    assert (plan.post_days, plan.pre_days) == (7.0, 14.0)
    analysis = plan.analysis
    assert (analysis.alpha, analysis.correction, analysis.mde) == (0.1, "bh", 0.03)
    assert analysis.sequential and analysis.prior.sd == 0.3
    assert dict(analysis.weights) == {"control": 2.0, "new": 1.0}
    assert dict(analysis.guardrails) == {"events": 0.05, "time_spent": 0.01}
    assert analysis.primary == ("sessions",)
    assert analysis.lower_is_better == frozenset({"events"})
    assert analysis.role("ctr", ["sessions", "ctr", "events"]) == "secondary"


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (("alpha = 0.1", 'alpha = "high"'), "line 2, column 'alpha'", "wrong type"),
        (("mde = 0.03", "mde = -1"), "line 4, column 'mde'", "mde must be"),
        (("control = 2", "control = -2"), "column 'weights", "weights must be"),
        (("post_days = 7", "post_days = 0"), "line 13, column 'windows.post_days'", "> 0"),
        (("events = 0.05", "clicks = 0.05"), "line 22, column 'guardrails.clicks'", "not a"),
        (('primary = ["sessions"]', "primary = 3"), "line 16, column 'metrics.primary'", "list"),
        (("alpha = 0.1", "alpah = 0.1"), "line 2, column 'alpah'", "unknown key"),
        (("[windows]", "[windows"), "line 12", "not valid TOML"),
    ],
)
def test_errors_name_the_file_line_and_key(change, where, words):
    with pytest.raises(DataError) as caught:
        parse_plan(PLAN.replace(*change), "checkout.toml")
    message = str(caught.value)
    assert message.startswith(f"checkout.toml, {where}") and words in message


def test_a_plan_needs_a_primary_metric():
    with pytest.raises(DataError, match="no primary metric"):
        parse_plan('experiment = "x"\n[metrics]\nsecondary = ["a"]\n', "p.toml")


def test_options_may_repeat_the_plan_but_not_contradict_it():
    plan = parse_plan(PLAN, "checkout.toml")
    assert resolve_analysis(plan, alpha=0.1, correction=None) is plan.analysis
    with pytest.raises(ConfigError, match=r"alpha is 0.1 in checkout.toml but 0.05"):
        resolve_analysis(plan, alpha=0.05)
    with pytest.raises(ConfigError, match="weights"):
        resolve_analysis(plan, weights={"control": 1, "new": 1})
    assert resolve_analysis(None, alpha=0.2).alpha == 0.2


def test_line_of_finds_keys_in_their_table():
    text = "a = 1\n[x]\na = 2\n\n[y]\n# a = 3\n"
    assert line_of(text, None, "a") == 1
    assert line_of(text, "x", "a") == 3
    assert line_of(text, "y", "a") == 5  # not on a line of its own: the table's header
    assert line_of(text, "z", "a") is None
