"""pygdx fit / predict on CSV files as people have them (issue 14), and bad command lines
that must end in one line and exit status 2 (issue 11, F18).

The CSV files are written here, small, one case each. Commands run in this process
through pygdx.cli.main (a traceback fails the test), except where a fresh interpreter is
the point.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from pygdx.cli import main  # noqa: E402


def run(capsys, *argv):
    """(exit status, stdout, stderr) of ``pygdx argv`` run in this process."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, *fragments):
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err


def r_style_frame(n=240, seed=0):
    """A table as R's write.csv leaves it: row names, NA cells, text categories, TRUE/FALSE,
    dates, an ID column, and a numeric target with NA cells."""
    rng = np.random.default_rng(seed)
    island = rng.choice(["Biscoe", "Dream", "Torgersen"], n)
    size = rng.normal(40, 5, n)
    male = rng.random(n) < 0.5
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    mass = 100 * size + 400 * (island == "Dream") - 300 * (island == "Torgersen") + 250 * male \
        + 2 * (day - pd.Timestamp("2020-01-01")).days + rng.normal(0, 20, n)
    frame = pd.DataFrame({
        "island": island, "size": np.where(rng.random(n) < 0.1, np.nan, size),
        "male": np.where(male, "TRUE", "FALSE"), "day": day.strftime("%Y-%m-%d"),
        "tag": [f"T{i:05d}" for i in rng.permutation(n)], "mass": mass,
    })
    frame.loc[rng.random(n) < 0.05, "mass"] = np.nan
    frame.index = np.arange(1, n + 1)
    return frame


def write_r_csv(path, frame):
    frame.to_csv(path, na_rep="NA", index_label="", quoting=2)  # R quotes every text cell


def test_an_r_export_trains_and_says_what_it_did_with_every_column(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = r_style_frame()
    write_r_csv("penguins.csv", frame)
    code, out, err = run(capsys, "fit", "penguins.csv", "--target", "mass", "--optimizer", "gd", "--lr", "0.3",
                         "--batch-size", "full", "--epochs", "500", "--tol", "0", "--plot", "", "--quiet")
    assert code == 0, err
    n_missing = int(frame.mass.isna().sum())
    assert f"target 'mass': numbers" in out and "-> regression" in out
    assert f"{n_missing} row(s) with no target dropped, {len(frame) - n_missing} left" in out
    assert "column '': row names (a column with no header) -> dropped" in out
    assert "column 'tag': ID-like" in out
    assert "column 'island': text, 3 levels -> 3 one-hot columns" in out
    assert "column 'male': true/false -> 1/0" in out
    assert "column 'day': dates -> days since 1970-01-01" in out
    assert "column 'size': numbers;" in out and "plus indicator 'size_missing'" in out
    train_r2 = float(out.split("\ntrain")[-1].split()[1])
    assert train_r2 > 0.95  # (validation varies more: 45 rows, 10% of them without their 'size')
    # predict on new rows: an island never seen, a missing cell where training had none
    new = frame.drop(columns=["mass"]).head(5).copy()
    new.loc[new.index[0], "island"] = "Anvers"
    new.loc[new.index[1], "male"] = np.nan
    write_r_csv("new.csv", new)
    code, out, err = run(capsys, "predict", "model.npz", "new.csv")
    assert code == 0, err
    assert "level(s) not seen in training (e.g. 'Anvers')" in err and "column 'male': 1 missing" in err
    assert out.split()[0] == "mass" and len(out.split()) == 6


def test_a_numeric_target_with_na_cells_stays_regression(tmp_path, capsys, monkeypatch):
    # F2: 'NA' in the target used to make a classifier with one class per value
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    x = rng.normal(size=100)
    y = np.round(2 * x + 0.1 * rng.normal(size=100), 1)
    cells = [("NA" if i % 10 == 3 else f"{v:g}") for i, v in enumerate(y)]
    (tmp_path / "na_target.csv").write_text("x,y\n" + "".join(f"{a:.6f},{b}\n" for a, b in zip(x, cells)))
    code, out, err = run(capsys, "fit", "na_target.csv", "--target", "y", "--quiet", "--plot", "")
    assert code == 0, err
    assert "-> regression" in out and "10 row(s) with no target dropped, 90 left" in out
    assert "regression on na_target.csv: 72 training rows" in out


def test_targets_written_as_text_numbers_or_true_false(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(8)
    x = rng.normal(size=80)
    price = [f'"{1000 + 300 * v:,.0f}"' for v in x]
    paid = np.where(x > 0, "TRUE", "FALSE")
    (tmp_path / "t.csv").write_text("x,price,paid\n" + "".join(f"{a:.5f},{p},{q}\n" for a, p, q in zip(x, price,
                                                                                                   paid)))
    code, out, err = run(capsys, "fit", "t.csv", "--target", "price", "--drop", "paid", "--quiet", "--plot", "")
    assert code == 0, err
    assert "target 'price': numbers" in out and "-> regression" in out, out
    code, out, err = run(capsys, "fit", "t.csv", "--target", "paid", "--quiet", "--plot", "", "--out", "p.npz")
    assert code == 0, err
    assert "target 'paid': labels, 2 distinct -> classification" in out, out
    code, out, err = run(capsys, "predict", "p.npz", "t.csv")
    assert set(out.split()[1:]) == {"True", "False"}
    code, out, err = run(capsys, "fit", "t.csv", "--target", "paid", "--task", "regression", "--out", "q.npz")
    one_line_error(code, err, "the target 'paid' holds '" + paid[0].title() + "', which is not a number")


def test_features_and_drop(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(4)
    n = 60
    frame = pd.DataFrame({"row": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n),
                          "waist": rng.normal(size=n)})
    frame["pulse"] = frame.a - frame.b + 0.05 * rng.normal(size=n)
    frame.to_csv("d.csv", index=False)
    common = ["--target", "pulse", "--quiet", "--plot", "", "--force"]
    code, out, err = run(capsys, "fit", "d.csv", *common, "--drop", "waist")
    assert code == 0, err
    assert "column 'waist': dropped as asked -> dropped" in out and "column 'row': a running row number" in out
    assert "features: 2 from 2 column(s)" in out
    # naming a column keeps it even where a rule would drop it; comma lists and repeats both work
    code, out, err = run(capsys, "fit", "d.csv", *common, "--features", "a,row", "--features", "b")
    assert code == 0, err
    assert "features: 3 from 3 column(s)" in out and "waist" not in out  # not even read
    for args, message in [(["--drop", "nope"], "--drop names column(s) ['nope']"),
                          (["--features", "a,nope"], "needs column(s) ['nope']"),
                          (["--features", "a,pulse"], "--features names the target 'pulse'")]:
        code, out, err = run(capsys, "fit", "d.csv", *common, *args)
        one_line_error(code, err, message)


def test_encodings_quotes_separators_and_bom(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(5)
    towns = ["Zürich", "Genève", "Neuchâtel"]
    rows = []
    for i in range(90):
        k = i % 3
        price = 1000 + 500 * k + int(rng.integers(0, 50))
        rows.append((towns[k], f'"{price:,}"', f'"a note, with a comma\nand a line break {i}"', 3 * k + rng.normal()))
    body = "town,price,note,target\n" + "".join(f"{t},{p},{n},{y:.4f}\n" for t, p, n, y in rows)
    (tmp_path / "latin.csv").write_bytes(body.encode("latin-1"))
    code, out, err = run(capsys, "fit", "latin.csv", "--target", "target", "--quiet", "--plot", "")
    one_line_error(code, err, "not readable as utf-8-sig", "--encoding", "latin-1")
    code, out, err = run(capsys, "fit", "latin.csv", "--target", "target", "--quiet", "--plot", "",
                         "--encoding", "latin-1")
    assert code == 0, err
    assert "column 'town': text, 3 levels" in out and "column 'price': numbers written as text" in out
    assert "column 'note': ID-like" in out  # one text per row, commas and line breaks inside quotes
    code, out, err = run(capsys, "predict", "model.npz", "latin.csv", "--encoding", "latin-1")
    assert code == 0, err
    assert len(out.split()) == 91, out
    # UTF-8 with a byte-order mark, semicolons
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + body.replace(",", ";").encode("utf-8"))
    code, out, err = run(capsys, "fit", "bom.csv", "--target", "target", "--quiet", "--plot", "", "--out", "b.npz")
    assert code == 0, err
    assert "column 'town': text, 3 levels" in out, out
    code, out, err = run(capsys, "fit", "bom.csv", "--target", "target", "--encoding", "klingon", "--out", "c.npz")
    one_line_error(code, err, "unknown encoding 'klingon'")


def test_cli_predict_equals_the_same_pipeline_in_python(tmp_path, capsys, monkeypatch):
    pytest.importorskip("sklearn")
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import pygdx
    from pygdx.io import read_csv
    from pygdx.prepare import TablePreparer

    monkeypatch.chdir(tmp_path)
    frame = r_style_frame(seed=1)
    write_r_csv("d.csv", frame)
    settings = ["--optimizer", "adam", "--lr", "0.05", "--batch-size", "16", "--epochs", "30", "--seed", "7"]
    code, _, err = run(capsys, "fit", "d.csv", "--target", "mass", *settings, "--validation-split", "0",
                       "--quiet", "--plot", "")
    assert code == 0, err
    code, out, err = run(capsys, "predict", "model.npz", "d.csv")
    assert code == 0, err
    cli_pred = np.array(out.split()[1:], dtype=float)

    table = read_csv("d.csv")
    rows = table.mass.notna()
    pipe = TransformedTargetRegressor(
        make_pipeline(TablePreparer(), pygdx.GDRegressor(optimizer="adam", lr=0.05, batch_size=16, max_iter=30,
                                                         random_state=7)),
        transformer=StandardScaler())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Maximum number of iteration")  # as fit does
        pipe.fit(table[rows].drop(columns="mass"), table.mass[rows])
    np.testing.assert_allclose(cli_pred, pipe.predict(table.drop(columns="mass")), rtol=1e-9, atol=1e-9)

    # classification has no target scaling: the same bits
    code, _, err = run(capsys, "fit", "d.csv", "--target", "island", *settings, "--validation-split", "0",
                       "--quiet", "--plot", "", "--out", "c.npz")
    assert code == 0, err
    code, out, err = run(capsys, "predict", "c.npz", "d.csv")
    features = table.drop(columns="island")
    pipe = make_pipeline(TablePreparer(), pygdx.GDClassifier(optimizer="adam", lr=0.05, batch_size=16, max_iter=30,
                                                             random_state=7))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Maximum number of iteration")  # as fit does
        pipe.fit(features, table.island)
    assert out.split()[1:] == list(pipe.predict(features))


def test_fit_without_pandas_names_the_install_command(tmp_path):
    hidden = tmp_path / "hide"
    (hidden / "pandas").mkdir(parents=True)
    (hidden / "pandas" / "__init__.py").write_text("raise ImportError('hidden for this test')\n")
    (tmp_path / "d.csv").write_text("a,y\n1,2\n3,4\n")
    env = {**os.environ, "PYTHONPATH": str(hidden)}
    r = subprocess.run([sys.executable, "-m", "pygdx", "fit", "d.csv", "--target", "y"], capture_output=True,
                       text=True, cwd=tmp_path, env=env, timeout=300)
    one_line_error(r.returncode, r.stderr, 'pip install "pygdx[cli]"', "pandas")


def test_files_the_parser_would_misread_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # scikit-learn's bundled CSVs start with a line of counts and class names, shorter than
    # the rows: pandas alone would make the extra cells an index and read on
    (tmp_path / "short_header.csv").write_text("4,2,no,yes\n" + "1,2,3,4,5,0\n" * 4)
    code, out, err = run(capsys, "fit", "short_header.csv", "--target", "yes")
    one_line_error(code, err, "the data rows have more cells than the header has names (4)")
    (tmp_path / "target_only.csv").write_text("co2\n" + "315.5\n" * 20)
    code, out, err = run(capsys, "fit", "target_only.csv", "--target", "co2")
    one_line_error(code, err, "no feature columns besides the target 'co2'")
    # numbers aligned by spaces (scikit-learn's linnerud files)
    rows = "".join(f"{i * 7 % 20}   {100 + i % 13} {60 + i * 7 % 20}\n" for i in range(40))
    (tmp_path / "spaced.txt").write_text("Chins  Situps Jumps\n" + rows)
    code, out, err = run(capsys, "fit", "spaced.txt", "--target", "Jumps", "--quiet", "--plot", "")
    assert code == 0, err
    assert "2 column(s) of numbers used as they are: 'Chins', 'Situps'" in out


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(6)
    X = rng.normal(size=(50, 2))
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": X @ [1.0, 2.0]}).to_csv("d.csv", index=False)
    np.savez("d.npz", X=X, y=X @ [1.0, 2.0])
    (tmp_path / "truncated.npz").write_bytes((tmp_path / "d.npz").read_bytes()[:300])
    X[::2, 1] = 1e308
    np.savez("huge.npz", X=X, y=X[:, 0])
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": X[:, 0]}).to_csv("huge.csv", index=False)
    return tmp_path


FIT = ["fit", "d.csv", "--target", "y", "--quiet", "--epochs", "2"]
BAD_COMMAND_LINES = {
    "truncated .npz data": (["fit", "truncated.npz", "--quiet"], "truncated.npz: cannot be read"),
    "optimal schedule, alpha nan": ([*FIT, "--schedule", "optimal", "--alpha", "nan"], "--alpha must be"),
    "step schedule, gamma nan": ([*FIT, "--schedule", "step", "--gamma", "nan"], "--schedule step:"),
    "invscaling, power-t nan": ([*FIT, "--schedule", "invscaling", "--power-t", "nan"], "--schedule invscaling:"),
    "negative seed": ([*FIT, "--seed", "-1"], "expected a number >= 0"),
    "tol nan": ([*FIT, "--tol", "nan"], "--tol must be"),
    "fit --out /proc": ([*FIT, "--out", "/proc/x.npz"], "cannot write into /proc"),
    "fit --out /sys": ([*FIT, "--out", "/sys/x.npz"], "cannot write into /sys"),
    "fit --out /dev/full": ([*FIT, "--out", "/dev/full", "--force"], "/dev/full is not a regular file"),
    "fit --plot /proc": ([*FIT, "--plot", "/proc/x.png"], "cannot write into /proc"),
    "predict --out /proc": (["predict", "m.npz", "d.csv", "--out", "/proc/p.csv"], "cannot write into /proc"),
    "predict --out /dev/full": (["predict", "m.npz", "d.csv", "--out", "/dev/full", "--force"],
                                "/dev/full is not a regular file"),
    "demo --out /proc": (["demo", "--out", "/proc/demo", "--samples", "100", "--quiet"], "cannot make the folder"),
    "demo --samples 1": (["demo", "--samples", "1", "--quiet"], "--samples must be at least"),
    "fit --out the data": ([*FIT, "--out", "d.csv", "--force"], "is also an input file"),
    "predict --out the model": (["predict", "m.npz", "d.csv", "--out", "m.npz", "--force"], "is also an input file"),
    "unknown option": ([*FIT, "--bogus"], "unrecognized arguments: --bogus"),
    "numbers too large (.npz)": (["fit", "huge.npz", "--quiet"], "column '1' holds numbers too large to standardise"),
    "numbers too large (CSV)": (["fit", "huge.csv", "--target", "y"], "column 'b' holds numbers too large"),
    "plot and out the same": ([*FIT, "--out", "x.npz", "--plot", "x.npz"], "--plot and --out name the same file"),
}


@pytest.mark.parametrize("case", BAD_COMMAND_LINES)
def test_bad_command_lines_end_in_one_line_and_exit_2(data_folder, capsys, case):
    argv, message = BAD_COMMAND_LINES[case]
    for path in [a for a in argv if a.startswith(("/proc/", "/sys/", "/dev/"))]:
        if not os.path.isdir(os.path.dirname(path)) or path == "/dev/full" and not os.path.exists(path):
            pytest.skip(f"{os.path.dirname(path)} is not on this system")
    if argv[0] == "predict":
        assert run(capsys, *FIT, "--out", "m.npz", "--plot", "")[0] == 0
    before = {p.name: p.read_bytes() for p in data_folder.iterdir() if p.is_file()}
    code, out, err = run(capsys, *argv)
    one_line_error(code, err, message)
    after = {p.name: p.read_bytes() for p in data_folder.iterdir() if p.is_file()}
    assert after == before  # nothing written, nothing overwritten
    assert "epoch" not in out  # refused before any training


def test_the_plot_is_checked_before_the_model_is_saved(data_folder, capsys):
    code, out, err = run(capsys, *FIT, "--plot", "/proc/x.png")
    assert code == 2 and not (data_folder / "model.npz").exists()


def test_comment_lines_above_the_header_are_skipped_and_said(tmp_path, capsys, monkeypatch):
    """matplotlib's bundled Stocks.csv starts with '# Data source: ...' above its header: a
    file as people download it. Such lines are skipped (and the summary says how many); a
    header whose first name starts with '#' is still the header, and '#' in a data row is data."""
    from pygdx.io import read_csv

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 2))
    body = "a,b,tag,y\n" + "".join(f"{p:.5f},{q:.5f},#{i % 3},{p - q:.5f}\n" for i, (p, q) in enumerate(x))
    (tmp_path / "commented.csv").write_text("# Data source: a lab, 2024\n#   units: \"mm\"\n" + body)
    frame = read_csv("commented.csv")
    assert list(frame.columns) == ["a", "b", "tag", "y"] and len(frame) == 60
    assert frame.attrs["comment_lines"] == 2 and frame["tag"].iloc[4] == "#1"
    np.testing.assert_array_equal(frame["a"].to_numpy(), np.round(x[:, 0], 5))
    code, out, err = run(capsys, "fit", "commented.csv", "--target", "y", "--quiet", "--plot", "")
    assert code == 0, err
    assert "60 rows x 4 columns" in out and "2 comment line(s) starting with '#' above the header skipped" in out
    code, out, err = run(capsys, "predict", "model.npz", "commented.csv")
    assert code == 0, err
    assert len(out.split()) == 61, out
    # a header that starts with '#' has as many cells as the rows under it: kept as the header
    (tmp_path / "hash_header.csv").write_text("#id,value\n" + "".join(f"{i},{i * 2}\n" for i in range(5)))
    frame = read_csv("hash_header.csv")
    assert list(frame.columns) == ["#id", "value"] and len(frame) == 5 and frame.attrs["comment_lines"] == 0

    mpl_data = pytest.importorskip("matplotlib.cbook")._get_data_path("sample_data")
    stocks = mpl_data / "Stocks.csv"
    if not stocks.exists():
        pytest.skip("this matplotlib has no sample_data/Stocks.csv")
    frame = read_csv(stocks)
    assert frame.columns[0] == "Date" and "IBM" in frame.columns and frame.attrs["comment_lines"] == 1
    code, out, err = run(capsys, "fit", stocks, "--target", "IBM", "--quiet", "--plot", "", "--out", "stocks.npz")
    assert code == 0, err
    assert "1 comment line(s)" in out, out


def test_a_file_without_a_header_row_and_aligned_columns(tmp_path, capsys, monkeypatch):
    """matplotlib's bundled data_x_x2_x3.csv is what numpy.savetxt-style programs write: no
    header row, columns aligned by runs of spaces of different lengths (the csv sniffer
    gives up). Its columns are named by position, as a .npy file's are, and the summary says so."""
    from pygdx.io import load_table, read_csv

    monkeypatch.chdir(tmp_path)
    x = np.arange(12.0)
    (tmp_path / "aligned.csv").write_text("".join(f"{a:3.0f} {a * a:5.0f} {a ** 3:7.0f}\n" for a in x))
    frame = read_csv("aligned.csv")
    assert list(frame.columns) == ["0", "1", "2"] and len(frame) == 12 and frame.attrs["header"] is False
    np.testing.assert_array_equal(frame["2"].to_numpy(), x ** 3)
    table = load_table("aligned.csv", target="2")
    np.testing.assert_array_equal(table.X, np.column_stack([x, x * x]))
    assert table.feature_names == ["0", "1"]
    code, out, err = run(capsys, "fit", "aligned.csv", "--target", "2", "--quiet", "--plot", "")
    assert code == 0, err
    assert "no header row" in out and "0 .. 2" in out, out
    code, out, err = run(capsys, "predict", "model.npz", "aligned.csv")
    assert code == 0, err
    assert len(out.split()) == 13, out
    # a comma-separated file without a header, and one with a header, side by side
    (tmp_path / "bare.csv").write_text("".join(f"{a},{2 * a}\n" for a in range(5)))
    assert list(read_csv("bare.csv").columns) == ["0", "1"] and len(read_csv("bare.csv")) == 5
    (tmp_path / "named.csv").write_text("a,b\n" + "".join(f"{a},{2 * a}\n" for a in range(5)))
    assert list(read_csv("named.csv").columns) == ["a", "b"] and read_csv("named.csv").attrs["header"] is True

    mpl_data = pytest.importorskip("matplotlib.cbook")._get_data_path("sample_data")
    bundled = mpl_data / "data_x_x2_x3.csv"
    if bundled.exists():
        frame = read_csv(bundled)
        assert list(frame.columns) == ["0", "1", "2"]
        np.testing.assert_array_equal(frame["2"].to_numpy(), frame["0"].to_numpy() ** 3)
