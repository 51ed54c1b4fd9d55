"""Reading svmlight / libsvm text files (the core's parser) and telling them apart from CSV.

The file is read in blocks of :data:`CHUNK_BYTES` and each block is parsed by the compiled
core with the GIL released (``_core.SvmlightParserF32`` / ``F64``): no Python runs per
line, and memory beyond the result is one block. ``.gz``, ``.bz2`` and ``.xz`` files are
decompressed block by block on the way.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from . import _core

CHUNK_BYTES = 1 << 24

SVMLIGHT_SUFFIXES = (".svm", ".svmlight", ".libsvm")
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_INT32_MAX = np.iinfo(np.int32).max

# A data line: a label, maybe qid:Q, then index:value pairs, maybe a comment.
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_LINE = re.compile(rf"\s*{_NUMBER}(?:\s+qid:\d+)?(?:\s+\d+:{_NUMBER})*\s*(?:#.*)?")
_PAIR = re.compile(rf"\s\d+:{_NUMBER}(?=\s|#|$)")


@dataclass
class SvmlightArrays:
    """What a svmlight file holds, as plain NumPy arrays (no SciPy needed).

    ``data``, ``indices``, ``indptr``: the CSR arrays (indices 0-based, int32 when every index
    and the number of values fit, else int64); ``y``: the labels (float64); ``qid``: the
    query ids (int64) when asked for, else None; ``n_features``: the matrix's width;
    ``one_based``: whether the file's indices counted from 1 (they were shifted down).
    """

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    y: np.ndarray
    qid: np.ndarray | None
    n_features: int
    one_based: bool

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.indptr) - 1, self.n_features)


def compression_suffix(path: str) -> str:
    """'.gz', '.bz2', '.xz' or ''."""
    ext = os.path.splitext(path.lower())[1]
    return ext if ext in _OPENERS else ""


def _base_name(path: str) -> str:
    """The name without a compression suffix."""
    path = path.lower()
    return path[: -len(compression_suffix(path))] if compression_suffix(path) else path


def is_svmlight_name(path: str) -> bool:
    """A name that says svmlight: .svm, .svmlight or .libsvm, possibly compressed."""
    return os.path.splitext(_base_name(os.fspath(path)))[1] in SVMLIGHT_SUFFIXES


def looks_like_svmlight(path: str, sample_bytes: int = 1 << 16) -> bool:
    """Whether a text file (.txt) holds svmlight lines: every complete line of its first
    block is a data line, blank or a comment, and at least one has an index:value pair.
    A CSV file has commas or a header of names, so it never passes."""
    opener = _OPENERS.get(compression_suffix(path), open)
    try:
        with opener(path, "rb") as fh:
            raw = fh.read(sample_bytes)
    except (OSError, EOFError, lzma.LZMAError):
        return False
    lines = raw.split(b"\n")
    if len(raw) == sample_bytes:
        lines = lines[:-1]  # the last line may be cut
    pairs = False
    for line in lines:
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            return False
        content = text.split("#", 1)[0]
        if not content.strip():
            continue
        if not _LINE.fullmatch(text.rstrip("\r")):
            return False
        pairs = pairs or bool(_PAIR.search(content))
    return pairs


def _chunks(fh: BinaryIO, size_hint: int | None = None):
    """Blocks of the file: read into one reused buffer (no allocation per block), sized to
    the file when it is smaller than a block."""
    readinto = getattr(fh, "readinto", None)
    if readinto is None:
        while block := fh.read(CHUNK_BYTES):
            yield block
        return
    view = memoryview(bytearray(min(CHUNK_BYTES, (size_hint or CHUNK_BYTES) + 1)))
    while n := readinto(view):
        yield view[:n]


def _index_base(zero_based: Any) -> str:
    if zero_based == "auto":
        return "auto"
    if zero_based is True or zero_based is False:
        return "zero" if zero_based else "one"
    raise ValueError(f"zero_based must be True, False or 'auto', got {zero_based!r}")


def _value_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def parse_svmlight(source: Any, *, n_features: int | None = None, dtype: Any = np.float64,
                   zero_based: bool | str = "auto", query_id: bool = False, name: str | None = None
                   ) -> SvmlightArrays:
    """Parse svmlight text from a path or a binary file object; see :func:`pygdx.io.load_svmlight`.

    Errors name ``name`` (the path by default) and the line: ``ValueError`` for the text,
    ``OSError`` for the file.
    """
    from .io import DataError

    dt = _value_dtype(dtype)
    base = _index_base(zero_based)
    if n_features is not None and (isinstance(n_features, bool) or int(n_features) != n_features
                                   or n_features < 1):
        raise ValueError(f"n_features must be a positive whole number or None, got {n_features!r}")
    parser = (_core.SvmlightParserF32 if dt == np.float32 else _core.SvmlightParserF64)(base, bool(query_id))
    if hasattr(source, "read"):
        label = name or getattr(source, "name", None) or "svmlight data"
        _feed(parser, source, label, len(source.getbuffer()) if isinstance(source, io.BytesIO) else None)
    else:
        path = os.fspath(source)
        label = name or path
        if os.path.isdir(path):
            raise DataError(f"{path} is a folder; give the svmlight file inside it")
        compressed = compression_suffix(path)
        with _OPENERS.get(compressed, open)(path, "rb") as fh:
            _feed(parser, fh, label, None if compressed else os.path.getsize(path))
    try:
        parts = parser.finish()
    except ValueError as exc:
        raise DataError(f"{label}: {exc}") from None
    width = int(parts["n_columns"])
    if n_features is not None:
        if n_features < width:
            raise DataError(f"{label}: holds feature index {width - 1 + int(parts['one_based'])} (so {width} "
                            f"features) but n_features={n_features}; pass n_features >= {width}, or None")
        width = int(n_features)
    indices, indptr = parts["indices"], parts["indptr"]
    if width <= _INT32_MAX and len(indices) <= _INT32_MAX:
        indptr = indptr.astype(np.int32)  # indices are int32 already: every index fits
    else:
        indices = indices.astype(np.int64, copy=False)  # SciPy keeps both in one dtype
    return SvmlightArrays(parts["data"], indices, indptr, parts["labels"], parts["qids"], width,
                          bool(parts["one_based"]))


def _feed(parser: Any, fh: BinaryIO, label: str, size_hint: int | None = None) -> None:
    from .io import DataError

    try:
        for chunk in _chunks(fh, size_hint):
            parser.feed(chunk)
    except ValueError as exc:
        raise DataError(f"{label}: {exc}") from None
    except (EOFError, lzma.LZMAError, gzip.BadGzipFile) as exc:
        raise DataError(f"{label}: the compressed file is damaged or cut short ({exc})") from None
