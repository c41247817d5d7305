"""Reads the Cypher files that ship with graphkit (one query per file, ``$parameters`` only).

In a wheel the top-level ``cypher/`` folder is installed as ``graphkit/cypher/``; in a source
checkout (editable install) it is read from the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


def cypher_dir() -> Path:
    packaged = Path(__file__).resolve().parent.parent / "cypher"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "cypher"


@cache
def query(name: str) -> str:
    """The text of ``cypher/<name>.cypher``."""
    return (cypher_dir() / f"{name}.cypher").read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The statements of a multi-statement file (only ``schema``), comments removed."""
    lines = [ln for ln in query(name).splitlines() if not ln.lstrip().startswith("//")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def all_query_names() -> list[str]:
    root = cypher_dir()
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.cypher"))
