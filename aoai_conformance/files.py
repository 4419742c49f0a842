"""Writing files so that a reader, or a run killed midway, never sees half of one."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable


def write_atomic(path: Path, text: str, *, fsync: bool = False) -> Path:
    """Write ``text`` (UTF-8, LF) to a temporary file beside ``path`` and rename it over ``path``.

    The old file stays whole until the rename; a failure removes the temporary file. ``fsync`` for files whose
    loss after a crash would hurt (cassettes); reports are rebuilt by the next run anyway.
    """
    return _atomic(path, lambda f: f.write(text.encode("utf-8")), fsync=fsync)


def _atomic(path: Path, write: Callable[[IO[bytes]], Any], *, fsync: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; cassettes and reports are for everyone
        with os.fdopen(fd, "wb") as f:
            write(f)
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
    """Stable JSON (sorted keys, one-space indent) written atomically, streamed: a check over a 10,000-entry
    recording writes a large results.json, and building it as one string first took six times its size."""

    def write(f: IO[bytes]) -> None:
        text = io.TextIOWrapper(f, encoding="utf-8", newline="\n")
        json.dump(data, text, indent=1, sort_keys=True, ensure_ascii=False, default=str)
        text.write("\n")
        text.flush()
        text.detach()  # the caller closes f

    return _atomic(path, write)
