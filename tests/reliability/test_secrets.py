"""A password inside a URI's user info is never printed (it was echoed in two messages)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.config import Settings, resolve_settings
from graphkit.errors import ConfigError, DataError, GraphkitError, StoreUnavailable

SECRET = "s3cr3t-pw"
URIS = [
    f"bolt://neo4j:{SECRET}@127.0.0.1:1",
    f"neo4j+s://admin:{SECRET}@db.example.com:7687/neo4j",
    f"http://neo4j:{SECRET}@127.0.0.1:1",  # unknown scheme: refused, still redacted
]


@pytest.mark.parametrize("uri", URIS)
def test_cli_refuses_userinfo_without_showing_it(uri, tiny_dataset_dir):
    runner = CliRunner()
    for args in (["load", str(tiny_dataset_dir)], ["centrality"], ["ab", "analyze", "x"]):
        result = runner.invoke(app, [*args, "--neo4j", uri])
        assert result.exit_code == 2, result.output
        assert SECRET not in result.output
        assert "***" in result.stderr


def test_settings_never_show_the_uri_password():
    settings = Settings(neo4j_uri=URIS[0], neo4j_password="other-secret")
    for text in (repr(settings), str(settings), settings.describe(), settings.safe_uri):
        assert SECRET not in text and "other-secret" not in text
    with pytest.raises(ConfigError) as caught:
        resolve_settings(neo4j_uri=URIS[1])
    assert SECRET not in caught.value.message + (caught.value.hint or "")


@pytest.mark.parametrize("kind", [GraphkitError, StoreUnavailable, ConfigError])
def test_every_error_redacts_uris_in_message_and_hint(kind):
    error = kind(f"failed: {URIS[1]} said no", hint=f"try {URIS[0]}")
    assert SECRET not in error.message + (error.hint or "") + str(error)
    assert "neo4j+s://admin:***@db.example.com" in error.message


def test_data_errors_redact_too():
    error = DataError(f"value {URIS[0]!r} is odd")
    assert SECRET not in error.message
