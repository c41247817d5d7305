"""Writing files so that a crash or a full disk never leaves a half-written one.

Every file graphkit replaces (a simulated dataset, the embedded store's tables) is
written whole to a temporary file beside it, flushed to the disk, and only then renamed
over the old one: a reader sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path


def temporary_beside(path: Path) -> Path:
    """Where ``path`` is written before it replaces the old file (same folder, same disk)."""
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def replace_atomically(writers: Mapping[Path, Callable[[Path], object]]) -> None:
    """Write each file with its writer, then rename them all over the old files.

    ``writers`` maps a final path to a function that writes the file at the path it is
    given. Nothing is renamed unless every file was written and flushed to the disk; on
    any failure the temporary files are removed and the error is raised, so every old
    file stays as it was.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder, "a.txt")
    ...     replace_atomically({target: lambda path: path.write_text("new")})
    ...     sorted(p.name for p in Path(folder).iterdir()), target.read_text()
    (['a.txt'], 'new')
    """
    try:
        for path, write in writers.items():
            temporary = temporary_beside(path)
            write(temporary)
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
    except BaseException:
        for path in writers:
            temporary_beside(path).unlink(missing_ok=True)
        raise
    for path in writers:
        os.replace(temporary_beside(path), path)
