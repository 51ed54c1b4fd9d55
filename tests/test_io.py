"""Reading data files: what loads, and the one-line errors for what does not."""

import numpy as np
import pytest

from pygdx.io import DataError, load_table


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_with_target(tmp_path):
    p = write(tmp_path, "d.csv", "a,b,y\n1,2,3\n4,5.5,6\n")
    t = load_table(p, "y")
    np.testing.assert_array_equal(t.X, [[1, 2], [4, 5.5]])
    np.testing.assert_array_equal(t.y, [3, 6])
    assert t.feature_names == ["a", "b"]
    assert t.X.flags.c_contiguous and t.X.dtype == np.float64


def test_csv_string_labels_kept_for_classification(tmp_path):
    p = write(tmp_path, "d.csv", "a,label\n1,cat\n2,dog\n")
    t = load_table(p, "label")
    assert list(t.y) == ["cat", "dog"]
    with pytest.raises(DataError, match="regression needs a numeric target"):
        load_table(p, "label", numeric_target=True)


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("", "y", "empty"),
        ("a,y\n", "y", "no data rows"),
        ("a,y\n1,2\n", "z", "no column named 'z'"),
        ("a,y\n1,2\nx,3\n", "y", r"column 'a', data row 2 holds 'x'"),
        ("a,y\n1,2\nnan,3\n", "y", "non-finite"),
        # a short row is filled with missing cells (as pandas and R read it); a long one is refused
        ("a,y\n1,2\n3\n", "y", "target 'y' is empty at data row 2"),
        ("a,y\n1,2\n3,4,5\n", "y", "Expected 2 fields in line 3, saw 3; every row needs one cell per column"),
        ("a,a\n1,2\n", None, "repeats column name"),
        ("a,y\n1,\n", "y", "target 'y' is empty at data row 1"),
    ],
)
def test_csv_errors_name_the_problem(tmp_path, text, target, message):
    p = write(tmp_path, "d.csv", text)
    with pytest.raises(DataError, match=message):
        load_table(p, target)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_table(tmp_path / "nope.csv")
    p = write(tmp_path, "d.parquet", "x")
    with pytest.raises(DataError, match="unknown file type"):
        load_table(p)


def test_npy_memory_mapped_without_target(tmp_path):
    arr = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.save(tmp_path / "d.npy", arr)
    t = load_table(tmp_path / "d.npy")
    assert isinstance(t.X, np.memmap)
    np.testing.assert_array_equal(t.X, arr)


def test_npy_target_column(tmp_path):
    arr = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.save(tmp_path / "d.npy", arr)
    t = load_table(tmp_path / "d.npy", "-1")
    np.testing.assert_array_equal(t.y, arr[:, 2])
    np.testing.assert_array_equal(t.X, arr[:, :2])
    with pytest.raises(DataError, match="column 5 does not exist"):
        load_table(tmp_path / "d.npy", "5")
    with pytest.raises(DataError, match="column number"):
        load_table(tmp_path / "d.npy", "y")


def test_npz(tmp_path):
    X = np.ones((3, 2))
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(3.0), feature_names=np.array(["p", "q"]))
    t = load_table(tmp_path / "d.npz")
    np.testing.assert_array_equal(t.y, [0, 1, 2])
    assert t.feature_names == ["p", "q"]
    np.savez(tmp_path / "bad.npz", X=X, y=np.arange(2.0))
    with pytest.raises(DataError, match="one value per row"):
        load_table(tmp_path / "bad.npz")
    np.savez(tmp_path / "nox.npz", A=X)
    with pytest.raises(DataError, match="needs an array named 'X'"):
        load_table(tmp_path / "nox.npz")


def test_compressed_csv(tmp_path):
    pytest.importorskip("pandas")
    import gzip

    with gzip.open(tmp_path / "d.csv.gz", "wt") as fh:
        fh.write("a;b;y\n1;2;3\n4;5.5;6\n")
    t = load_table(tmp_path / "d.csv.gz", "y")
    np.testing.assert_array_equal(t.X, [[1, 2], [4, 5.5]])
    assert t.feature_names == ["a", "b"] and list(t.y) == [3, 6]
