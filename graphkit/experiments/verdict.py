"""The verdict of one comparison: estimate, CI, p-value, power and MDE from one model.

A :class:`Verdict` is what a reader acts on. It is built from one
:class:`~graphkit.experiments.inference.Estimate` — the CUPED-adjusted one when CUPED is
on and available, the regression-adjusted one when covariates were given, else the
metric's own model — so its CI excludes zero exactly when its p-value is below α.
``significant`` uses the p-value adjusted across the primary and secondary verdicts with
the correction actually used, and :func:`verdict_sentence` writes the words from the
same numbers (method names included), so text and table cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from graphkit.experiments.inference import (
    Bayesian,
    Estimate,
    Guardrail,
    Interval,
    Sequential,
    bayesian,
    guardrail,
    sequential,
)
from graphkit.experiments.settings import DEFAULT_GUARDRAIL_MARGIN, AnalysisSettings, Role


@dataclass(frozen=True)
class Verdict:
    """What one comparison concludes, and how sure it can be.

    Attributes
    ----------
    role : {"primary", "secondary", "guardrail"}
    adjustment : {"none", "CUPED", "regression"}
        Which estimate the verdict uses.
    model : str
        The model behind every number of the verdict.
    estimate, ci : float, (float, float) or None
        Effect per user (treatment − control) and its ``1 - alpha`` interval (the
        confidence sequence when sequential).
    relative, relative_ci : float, (float, float) or None
        The same relative to the control mean.
    p_value, p_adjusted : float or None
        Two-sided p-value (always valid when sequential) and its adjusted value.
    significant : bool
        ``p_adjusted < alpha`` (guardrails: never; see ``guardrail``).
    sequential : Sequential or None
        The always-valid result when sequential testing is on.
    power : float
        The power at which the MDE is given.
    mde_absolute, mde_relative : float or None
        Smallest effect (per user / relative) detected with probability ``power``.
    target_mde, power_at_target : float or None
        The relative effect the user cares about and the power to detect it.
    bayes : Bayesian or None
        Chance to win, expected loss, credible interval.
    guardrail : Guardrail or None
        Non-inferiority test, for guardrail metrics.
    higher_is_better : bool
    n : int
        Users in both arms.
    """

    role: Role
    adjustment: str
    model: str
    estimate: float | None
    ci: Interval | None
    relative: float | None
    relative_ci: Interval | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    sequential: Sequential | None
    power: float
    mde_absolute: float | None
    mde_relative: float | None
    target_mde: float | None
    power_at_target: float | None
    bayes: Bayesian | None
    guardrail: Guardrail | None
    higher_is_better: bool
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``verdict`` of each comparison in ``ab analyze --format json``)."""
        return {
            "role": self.role,
            "adjustment": self.adjustment,
            "model": self.model,
            "estimate": _finite(self.estimate),
            "ci": _pair(self.ci),
            "relative": _finite(self.relative),
            "relative_ci": _pair(self.relative_ci),
            "p_value": _finite(self.p_value),
            "p_adjusted": _finite(self.p_adjusted),
            "significant": self.significant,
            "sequential": None
            if self.sequential is None
            else {
                "p_value": self.sequential.p_value,
                "interval": list(self.sequential.interval),
                "n": self.sequential.n,
                "tuning": self.sequential.tuning,
                "rho2": self.sequential.rho2,
            },
            "power": self.power,
            "mde_absolute": _finite(self.mde_absolute),
            "mde_relative": _finite(self.mde_relative),
            "target_mde": self.target_mde,
            "power_at_target": _finite(self.power_at_target),
            "bayes": None
            if self.bayes is None
            else {
                "chance_to_win": self.bayes.chance_to_win,
                "expected_loss": self.bayes.expected_loss,
                "credible_interval": list(self.bayes.interval),
                "prior": self.bayes.prior,
            },
            "guardrail": None
            if self.guardrail is None
            else {
                "margin": self.guardrail.margin,
                "bound": self.guardrail.bound,
                "p_value": self.guardrail.p_value,
                "status": self.guardrail.status,
            },
            "higher_is_better": self.higher_is_better,
            "n": self.n,
        }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _pair(interval: Interval | None) -> list[float] | None:
    if interval is None or not all(math.isfinite(v) for v in interval):
        return None
    return [interval[0], interval[1]]


def _map(estimate: Estimate, interval: Interval, how: str) -> Interval | None:
    convert = estimate.absolute if how == "absolute" else estimate.relative
    low, high = convert(interval[0]), convert(interval[1])
    return None if low is None or high is None else (low, high)


def build_verdict(
    estimate: Estimate | None,
    *,
    n: int,
    settings: AnalysisSettings,
    role: Role,
    adjustment: str,
    higher_is_better: bool = True,
    metric: str = "",
    fallback_p: float | None = None,
    fallback_model: str | None = None,
    fallback_estimate: float | None = None,
) -> Verdict:
    """The verdict of one comparison from its chosen estimate (before correction).

    ``fallback_*`` describe a test without an estimate of the effect's scale (a rank
    test): the verdict then has its p-value and no interval, MDE or Bayesian result.
    """
    alpha = settings.alpha
    if estimate is None:
        return Verdict(
            role=role,
            adjustment=adjustment,
            model=fallback_model or "no model",
            estimate=fallback_estimate,
            ci=None,
            relative=None,
            relative_ci=None,
            p_value=fallback_p,
            p_adjusted=None,
            significant=False,
            sequential=None,
            power=settings.power,
            mde_absolute=None,
            mde_relative=None,
            target_mde=settings.mde,
            power_at_target=None,
            bayes=None,
            guardrail=None,
            higher_is_better=higher_is_better,
            n=n,
        )
    look = (
        sequential(estimate, n, alpha, settings.sequential_tuning) if settings.sequential else None
    )
    interval = look.interval if look is not None else estimate.ci(alpha)
    p_value = look.p_value if look is not None else estimate.p_value()
    # Power and MDE of the test actually used: a sequential test rejects only beyond its
    # (wider) confidence-sequence boundary, here at this look's sample size.
    critical = None
    if look is not None:
        critical = (look.interval[1] - estimate.value - estimate.continuity) / estimate.stderr
    mde = estimate.mde(alpha, settings.power, critical=critical)
    target = None
    if settings.mde is not None:
        effect = estimate.from_relative(settings.mde)
        target = estimate.power_at(effect, alpha, critical=critical) if effect is not None else None
    margin = settings.guardrails.get(metric, DEFAULT_GUARDRAIL_MARGIN)
    return Verdict(
        role=role,
        adjustment=adjustment,
        model=estimate.model + (" with an always-valid confidence sequence" if look else ""),
        estimate=estimate.absolute(estimate.value),
        ci=_map(estimate, interval, "absolute"),
        relative=estimate.relative(estimate.value),
        relative_ci=_map(estimate, interval, "relative"),
        p_value=p_value,
        p_adjusted=None,
        significant=False,
        sequential=look,
        power=settings.power,
        mde_absolute=estimate.absolute(mde),
        mde_relative=estimate.relative(mde),
        target_mde=settings.mde,
        power_at_target=target,
        bayes=bayesian(estimate, alpha, settings.prior, higher_is_better=higher_is_better),
        guardrail=guardrail(estimate, margin, alpha, higher_is_better=higher_is_better)
        if role == "guardrail"
        else None,
        higher_is_better=higher_is_better,
        n=n,
    )


def with_adjusted(verdict: Verdict, p_adjusted: float | None, alpha: float) -> Verdict:
    significant = p_adjusted is not None and p_adjusted < alpha and verdict.role != "guardrail"
    return replace(verdict, p_adjusted=p_adjusted, significant=significant)


# ------------------------------------------------------------------------- words


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.3g}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{100 * value:+.1f}%"


def _p(value: float | None) -> str:
    """``= 0.0123`` or ``< 0.0001``: written after "p" or "adjusted p"."""
    if value is None or not math.isfinite(value):
        return "= n/a"
    return "< 0.0001" if value < 0.0001 else f"= {value:.3g}"


ADJUSTMENT_WORDS = {
    "none": "",
    "CUPED": "CUPED-adjusted ",
    "regression": "regression-adjusted ",
}


def verdict_sentence(
    metric: str,
    treatment: str,
    control: str,
    verdict: Verdict,
    *,
    alpha: float,
    correction: str,
    n_tests: int,
) -> str:
    """One paragraph a reader can act on, every number taken from ``verdict``."""
    level = f"{1 - alpha:.0%}"
    kind = "confidence sequence" if verdict.sequential is not None else "CI"
    head = (
        f"{metric} ({verdict.role}, {treatment} vs {control}), "
        f"{ADJUSTMENT_WORDS.get(verdict.adjustment, '')}{verdict.model}: "
    )
    if verdict.ci is not None:
        head += (
            f"{_percent(verdict.relative)} ({_number(verdict.estimate)} per user, {level} {kind} "
            f"{_number(verdict.ci[0])} to {_number(verdict.ci[1])}), p {_p(verdict.p_value)}"
        )
    else:
        head += f"{_number(verdict.estimate)} per user, p {_p(verdict.p_value)}"
    if verdict.role == "guardrail":
        return head + "; " + guardrail_words(metric, verdict) + "."
    if verdict.p_value is None:
        # Nothing was tested (an arm constant or empty): "not significant" would read as
        # evidence of no effect.
        return head + "; no test could be computed (see the notes)."
    corrected = n_tests > 1
    if verdict.significant:
        body = "significant" + (
            f" after {correction} correction across {n_tests} comparisons "
            f"(adjusted p {_p(verdict.p_adjusted)})"
            if corrected
            else f" at α = {alpha:g}"
        )
    else:
        body = "not significant" + (
            f" after {correction} correction across {n_tests} comparisons "
            f"(adjusted p {_p(verdict.p_adjusted)})"
            if corrected
            else f" at α = {alpha:g}"
        )
        if corrected and verdict.p_value is not None and verdict.p_value < alpha:
            body += f" although the unadjusted {kind} excludes zero"
        body += "; " + power_words(verdict)
    text = f"{head}; {body}."
    if verdict.bayes is not None:
        text += (
            f" Chance to beat {control}: {verdict.bayes.chance_to_win:.1%} "
            f"(expected loss {verdict.bayes.expected_loss:.2%}"
            + ("; not adjusted for peeking" if verdict.sequential is not None else "")
            + ")."
        )
    return text


def power_words(verdict: Verdict) -> str:
    """Whether a non-significant test could have seen an effect of the size that matters."""
    if verdict.mde_relative is None and verdict.mde_absolute is None:
        return "no minimum detectable effect could be computed"
    size = (
        f"±{abs(verdict.mde_relative):.1%}"
        if verdict.mde_relative is not None
        else f"±{abs(verdict.mde_absolute or 0):.3g} per user"
    )
    test = "the sequential test at this look" if verdict.sequential is not None else "the test"
    text = f"with these users and variances {test} detects {size} with {verdict.power:.0%} power"
    if verdict.target_mde is None or verdict.power_at_target is None:
        return text + ", so smaller effects may have been missed"
    if verdict.power_at_target >= verdict.power:
        return (
            text + f": it could have seen the {verdict.target_mde:.1%} that matters "
            f"(power {verdict.power_at_target:.0%}), so an effect that large is unlikely"
        )
    return (
        text + f": it could not reliably see the {verdict.target_mde:.1%} that matters "
        f"(power {verdict.power_at_target:.0%}), so this is not evidence of no effect"
    )


def guardrail_words(metric: str, verdict: Verdict) -> str:
    check = verdict.guardrail
    if check is None:
        return "guardrail not tested: no estimate could be computed (see the notes)"
    margin = f"{check.margin:.1%}"
    if check.status == "ok":
        return f"guardrail holds: harm beyond {margin} is ruled out (p {_p(check.p_value)})"
    if check.status == "harmed":
        return f"guardrail harmed: {metric} is significantly worse than control"
    return f"guardrail inconclusive: harm beyond {margin} is not ruled out (p {_p(check.p_value)})"
