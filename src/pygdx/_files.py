"""Writing output files so that a failure never leaves half a file where a good one was."""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO, Callable


def replace_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` on a new temporary file beside ``path``, then rename it to ``path``.

    The rename is atomic, so ``path`` holds either its old content or the complete new one,
    whatever happens while writing (a full disk, an exception, Ctrl-C). Only a regular file
    is ever replaced: a device, folder or other special file at ``path`` raises
    FileExistsError and is left alone.
    """
    path = os.fspath(path)
    if os.path.lexists(path) and not os.path.isfile(path):
        raise FileExistsError(f"{path} exists and is not a regular file; refusing to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would make the output private
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
