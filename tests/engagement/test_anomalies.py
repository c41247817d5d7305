"""Anomaly rules by hand, detection quality on simulated data, webhook alerts."""

from __future__ import annotations

import math
import socket

import numpy as np
import pandas as pd
import pytest

from graphkit.engagement.anomalies import (
    AlertNotDelivered,
    alert_payload,
    bands,
    detect_anomalies,
    post_alert,
)
from graphkit.errors import ConfigError, InsufficientData
from graphkit.simulate import simulate_events, simulate_network
from tests.engagement.conftest import log_from_simulation, log_from_text
from tests.engagement.hand_data import EVENTS, USERS
from tests.engagement.webhook_server import webhook_server

VALUES = pd.Series([10.0, 12, 11, 13, 12, 50])


def test_sigma_band_by_hand() -> None:
    table = bands(VALUES, rule="sigma", k=3, window=5, min_history=3)
    assert not table["checked"].iloc[:3].any()  # fewer than 3 earlier values
    # Day 3: history 10, 12, 11 -> mean 11, SD 1 -> [8, 14].
    assert (table["low"].iloc[3], table["high"].iloc[3]) == pytest.approx((8.0, 14.0))
    # Day 5: history 10, 12, 11, 13, 12 -> mean 11.6, SD sqrt(1.3).
    assert table["expected"].iloc[5] == pytest.approx(11.6)
    assert table["high"].iloc[5] == pytest.approx(11.6 + 3 * math.sqrt(1.3))
    assert table["flagged"].tolist() == [False] * 5 + [True]
    assert table["direction"].iloc[5] == "high"


def test_iqr_fences_by_hand() -> None:
    table = bands(VALUES, rule="iqr", k=1.5, window=5, min_history=3)
    # Day 5: sorted history 10, 11, 12, 12, 13 -> Q1 11, median 12, Q3 12 (type 7).
    assert table["expected"].iloc[5] == 12.0
    assert (table["low"].iloc[5], table["high"].iloc[5]) == (9.5, 13.5)
    assert bool(table["flagged"].iloc[5])


def test_the_current_day_is_not_in_its_own_baseline() -> None:
    spiked = VALUES.copy()
    spiked.iloc[5] = 1000.0
    before = bands(VALUES, rule="sigma", k=3, window=5, min_history=3)
    after = bands(spiked, rule="sigma", k=3, window=5, min_history=3)
    assert after["high"].iloc[5] == before["high"].iloc[5]


def test_low_values_are_flagged_low() -> None:
    table = bands(pd.Series([10.0, 11, 10, 11, 10, 1]), rule="sigma", k=3, window=5, min_history=3)
    assert table["direction"].tolist()[-1] == "low"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"rule": "zscore"}, "unknown rule"),
        ({"k": 0.0}, "--k must be a positive number"),
        ({"window": 1}, "--window must be at least 2"),
        ({"min_history": 20}, "--min-history must be between 2 and --window"),
    ],
)
def test_bad_band_parameters(kwargs: dict[str, object], fragment: str) -> None:
    params: dict[str, object] = {"rule": "sigma", "k": 3.0, "window": 5, "min_history": 3}
    params.update(kwargs)
    with pytest.raises(ConfigError, match=fragment):
        bands(VALUES, **params)  # type: ignore[arg-type]


def test_unknown_metric_and_event_are_config_errors() -> None:
    log = log_from_text(USERS, EVENTS)
    with pytest.raises(ConfigError, match="unknown metric 'daus'") as info:
        detect_anomalies(log, "daus")
    assert "event:NAME" in (info.value.hint or "")
    with pytest.raises(ConfigError, match="no event named 'purchase'") as info:
        detect_anomalies(log, "event:purchase")
    assert "click, like, message, session, view" in (info.value.hint or "")


def test_too_little_history_is_insufficient_data() -> None:
    log = log_from_text(USERS, EVENTS)  # eight days: none has 8 earlier values
    with pytest.raises(InsufficientData, match="has 8 earlier values"):
        detect_anomalies(log, "dau", min_history=8, window=14)


def test_event_counts_and_notes_for_unjudged_days() -> None:
    log = log_from_text(USERS, EVENTS)
    report = detect_anomalies(log, "event:view", window=3, min_history=2)
    assert report.series["value"].tolist() == [1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 2.0]
    assert any("not judged" in note for note in report.notes)


# --------------------------------------------------------------------- detection quality


def detection_figures(metric: str, rule: str) -> tuple[float, float, int, int]:
    """Precision and recall against the simulator's injected anomalies (6 datasets)."""
    true_positives = flagged = injected = 0
    for seed in range(6):
        sim = simulate_network(1000, seed=seed)
        events = simulate_events(sim, n_anomalies=4)
        truth = set(events.anomalies["start"].str[:10])
        found = set(
            detect_anomalies(log_from_simulation(sim, events), metric, rule=rule).flagged["date"]
        )
        true_positives += len(found & truth)
        flagged += len(found)
        injected += len(truth)
    return true_positives / flagged, true_positives / injected, flagged, injected


@pytest.mark.slow
@pytest.mark.parametrize(
    ("metric", "rule", "min_precision", "min_recall"),
    [
        # Measured (seeds 0-5, 1000 users, 90 days, 24 injected days): sigma on DAU
        # precision 0.82, recall 0.75; iqr on DAU 0.41 / 1.00; sigma on sessions
        # 0.81 / 0.71; iqr on sessions 0.45 / 1.00. Misses of the sigma rule are
        # anomalies within two weeks after another one (it widens the band); IQR's
        # false alarms are weekend peaks its tighter quartiles do not cover.
        ("dau", "sigma", 0.7, 0.65),
        ("dau", "iqr", 0.3, 0.9),
        ("sessions", "sigma", 0.7, 0.65),
        ("sessions", "iqr", 0.3, 0.9),
    ],
)
def test_detection_precision_and_recall_on_simulated_anomalies(
    metric: str, rule: str, min_precision: float, min_recall: float
) -> None:
    precision, recall, flagged, injected = detection_figures(metric, rule)
    print(f"{metric}/{rule}: precision {precision:.2f}, recall {recall:.2f}", end=" ")
    print(f"({flagged} flagged, {injected} injected)")
    assert precision >= min_precision
    assert recall >= min_recall


# --------------------------------------------------------------------- webhook


def spiked_report():
    log = log_from_text(USERS, EVENTS)
    return detect_anomalies(log, "event:view", window=4, min_history=2, k=0.5)


def test_webhook_receives_the_alert_as_json() -> None:
    report = spiked_report()
    assert not report.flagged.empty
    with webhook_server() as (url, received):
        status = post_alert(url, alert_payload(report))
    assert status == 200
    (request,) = received.requests
    assert request["content_type"] == "application/json"
    assert request["path"] == "/hooks/T000/secret"
    body = request["json"]
    assert body["metric"] == "event:view" and body["rule"] == "sigma"
    assert [day["date"] for day in body["flagged"]] == report.flagged["date"].tolist()
    assert body["text"].startswith(f"graphkit: {len(report.flagged)} anomalous day(s)")
    first = body["flagged"][0]
    assert set(first) == {"date", "value", "expected", "low", "high", "direction"}


def test_webhook_error_status_is_not_delivered() -> None:
    with (
        webhook_server(status=500) as (url, _),
        pytest.raises(AlertNotDelivered, match="HTTP 500") as info,
    ):
        post_alert(url, {"text": "x"})
    assert "secret" not in info.value.message  # webhook paths are credentials
    assert info.value.exit_code == 6


def test_unreachable_webhook_is_not_delivered() -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(AlertNotDelivered, match="cannot reach the webhook"):
        post_alert(f"http://127.0.0.1:{port}/hook", {"text": "x"}, timeout=2)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "not a url"])
def test_only_http_webhooks(url: str) -> None:
    with pytest.raises(ConfigError, match="http:// or https://"):
        post_alert(url, {"text": "x"})


def test_payload_has_no_nan() -> None:
    payload = alert_payload(spiked_report())
    values = [v for day in payload["flagged"] for v in day.values() if isinstance(v, float)]
    assert all(np.isfinite(values))
