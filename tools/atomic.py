"""Atomic file writes: a temp file in the same folder, fsync, then rename.

A crash at any moment leaves either the old file or the new one, never a torn one. Cache
files (``durable=False``) skip the fsyncs: a process that dies still leaves the old file or
the new one, and what a power cut may tear there reads as damaged and is measured again; on
a busy disk each fsync can wait tens of milliseconds for other writers' data.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from mixchat.tools.errors import SessionError


def write_text_atomic(
    path: Path, text: str, *, exclusive: bool = False, durable: bool = True
) -> None:
    """Write ``text`` to ``path`` atomically. With ``exclusive`` an existing file is an error;
    ``durable=False`` (a cache file) skips the fsyncs."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise SessionError(
                    f"{path} already exists; versions are never overwritten"
                ) from None
        else:
            os.replace(tmp, path)
        if durable:
            fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(
    path: Path, data: object, *, exclusive: bool = False, durable: bool = True
) -> None:
    write_text_atomic(
        path,
        json.dumps(data, indent=1, ensure_ascii=False) + "\n",
        exclusive=exclusive,
        durable=durable,
    )


def append_line(path: Path, line: str) -> None:
    """Append one line and fsync; a torn last line is skipped by readers."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line.rstrip("\n") + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
