"""Atomic, deterministic writes of tables and files.

An interrupted run must leave no half-written table or figure, and two runs must
write the same bytes, so every output goes through these functions.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def sha256_bytes(data: bytes | memoryview) -> str:
    """Hex SHA-256 of ``data`` (bytes, or a memoryview of a C-contiguous array: no copy)."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks so large files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def current_umask() -> int:
    """The process's file-creation mask, read once.

    Linux reports it in ``/proc/self/status``; elsewhere it can only be read by setting it
    (``os.umask``) and setting it back, which is done once, here, and cached.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Permissions of a new file under the user's umask (``0o666 & ~umask``, e.g. 0644)."""
    return 0o666 & ~current_umask()


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the finished file to ``path``.

    The temporary file lives in the target folder so the final rename is atomic
    on the same file system. ``mkstemp`` creates it readable by the owner only (0600);
    it gets the permissions any new file of the user gets (``0o666 & ~umask``) before it
    takes its name, so a table is as readable by a colleague as a file saved by hand.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp_path = Path(tmp_name)
    try:
        write(tmp_path)
        os.chmod(tmp_path, file_mode())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` with ``\\n`` line ends to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_table(frame: pd.DataFrame, path: str | Path, float_digits: int = 6) -> Path:
    """Write ``frame`` as a UTF-8 CSV, atomically and byte-for-byte reproducibly.

    Floats are rounded to ``float_digits`` significant decimals so that noise in
    the last bits of a BLAS sum cannot change the file between machines.
    """
    text = frame.to_csv(index=False, lineterminator="\n", float_format=f"%.{float_digits}g")
    return atomic_write_text(path, text)
