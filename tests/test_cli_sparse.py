"""pygdx fit / predict on sparse files: svmlight (labels inside) and SciPy .npz (target from
--target-file); model files that remember the sparse input."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import pygdx
from pygdx.cli import main
from pygdx.io import DataError, load_svmlight
from pygdx.modelfile import SavedModel, SparseInput, load_model, save_model

sp = pytest.importorskip("scipy.sparse")
# The reference fits below copy the command line's settings (5 epochs), which stop at max_iter
# as the command line's do; the command line reports that in its own output.
pytestmark = pytest.mark.filterwarnings("ignore:Maximum number of iteration reached:UserWarning")
sk_datasets = pytest.importorskip("sklearn.datasets")


FIT = ["--validation-split", "0", "--plot", "", "--quiet", "--epochs", "5", "--optimizer", "sgd", "--lr", "0.5",
       "--batch-size", "16"]


def estimator_like_the_cli(cls=pygdx.GDClassifier):
    return cls(optimizer="sgd", lr=0.5, batch_size=16, max_iter=5, tol=1e-4, penalty="l2", alpha=1e-4,
               random_state=0)


@pytest.fixture
def text_files(tmp_path):
    """train.svm (one-based), and test.svm whose rows never use the last 5 columns (so the
    file is narrower, as svmlight files omit trailing zero columns)."""
    from pygdx.datasets import make_text_classification

    X, y = make_text_classification(400, 60, 8, flip_y=0.0, random_state=0)
    sk_datasets.dump_svmlight_file(X[:300], y[:300], str(tmp_path / "train.svm"), zero_based=False)
    Xt = X[300:].tolil()
    Xt[:, 55:] = 0
    Xt = sp.csr_matrix(Xt)
    Xt.eliminate_zeros()
    sk_datasets.dump_svmlight_file(Xt, y[300:], str(tmp_path / "test.svm"), zero_based=False)
    return tmp_path, Xt


def test_fit_and_predict_svmlight_as_the_estimator_does(text_files, capsys):
    folder, Xt = text_files
    assert main(["fit", str(folder / "train.svm"), "--out", str(folder / "m.npz"), *FIT]) == 0
    out = capsys.readouterr().out
    assert "300 rows x 60 features" in out and "classification" in out
    assert main(["predict", str(folder / "m.npz"), str(folder / "test.svm")]) == 0
    lines = capsys.readouterr().out.split()
    X, y = load_svmlight(folder / "train.svm")
    est = estimator_like_the_cli().fit(X, y.astype(np.int64))
    expected = est.predict(sp.csr_matrix(Xt, shape=(100, 60)))
    assert lines[0] == "label"
    np.testing.assert_array_equal(np.array(lines[1:], dtype=np.int64), expected)
    model = load_model(folder / "m.npz")
    assert model.sparse_input == SparseInput(60, True) and model.feature_names == []


def test_predict_refuses_more_features_than_the_model_knows(text_files, capsys):
    folder, _ = text_files
    (folder / "wide.svm").write_text("1 3:1 70:0.5\n")
    assert main(["fit", str(folder / "train.svm"), "--out", str(folder / "m.npz"), *FIT]) == 0
    capsys.readouterr()
    assert main(["predict", str(folder / "m.npz"), str(folder / "wide.svm")]) == 2
    assert "has 70 feature columns but the model was trained on 60" in capsys.readouterr().err


def test_the_model_remembers_a_zero_based_file(tmp_path, capsys):
    rng = np.random.default_rng(0)
    lines = [f"{k % 2} 0:{rng.random():.3f} {1 + k % 3}:1" for k in range(60)]
    (tmp_path / "zero.svm").write_text("\n".join(lines) + "\n")
    (tmp_path / "later.svm").write_text("0 1:1\n1 2:1\n")  # no index 0: "auto" alone would shift it
    assert main(["fit", str(tmp_path / "zero.svm"), "--out", str(tmp_path / "m.npz"), *FIT]) == 0
    assert load_model(tmp_path / "m.npz").sparse_input == SparseInput(4, False)
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "later.svm")]) == 0
    got = np.array(capsys.readouterr().out.split()[1:], dtype=np.int64)
    X, y = load_svmlight(tmp_path / "zero.svm")
    est = estimator_like_the_cli().fit(X, y.astype(np.int64))
    np.testing.assert_array_equal(got, est.predict(load_svmlight(tmp_path / "later.svm", zero_based=True,
                                                                 n_features=4)[0]))


def test_sparse_npz_with_a_target_file(tmp_path, capsys):
    from pygdx.datasets import make_text_classification

    X, _, coef = make_text_classification(300, 40, 6, random_state=2, return_coef=True)
    target = X @ coef
    sp.save_npz(tmp_path / "X.npz", X.tocsc())  # any format: converted to CSR once
    (tmp_path / "y.csv").write_text("score\n" + "\n".join(f"{v:.17g}" for v in target) + "\n")
    args = ["fit", str(tmp_path / "X.npz"), "--target-file", str(tmp_path / "y.csv"), "--out",
            str(tmp_path / "m.npz"), *FIT, "--lr", "0.05"]
    assert main(args) == 0
    assert "regression" in capsys.readouterr().out
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "X.npz")]) == 0
    lines = capsys.readouterr().out.split()
    assert lines[0] == "score" and len(lines) == 301
    est = estimator_like_the_cli(pygdx.GDRegressor).set_params(lr=0.05)
    mean, scale = target.mean(), target.std()
    est.fit(X, (target - mean) / scale)
    np.testing.assert_allclose(np.array(lines[1:], dtype=float), est.predict(X) * scale + mean, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("files,args,message", [
    ({"a.svm": "1 1:2\n"}, ["fit", "a.svm", "--target", "y"], "an svmlight file carries its labels"),
    ({"a.npz": "sparse"}, ["fit", "a.npz"], "a sparse .npz holds X only; give the target with --target-file"),
    ({"a.npz": "sparse", "y.txt": "1\n2\n"}, ["fit", "a.npz", "--target-file", "y.txt"],
     "y.txt: holds 2 target values but the data has 3 rows"),
    ({"a.csv": "x,y\n1,2\n", "y.txt": "1\n"}, ["fit", "a.csv", "--target", "y", "--target-file", "y.txt"],
     "--target-file gives the target of a SciPy sparse .npz"),
    ({"a.svm": "1 1:2\n0 2:1\nfoo 3:1\n"}, ["fit", "a.svm"], "a.svm: line 3: the label 'foo' is not a number"),
    ({"a.svm": ""}, ["fit", "a.svm"], "a.svm: the file is empty; it needs a line of data"),
    ({"a.svm": "1 1:2\n"}, ["fit", "a.svm", "--features", "x"], "--features and --drop choose columns of a CSV"),
    ({"a.dat": "1 1:2\n"}, ["fit", "a.dat"], "a.dat: unknown file type"),
])
def test_bad_sparse_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, files, args, message):
    monkeypatch.chdir(tmp_path)
    for name, content in files.items():
        if content == "sparse":
            sp.save_npz(tmp_path / name, sp.random(3, 4, density=0.5, format="csr", random_state=0))
        else:
            (tmp_path / name).write_text(content)
    assert main([*args, "--plot", "", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_sparse_and_dense_models_refuse_each_others_files(tmp_path, capsys):
    X = np.random.default_rng(0).normal(size=(40, 3))
    np.savez(tmp_path / "d.npz", X=X, y=(X[:, 0] > 0).astype(int))
    assert main(["fit", str(tmp_path / "d.npz"), "--out", str(tmp_path / "dense.npz"), *FIT]) == 0
    (tmp_path / "s.svm").write_text("1 1:2\n")
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "dense.npz"), str(tmp_path / "s.svm")]) == 2
    assert "holds sparse rows, but this model was trained on a .npy/.npz array" in capsys.readouterr().err
    est = pygdx.GDClassifier(max_iter=1, tol=None).fit(np.zeros((2, 3)), [0, 1])
    save_model(tmp_path / "sparse.npz", SavedModel(est, [], "label", np.zeros(0), np.ones(0), "classification",
                                                   sparse_input=SparseInput(3, True)))
    assert main(["predict", str(tmp_path / "sparse.npz"), str(tmp_path / "d.npz")]) == 2
    assert "this model was trained on sparse rows" in capsys.readouterr().err


def test_a_sparse_model_file_round_trips_and_is_checked(tmp_path):
    est = pygdx.GDClassifier(max_iter=1, tol=None).fit(np.zeros((2, 5)), [0, 1])
    est.coef_ = np.arange(5.0)[None, :]
    path = tmp_path / "m.npz"
    save_model(path, SavedModel(est, [], "label", np.zeros(0), np.ones(0), "classification",
                                sparse_input=SparseInput(5, False)))
    model = load_model(path)
    assert model.sparse_input == SparseInput(5, False) and model.n_features == 5
    np.testing.assert_array_equal(model.estimator.coef_, est.coef_)
    with zipfile.ZipFile(path) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    meta = json.loads(str(np.load(path)["meta"]))
    for bad in ({"n_features": 0, "one_based": True}, {"n_features": 5}, {"n_features": 5, "one_based": 1}):
        meta["sparse_input"] = bad
        damaged = tmp_path / "bad.npz"
        with zipfile.ZipFile(damaged, "w") as zf:
            for name, data in entries.items():
                if name == "meta.npy":
                    with zf.open(name, "w") as fh:
                        np.lib.format.write_array(fh, np.array(json.dumps(meta)))
                else:
                    zf.writestr(name, data)
        with pytest.raises(DataError, match="'sparse_input' must hold a positive 'n_features'"):
            load_model(damaged)


def test_a_txt_file_of_svmlight_lines_is_read_as_svmlight(tmp_path, capsys):
    (tmp_path / "d.txt").write_text("\n".join(f"{k % 2} {1 + k % 4}:1" for k in range(40)) + "\n")
    assert main(["fit", str(tmp_path / "d.txt"), "--out", str(tmp_path / "m.npz"), *FIT]) == 0
    assert "(svmlight, read in" in capsys.readouterr().out
