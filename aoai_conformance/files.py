"""Writing files so that a reader, or a run killed midway, never sees half of one."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: Path, text: str, *, fsync: bool = False) -> Path:
    """Write ``text`` (UTF-8, LF) to a temporary file beside ``path`` and rename it over ``path``.

    The old file stays whole until the rename; a failure removes the temporary file. ``fsync`` for files whose
    loss after a crash would hurt (cassettes); reports are rebuilt by the next run anyway.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; cassettes and reports are for everyone
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_json_atomic(path: Path, data: Any) -> Path:
    """Stable JSON (sorted keys, one-space indent) written atomically."""
    return write_atomic(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n")
