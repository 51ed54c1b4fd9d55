"""pygdx.io.load_npz: matrices written by scipy.sparse.save_npz, checked throughout; file_kind."""

import zipfile

import numpy as np
import pytest

from pygdx.io import DataError, file_kind, load_npz

sp = pytest.importorskip("scipy.sparse")


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, bool])
def test_any_format_becomes_csr_of_floats(tmp_path, fmt, dtype):
    M = sp.random(20, 7, density=0.3, format=fmt, random_state=0, dtype=np.float64)
    M = (M * 10).astype(dtype)
    sp.save_npz(tmp_path / "m.npz", M)
    assert file_kind(tmp_path / "m.npz") == "sparse-npz"
    X = load_npz(tmp_path / "m.npz")
    assert X.format == "csr" and X.shape == (20, 7)
    assert X.dtype == (np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.float64)
    np.testing.assert_array_equal(X.toarray(), M.toarray().astype(X.dtype))


def test_an_npz_of_named_arrays_is_not_a_sparse_matrix(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.ones(2))
    assert file_kind(tmp_path / "d.npz") == "npz"
    with pytest.raises(DataError, match="not a sparse matrix written by scipy.sparse.save_npz"):
        load_npz(tmp_path / "d.npz")


def rewrite(path, out, **replace):
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(out, "w") as zo:
        for name in zf.namelist():
            key = name[:-4]
            if key in replace:
                with zo.open(name, "w") as fh:
                    np.lib.format.write_array(fh, np.asarray(replace[key]))
            else:
                zo.writestr(name, zf.read(name))


@pytest.mark.parametrize("replace,message", [
    ({"indices": np.array([0, 9, 1], dtype=np.int32)}, "cannot be read as a sparse matrix"),
    ({"indptr": np.array([0, 3, 1, 3], dtype=np.int32)}, "cannot be read as a sparse matrix"),
    ({"data": np.array([1.0, np.nan, 2.0])}, r"row 0 holds nan in column 2"),
    ({"data": np.array([1 + 1j, 2, 3])}, "has dtype complex128; it must hold real numbers"),
    ({"shape": np.array([0, 4])}, "cannot be read as a sparse matrix|is empty"),
])
def test_damaged_files_raise_one_data_error(tmp_path, replace, message):
    M = sp.csr_matrix(np.array([[1.0, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 0]]))
    sp.save_npz(tmp_path / "m.npz", M, compressed=False)
    rewrite(tmp_path / "m.npz", tmp_path / "bad.npz", **replace)
    with pytest.raises(DataError, match=message):
        load_npz(tmp_path / "bad.npz")


def test_a_file_that_is_not_a_zip(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"PK\x03\x04 not really")
    assert file_kind(tmp_path / "x.npz") == "npz"
    with pytest.raises(DataError, match="not a sparse matrix"):
        load_npz(tmp_path / "x.npz")
