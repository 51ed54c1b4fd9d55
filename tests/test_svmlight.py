"""The svmlight / libsvm parser: the arrays of scikit-learn's load_svmlight_file, one clear
error naming the line for every malformed file, never a crash."""

from __future__ import annotations

import bz2
import gzip
import io
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pygdx import _core, _svmlight
from pygdx.io import DataError, file_kind, load_svmlight, load_table

sp = pytest.importorskip("scipy.sparse")
sk_datasets = pytest.importorskip("sklearn.datasets")


def write(tmp_path: Path, text: str | bytes, name: str = "data.svm") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def assert_same(ours, theirs):
    X, y = ours[:2]
    Xs, ys = theirs[:2]
    assert X.format == "csr" and X.shape == Xs.shape
    assert X.dtype == Xs.dtype
    np.testing.assert_array_equal(X.indptr, Xs.indptr)
    np.testing.assert_array_equal(X.indices, Xs.indices)
    np.testing.assert_array_equal(X.data, Xs.data)
    np.testing.assert_array_equal(y, ys)
    assert y.dtype == np.float64
    if len(ours) == 3:
        np.testing.assert_array_equal(ours[2], theirs[2])


def random_file(rng, n_rows=200, n_cols=50, one_based=True, qid=False, crlf=False, comments=True):
    lines = ["# a header comment"] if comments else []
    for r in range(n_rows):
        label = rng.choice(["+1", "-1", "0", f"{rng.normal():.17g}", "3e2", "1."])
        cols = np.sort(rng.choice(n_cols, size=rng.integers(0, 8), replace=False)) + int(one_based)
        vals = rng.normal(size=len(cols)) * 10.0 ** rng.integers(-8, 8, size=len(cols))
        tokens = [label] + ([f"qid:{r // 7}"] if qid else [])
        tokens += [f"{c}:{v:.17g}" if k % 3 else f"{c}:{v:g}" for k, (c, v) in enumerate(zip(cols, vals))]
        sep = "\t" if r % 5 == 0 else " "
        line = sep.join(tokens)
        if comments and r % 11 == 0:
            line += "  # note: 3:4 is not a feature"
        lines.append(line)
        if comments and r % 13 == 0:
            lines.append("")
    end = "\r\n" if crlf else "\n"
    return end.join(lines) + end


@pytest.mark.parametrize("zero_based", [False, True, "auto"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("variant", ["plain", "crlf", "qid", "no comments"])
def test_the_arrays_of_scikit_learn_on_generated_files(tmp_path, zero_based, dtype, variant):
    rng = np.random.default_rng(hash((str(zero_based), variant)) % 2**32)
    text = random_file(rng, one_based=zero_based is not True, qid=variant == "qid", crlf=variant == "crlf",
                       comments=variant != "no comments")
    path = write(tmp_path, text)
    query = variant == "qid"
    ours = load_svmlight(path, dtype=dtype, zero_based=zero_based, query_id=query)
    theirs = sk_datasets.load_svmlight_file(str(path), dtype=dtype, zero_based=zero_based, query_id=query)
    assert_same(ours, theirs)


def test_the_arrays_of_scikit_learn_on_a_zero_based_file_read_as_auto(tmp_path):
    path = write(tmp_path, "1 0:1.5 3:2\n-1 2:0.25\n")
    ours = load_svmlight(path)
    assert ours[0].shape == (2, 4)
    assert_same(ours, sk_datasets.load_svmlight_file(str(path)))


def test_a_file_without_features_reads_as_scikit_learn_does(tmp_path):
    path = write(tmp_path, "1\n-1\n")
    ours = load_svmlight(path)
    assert ours[0].shape == (2, 1)
    assert_same(ours, sk_datasets.load_svmlight_file(str(path)))


SKLEARN_DATA = Path(sk_datasets.__file__).parent / "tests" / "data"


@pytest.mark.skipif(not (SKLEARN_DATA / "svmlight_classification.txt").exists(),
                    reason="this scikit-learn was installed without its test data")
def test_scikit_learns_own_test_files(tmp_path):
    good = SKLEARN_DATA / "svmlight_classification.txt"
    assert_same(load_svmlight(good), sk_datasets.load_svmlight_file(str(good)))
    assert file_kind(good) == "svmlight"  # a .txt of svmlight lines is recognised
    with pytest.raises(DataError, match=r"svmlight_invalid.txt: line 1: the label 'python' is not a number"):
        load_svmlight(SKLEARN_DATA / "svmlight_invalid.txt")
    with pytest.raises(DataError, match=r"line 1: feature index 2 follows 5; indices must increase"):
        load_svmlight(SKLEARN_DATA / "svmlight_invalid_order.txt")
    with pytest.raises(DataError, match=r"line 2: the label '1,0' lists several labels; multilabel"):
        load_svmlight(SKLEARN_DATA / "svmlight_multilabel.txt")


@pytest.mark.parametrize("opener,suffix", [(gzip.compress, ".svm.gz"), (bz2.compress, ".libsvm.bz2")])
def test_compressed_files_are_read_block_by_block(tmp_path, opener, suffix, monkeypatch):
    text = random_file(np.random.default_rng(1), n_rows=300)
    plain = write(tmp_path, text)
    packed = write(tmp_path, opener(text.encode()), "data" + suffix)
    monkeypatch.setattr(_svmlight, "CHUNK_BYTES", 97)
    assert file_kind(packed) == "svmlight"
    assert_same(load_svmlight(packed), sk_datasets.load_svmlight_file(str(plain)))


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1000])
def test_lines_cut_by_block_boundaries_parse_the_same(tmp_path, monkeypatch, chunk):
    text = random_file(np.random.default_rng(2), n_rows=40, crlf=True)
    path = write(tmp_path, text.rstrip("\r\n"))  # and a last line without a line end
    whole = load_svmlight(path)
    monkeypatch.setattr(_svmlight, "CHUNK_BYTES", chunk)
    assert_same(load_svmlight(path), whole)


def test_a_file_object_is_read_too():
    X, y = load_svmlight(io.BytesIO(b"+1 1:0.5 3:2\n-1 2:1e-3\n"))
    np.testing.assert_array_equal(X.toarray(), [[0.5, 0, 2], [0, 1e-3, 0]])
    np.testing.assert_array_equal(y, [1, -1])


def test_the_parser_arrays_become_the_matrix_without_a_copy(tmp_path, monkeypatch):
    made = {}
    real = _svmlight.parse_svmlight

    def spy(*args, **kwargs):
        made["arrays"] = real(*args, **kwargs)
        return made["arrays"]

    monkeypatch.setattr(_svmlight, "parse_svmlight", spy)
    X, _ = load_svmlight(write(tmp_path, "1 1:2 5:3\n0 2:4\n"))
    assert np.shares_memory(X.data, made["arrays"].data) and np.shares_memory(X.indices, made["arrays"].indices)
    assert X.indices.dtype == np.int32 and X.indptr.dtype == np.int32


def test_indices_are_int64_when_the_width_needs_it(tmp_path):
    X, _ = load_svmlight(write(tmp_path, "1 1:2 4000000000:3\n"))
    assert X.shape == (1, 4_000_000_000)
    assert X.indices.dtype == np.int64 and X.indices[-1] == 3_999_999_999


def test_n_features_pads_and_refuses_too_few(tmp_path):
    path = write(tmp_path, "1 1:2 3:1\n")
    X, _ = load_svmlight(path, n_features=10)
    assert X.shape == (1, 10)
    with pytest.raises(DataError, match=r"holds feature index 3 \(so 3 features\) but n_features=2"):
        load_svmlight(path, n_features=2)
    with pytest.raises(ValueError, match="n_features must be a positive whole number"):
        load_svmlight(path, n_features=0)


def test_query_ids_are_returned_or_ignored(tmp_path):
    path = write(tmp_path, "3 qid:1 1:1\n2 qid:1 2:1\n1 qid:7 1:0.5\n")
    X, y, q = load_svmlight(path, query_id=True)
    np.testing.assert_array_equal(q, [1, 1, 7])
    X2, y2 = load_svmlight(path)
    assert_same((X2, y2), (X, y))
    with pytest.raises(DataError, match=r"line 2: the line has no qid: but query ids were asked for"):
        load_svmlight(write(tmp_path, "1 qid:1 1:1\n2 2:1\n"), query_id=True)


MALFORMED = [
    ("1 1:2\nabc 2:1\n", r"line 2: the label 'abc' is not a number"),
    ("1 1:2\n2 3:x\n", r"line 2: the value in '3:x' is not a number"),
    ("1 1:2\n\n2 3:\n", r"line 3: the value in '3:' is not a number \(a truncated line\?\)"),
    ("1 1:2 3\n", r"line 1: the token '3' is not index:value \(a truncated line\?\)"),
    ("1 0:2\n", r"line 1: feature index 0 in a one-based file"),
    ("1 -3:2\n", r"line 1: the feature index in '-3:2' is negative"),
    ("1 5:2 5:1\n", r"line 1: feature index 5 follows 5"),
    ("1 5:2 4:1\n", r"line 1: feature index 4 follows 5"),
    ("1 99999999999999999999999:1\n", r"line 1: the feature index in '9+:1' is larger than the largest"),
    ("1 1099511627777:1\n", r"line 1: the feature index in '1099511627777:1' is larger than the largest supported \(2\^40\)"),
    ("1 a:1\n", r"line 1: the feature index in 'a:1' is not a whole number"),
    ("1 1:nan\n", r"line 1: the value in '1:nan' is not finite"),
    ("inf 1:1\n", r"line 1: the label 'inf' is not finite"),
    ("1 1:1e999\n", r"line 1: the value in '1:1e999' is not a number"),
    ("1 1:2\n\x00\x01\xff\x10 3:4\n", r"line 2: the label '\\x00\\x01\\xff\\x10' is not a number"),
    ("1 qid:x 1:2\n", r"line 1: the query id 'qid:x' is not a non-negative whole number"),
    ("1 1:2 qid:3\n", r"line 1: the feature index in 'qid:3' is not a whole number"),
    ("1:2 3:4\n", r"line 1: the line starts with the feature '1:2' where a label was expected"),
    ("# only a comment\n\n   \n", r"no data: the text has no line with a label"),
    ("++1 1:2\n", r"line 1: the label '\+\+1' is not a number"),
]


@pytest.mark.parametrize("text,message", MALFORMED)
def test_malformed_files_raise_one_error_naming_the_line(tmp_path, text, message):
    path = write(tmp_path, text.encode("latin-1"))
    with pytest.raises(DataError, match=rf"^{str(path)!s}: {message}".replace("\\\\", "\\\\")):
        load_svmlight(path, zero_based=False)


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(DataError, match="the file is empty; it needs a line of data"):
        load_svmlight(write(tmp_path, b""))
    with pytest.raises(DataError, match="no such file"):
        load_svmlight(tmp_path / "missing.svm")


def test_a_damaged_compressed_file_is_one_error(tmp_path):
    packed = gzip.compress(b"1 1:2\n" * 1000)
    with pytest.raises((DataError, OSError)):
        load_svmlight(write(tmp_path, packed[: len(packed) // 2], "cut.svm.gz"))


def test_options_are_checked(tmp_path):
    path = write(tmp_path, "1 1:2\n")
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        load_svmlight(path, dtype=np.int32)
    with pytest.raises(ValueError, match="zero_based must be True, False or 'auto'"):
        load_svmlight(path, zero_based="yes")
    with pytest.raises(ValueError, match="index base must be 'zero', 'one' or 'auto'"):
        _core.SvmlightParserF64("two")


def test_a_parser_serves_one_text_and_refuses_more_after_finish():
    parser = _core.SvmlightParserF64("auto", False)
    parser.feed(b"1 1:2\n")
    parser.finish()
    with pytest.raises(RuntimeError, match="has finished"):
        parser.feed(b"1 1:2\n")
    with pytest.raises(TypeError, match="contiguous chunk of bytes"):
        _core.SvmlightParserF64().feed(memoryview(b"1 1:2 3:4")[::2])


def test_two_threads_feeding_one_parser_do_not_garble_it():
    parser = _core.SvmlightParserF64("one", False)
    line = b"1 1:2 2:3\n" * 2000

    def feed():
        for _ in range(20):
            parser.feed(line)

    threads = [threading.Thread(target=feed) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = parser.finish()
    assert len(out["labels"]) == 4 * 20 * 2000
    np.testing.assert_array_equal(np.diff(out["indptr"]), 2)


def test_load_table_points_sparse_files_to_their_readers(tmp_path):
    with pytest.raises(DataError, match="holds sparse data"):
        load_table(write(tmp_path, "1 1:2\n"))
    npz = tmp_path / "m.npz"
    sp.save_npz(npz, sp.random(3, 4, density=0.5, format="csr", random_state=0))
    with pytest.raises(DataError, match="holds sparse data"):
        load_table(npz)


def test_a_csv_txt_is_not_taken_for_svmlight(tmp_path):
    assert file_kind(write(tmp_path, "a,b\n1,2\n", "t.txt")) == "csv"
    assert file_kind(write(tmp_path, "1 2 3\n4 5 6\n", "u.txt")) == "csv"
    assert file_kind(write(tmp_path, "1 1:2\n-1 3:0.5 # x\n", "v.txt")) == "svmlight"


def test_without_scipy_a_clear_message(tmp_path, monkeypatch):
    path = write(tmp_path, "1 1:2\n")
    for name in [m for m in sys.modules if m == "scipy" or m.startswith("scipy.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "scipy", None)
    with pytest.raises(ImportError, match=r'needs scipy.*pip install "pygdx\[sparse\]"'):
        load_svmlight(path)
    arrays = _svmlight.parse_svmlight(path)  # the arrays themselves need no SciPy
    np.testing.assert_array_equal(arrays.indices, [0])


# -- fuzzing -------------------------------------------------------------------------------

TOKENS = st.sampled_from(["1", "-1", "+1", "0.5", "1e3", " ", "  ", "\t", "\n", "\r\n", "#", "qid:", "3", ":",
                          "1:", "2:0.5", "7:-1e-3", "0:1", "-2:1", "x", "nan", "\x00", "\xff", "99999999999999",
                          ".", "e", "+", ","])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.one_of(TOKENS, st.binary(max_size=6).map(lambda b: b.decode("latin-1"))), max_size=40),
       chunk=st.integers(1, 20), base=st.sampled_from([True, False, "auto"]))
def test_any_bytes_give_arrays_or_one_data_error(tmp_path, monkeypatch, pieces, chunk, base):
    text = "".join(pieces).encode("latin-1")
    path = write(tmp_path, text, "fuzz.svm")
    monkeypatch.setattr(_svmlight, "CHUNK_BYTES", chunk)
    try:
        X, y = load_svmlight(path, zero_based=base)
    except DataError as exc:
        assert str(exc).startswith(str(path))
        return
    assert X.shape[0] == len(y) and len(X.indptr) == len(y) + 1
    X.check_format(full_check=True)
    assert np.isfinite(X.data).all() and np.isfinite(y).all()
    monkeypatch.setattr(_svmlight, "CHUNK_BYTES", 1 << 20)
    assert_same((X, y), sk_datasets.load_svmlight_file(str(path), zero_based=base))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), zero_based=st.booleans())
def test_files_written_by_scikit_learn_read_back_identically(tmp_path, seed, zero_based):
    rng = np.random.default_rng(seed)
    X = sp.random(rng.integers(1, 30), rng.integers(1, 30), density=0.3, format="csr", random_state=rng)
    X.data = rng.normal(size=X.nnz) * 10.0 ** rng.integers(-300, 300, size=X.nnz)
    y = rng.integers(-1, 2, size=X.shape[0]).astype(float)
    path = tmp_path / "dumped.svm"
    sk_datasets.dump_svmlight_file(X, y, str(path), zero_based=zero_based)
    ours = load_svmlight(path, n_features=X.shape[1], zero_based=zero_based)
    assert_same(ours, sk_datasets.load_svmlight_file(str(path), n_features=X.shape[1], zero_based=zero_based))
    np.testing.assert_allclose(ours[0].toarray(), X.toarray(), rtol=1e-15)  # dump writes 16 digits


def test_a_value_finite_in_float64_but_not_in_float32_is_refused_for_float32(tmp_path):
    path = write(tmp_path, "1 1:2 3:1e39\n")
    assert load_svmlight(path, dtype=np.float64)[0][0, 2] == 1e39
    with pytest.raises(DataError, match="too large for float32"):
        load_svmlight(path, dtype=np.float32)
