"""Settings resolved once, in one place: flag > GRAPHKIT_* environment > graphkit.toml > default.

``graphkit.toml`` is read from the working directory (or ``GRAPHKIT_CONFIG``)::

    [neo4j]
    uri = "bolt://127.0.0.1:7687"
    user = "neo4j"
    database = "neo4j"
    # password: prefer GRAPHKIT_NEO4J_PASSWORD; a password in a file is read but never shown

    [store]
    dir = ".graphkit"

    [graph]
    engine = "auto"   # auto | networkx | igraph | gds (env GRAPHKIT_ENGINE, flag --engine)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphkit.errors import ConfigError, redact

DEFAULT_STORE_DIR = ".graphkit"
DEFAULT_NEO4J_USER = "neo4j"
DEFAULT_NEO4J_DATABASE = "neo4j"
ENGINE_NAMES = ("auto", "networkx", "igraph", "gds")
"""Graph engines (:mod:`graphkit.graph.engines`); kept here so settings load no numpy."""


@dataclass(frozen=True)
class Settings:
    """Where graphkit keeps its graph. ``neo4j_uri`` set means Neo4j, else the embedded store."""

    # repr=False as for the password: a URI may hold one (`graphkit` refuses it, but a
    # Settings built in Python is not checked); describe() shows it redacted.
    neo4j_uri: str | None = field(default=None, repr=False)
    neo4j_user: str = DEFAULT_NEO4J_USER
    # repr=False: settings get logged and shown in tracebacks; the password never is.
    neo4j_password: str | None = field(default=None, repr=False)
    neo4j_database: str = DEFAULT_NEO4J_DATABASE
    store_dir: Path = Path(DEFAULT_STORE_DIR)
    engine: str | None = None
    """Graph engine name; None = ``auto`` (see :func:`graphkit.graph.engines.resolve_engine`)."""

    @property
    def uses_neo4j(self) -> bool:
        return bool(self.neo4j_uri)

    @property
    def safe_uri(self) -> str:
        """The Neo4j URI for messages and logs: any password in it replaced by ``***``."""
        return redact(self.neo4j_uri or "")

    def describe(self) -> str:
        """A one-line, password-free description for messages."""
        if self.uses_neo4j:
            return f"Neo4j at {self.safe_uri} (database {self.neo4j_database!r})"
        return f"embedded store in {self.store_dir}"


def _read_config_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        env_path = os.environ.get("GRAPHKIT_CONFIG")
        path = Path(env_path) if env_path else Path("graphkit.toml")
        if not path.exists():
            return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} not found", hint="check GRAPHKIT_CONFIG") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def resolve_settings(
    *,
    neo4j_uri: str | None = None,
    neo4j_user: str | None = None,
    neo4j_password: str | None = None,
    neo4j_database: str | None = None,
    store_dir: str | Path | None = None,
    config_file: Path | None = None,
    engine: str | None = None,
) -> Settings:
    """Resolve settings: explicit arguments (flags) win, then env, then the config file."""
    env = os.environ
    file_cfg = _read_config_file(config_file)
    neo4j_cfg = file_cfg.get("neo4j", {})
    store_cfg = file_cfg.get("store", {})
    graph_cfg = file_cfg.get("graph", {})

    def pick(flag: Any, env_name: str, file_value: Any, default: Any) -> Any:
        for value in (flag, env.get(env_name), file_value):
            if value not in (None, ""):
                return value
        return default

    uri = pick(neo4j_uri, "GRAPHKIT_NEO4J_URI", neo4j_cfg.get("uri"), None)
    if uri is not None and not str(uri).startswith(
        ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
    ):
        raise ConfigError(
            f"Neo4j URI {redact(str(uri))!r} has an unknown scheme",
            hint="use bolt://HOST:7687 or neo4j://HOST:7687",
        )
    if uri is not None and "@" in str(uri).split("://", 1)[1].split("/", 1)[0]:
        # The driver refuses user info in a URI (and would echo it); say what to do instead.
        raise ConfigError(
            f"Neo4j URI {redact(str(uri))!r} holds a user name or password",
            hint="give the URI as bolt://HOST:7687 and the password in GRAPHKIT_NEO4J_PASSWORD "
            "(the user in --neo4j-user)",
        )
    engine_name = pick(engine, "GRAPHKIT_ENGINE", graph_cfg.get("engine"), None)
    if engine_name is not None and engine_name not in ENGINE_NAMES:
        raise ConfigError(
            f"unknown graph engine {engine_name!r}", hint=f"choose from {', '.join(ENGINE_NAMES)}"
        )
    return Settings(
        engine=engine_name,
        neo4j_uri=uri,
        neo4j_user=pick(
            neo4j_user, "GRAPHKIT_NEO4J_USER", neo4j_cfg.get("user"), DEFAULT_NEO4J_USER
        ),
        neo4j_password=pick(
            neo4j_password, "GRAPHKIT_NEO4J_PASSWORD", neo4j_cfg.get("password"), None
        ),
        neo4j_database=pick(
            neo4j_database,
            "GRAPHKIT_NEO4J_DATABASE",
            neo4j_cfg.get("database"),
            DEFAULT_NEO4J_DATABASE,
        ),
        store_dir=Path(pick(store_dir, "GRAPHKIT_STORE", store_cfg.get("dir"), DEFAULT_STORE_DIR)),
    )
