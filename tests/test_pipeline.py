"""End to end: `dvc repro` of the whole pipeline on a tiny configuration, in a temporary copy."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SHARED_MITDB, assert_every_plot_rendered

from ecgcnn.splits import DS1, DS2

REPO = Path(__file__).resolve().parents[1]
TINY = {
    "resample": {"target": 300, "max_upsample": 5},
    "model": {"filters": 4, "blocks": 1, "dense": 8, "rr_hidden": 4},
    "train": {"epochs": 1, "batch_size": 64},
    "evaluate": {"example_beats": 2},
    "cv": {"seeds": [0]},
    "adaptive": {"k": [2, 12], "draws": 2},
    "noisy": {"records": ["101", "803"], "copies": 1},
    "noise_cv": {"records": ["101", "109"], "snr_db": [12]},
}
TINY_MODELS = {"inter_patient-seed0": {"protocol": "inter_patient", "seed": 0},
               "inter_patient-seed3": {"protocol": "inter_patient", "seed": 3},
               "intra_patient-seed0": {"protocol": "intra_patient", "seed": 0},
               "inter_patient_svdb-seed0": {"protocol": "inter_patient_svdb", "seed": 0}}
PROTOCOLS = ("inter_patient", "intra_patient", "inter_patient_svdb")
SVDB_BEATS = 96_932  # every SVDB training record's annotated beats, less one at each edge
INTER_EPOCHS = 2
EVAL_KEYS = {"accuracy", "macro_f1", "test_beats", "classes", "ec57"}
CLASS_KEYS = {"se", "ppv", "f1", "spec", "auc", "support"}
SUMMARY_KEYS = {"accuracy", "macro_f1", "S_f1", "V_f1", "S_se", "S_ppv", "V_se", "V_ppv", "F_se",
                "N_as_F"}
TRAIN_KEYS = {"epochs_run", "kept_epoch", "best_val_macro_f1"}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not SHARED_MITDB.exists(), reason="needs ../shared/mitdb")]


def run(cmd, cwd, env):
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory):
    """A copy of the project's tracked files with tiny params, after one `dvc repro`."""
    root = tmp_path_factory.mktemp("repo")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    params = yaml.safe_load((root / "params.yaml").read_text())
    for group, values in TINY.items():
        params[group].update(values)
    params["models"] = TINY_MODELS
    params["protocols"]["inter_patient"]["train"]["epochs"] = INTER_EPOCHS
    params["protocols"]["inter_patient_svdb"]["train"]["epochs"] = 1
    params["protocols"]["inter_patient_svdb"]["split"]["noisy"] = True
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for stale in ("metrics", "plots", "dvc.lock"):  # the committed results must be regenerated
        shutil.rmtree(root / stale, ignore_errors=True) if stale != "dvc.lock" else \
            (root / stale).unlink(missing_ok=True)
    env = {**os.environ, "ECGCNN_MIRROR": str(SHARED_MITDB.parent), "MITDB_MIRROR": "",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    run(["git", "init", "-q"], root, env)
    run(["git", "add", "-A"], root, env)  # dvclive wants a repository with a commit
    run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qm",
         "tiny"], root, env)
    log = run([str(Path(sys.executable).parent / "dvc"), "repro"], root, env)
    return root, env, log


def test_repro_writes_every_metrics_file_with_the_documented_schema(tiny_repo):
    root, _, _ = tiny_repo
    beats = json.loads((root / "metrics/beats.json").read_text())
    assert set(beats) == {"N", "S", "V", "F", "Q", "total", "dropped_at_edges", "databases"}
    assert beats["total"] == sum(beats[c] for c in "NSVFQ") > 200_000
    svdb = beats["databases"]["svdb"]
    assert svdb["records"] == 39 and sum(svdb[c] for c in "NSVFQ") == SVDB_BEATS
    assert beats["databases"]["mitdb"]["records"] == 48
    for protocol in PROTOCOLS:
        scores = json.loads((root / f"metrics/{protocol}/eval.json").read_text())
        assert set(scores) == EVAL_KEYS
        assert list(scores["classes"]) == ["N", "S", "V", "F", "Q"]
        assert all(set(c) == CLASS_KEYS for c in scores["classes"].values())
        assert 0 <= scores["accuracy"] <= 1
        assert sum(c["support"] for c in scores["classes"].values()) == scores["test_beats"]
        assert set(scores["ec57"]) == {"veb", "sveb"}
        assert all(set(v) == {"se", "ppv", "fpr"} for v in scores["ec57"].values())
        train = json.loads((root / f"metrics/{protocol}/seed0/train.json").read_text())
        assert set(train) == TRAIN_KEYS  # timings live in timings/, not in the metrics
        timing = json.loads((root / f"timings/{protocol}/seed0/train.json").read_text())
        assert timing["train_seconds"] > 0
        for plot in ("confusion.csv", "roc.csv", "class_distribution.csv", "confusion.png",
                     "roc.png", "examples.png", "per_record.png"):
            assert (root / f"plots/{protocol}/{plot}").stat().st_size > 0
    inter = json.loads((root / "metrics/inter_patient/eval.json").read_text())
    assert inter["test_beats"] == 49_692  # every DS2 beat, and only those
    more = json.loads((root / "metrics/inter_patient_svdb/eval.json").read_text())
    assert more["test_beats"] == 49_692  # the same test set, more patients in training
    inter_train = json.loads((root / "metrics/inter_patient/seed0/train.json").read_text())
    assert inter_train["epochs_run"] == inter_train["kept_epoch"] == INTER_EPOCHS


def test_seeds_json_summarises_every_listed_seed_and_eval_is_the_first(tiny_repo):
    root, _, _ = tiny_repo
    seeds = json.loads((root / "metrics/inter_patient/seeds.json").read_text())
    assert seeds["seeds"] == [0, 3]
    assert SUMMARY_KEYS <= set(seeds)
    assert all(set(seeds[k]) == {"mean", "std", "min", "max"} for k in SUMMARY_KEYS)
    inter = json.loads((root / "metrics/inter_patient/eval.json").read_text())
    acc = seeds["accuracy"]
    assert acc["min"] <= inter["accuracy"] <= acc["max"]
    assert json.loads((root / "metrics/intra_patient/seeds.json").read_text())["seeds"] == [0]


def test_cv_report_covers_every_fold_and_never_ds2(tiny_repo):
    root, _, _ = tiny_repo
    cv = json.loads((root / "metrics/inter_patient/cv.json").read_text())
    assert cv["folds"] == len(cv["per_fold"]) == len(cv["records"]) == 5
    assert set(cv["databases"]) == {"mitdb"}
    assert cv["seeds"] == [0] and cv["epoch"] == INTER_EPOCHS
    flat = {r for fold in cv["records"] for r in fold}
    assert flat == set(DS1) and not flat & set(DS2)
    assert sum(f["beats"] for f in cv["per_fold"]) == 51_002  # every DS1 beat, once
    assert SUMMARY_KEYS <= set(cv)
    curve = pd.read_csv(root / "plots/inter_patient/cv_epochs.csv")
    assert list(curve["epoch"]) == list(range(1, INTER_EPOCHS + 1))
    assert curve["accuracy"].iloc[-1] == pytest.approx(cv["accuracy"]["mean"])


def test_svdb_cv_covers_61_records_scores_each_database_and_keeps_fold_models(tiny_repo):
    root, _, _ = tiny_repo
    cv = json.loads((root / "metrics/inter_patient_svdb/cv.json").read_text())
    flat = {r for fold in cv["records"] for r in fold}
    assert len(flat) == 61 and set(DS1) <= flat and not flat & set(DS2)
    assert sum(f["beats"] for f in cv["per_fold"]) == 51_002 + SVDB_BEATS
    assert set(cv["databases"]) == {"mitdb", "svdb"}
    assert all(set(f["databases"]) == {"mitdb", "svdb"} for f in cv["per_fold"])
    assert SUMMARY_KEYS <= set(cv["databases"]["svdb"])
    table = pd.read_csv(root / "plots/inter_patient_svdb/cv_per_record.csv", dtype={"record": str})
    assert sorted(table["record"]) == sorted(flat)
    assert table[list("NSVFQ")].to_numpy().sum() == 51_002 + SVDB_BEATS
    for fold in range(5):
        assert (root / f"models/cv/inter_patient_svdb/fold{fold}/seed0/config.json").exists()


def test_noisy_copies_train_inter_patient_svdb_and_never_test(tiny_repo):
    root, _, _ = tiny_repo
    noisy = json.loads((root / "metrics/noisy.json").read_text())
    assert noisy["records"] == 2 and noisy["beats"] == sum(noisy[c] for c in "NSVFQ")
    assert noisy["Q"] > 0  # detections in the noise, labelled unclassifiable
    n_beats = len(np.load(root / "data/beats/beats.npz")["label"])
    copies = np.load(root / "data/noisy/beats.npz")
    assert sorted(set(copies["record"])) == ["101", "803"]
    with_copies = np.load(root / "data/inter_patient_svdb/split.npz")
    assert (with_copies["train_original"] >= n_beats).sum() == len(copies["label"])
    assert with_copies["test"].max() < n_beats
    assert np.load(root / "data/inter_patient/split.npz")["train_original"].max() < n_beats


def test_noise_cv_scores_the_chosen_held_out_records_clean_and_in_noise(tiny_repo):
    root, _, _ = tiny_repo
    result = json.loads((root / "metrics/inter_patient_svdb/noise_cv.json").read_text())
    assert result["records"] == 2 and list(result["snr"]) == ["12"]
    assert result["sources"] == ["em_cv"] and result["seeds"] == [0]
    clean, noisy = result["clean"], result["snr"]["12"]["noisy"]
    # the same reference beats under both: noise is added to the signal, the beats stay
    assert clean["reference_beats"]["mean"] == noisy["reference_beats"]["mean"] > 1000
    assert noisy["qrs"]["ppv"]["mean"] < clean["qrs"]["ppv"]["mean"]  # noise adds detections
    curve = pd.read_csv(root / "plots/inter_patient_svdb/noise_cv.csv")
    assert list(curve["snr"]) == [12]
    assert curve["veb_ppv"].iloc[0] == pytest.approx(noisy["veb"]["ppv"]["mean"])


def test_ds1_models_are_scored_on_every_svdb_beat(tiny_repo):
    root, _, _ = tiny_repo
    on = json.loads((root / "metrics/inter_patient/on_svdb.json").read_text())
    assert on["default"]["test_beats"] == SVDB_BEATS
    assert on["seeds"]["seeds"] == [0, 3] and SUMMARY_KEYS <= set(on["seeds"])
    table = pd.read_csv(root / "plots/inter_patient/on_svdb_per_record.csv", dtype={"record": str})
    assert len(table) == 39 and table["record"].str.startswith("8").all()


def test_per_record_table_lists_every_ds2_record_and_adds_up(tiny_repo):
    root, _, _ = tiny_repo
    table = pd.read_csv(root / "plots/inter_patient/per_record.csv", dtype={"record": str})
    assert sorted(table["record"]) == sorted(DS2)
    assert table[list("NSVFQ")].to_numpy().sum() == 49_692
    assert (table["errors"] == table[[f"{c}_wrong" for c in "NSVFQ"]].sum(axis=1)).all()
    inter = json.loads((root / "metrics/inter_patient/eval.json").read_text())
    assert 1 - table["errors"].sum() / 49_692 == pytest.approx(inter["accuracy"])


def test_second_repro_does_nothing_and_status_is_clean(tiny_repo):
    root, env, _ = tiny_repo
    dvc = str(Path(sys.executable).parent / "dvc")
    log = run([dvc, "repro"], root, env)
    assert "Running stage" not in log
    assert "up to date" in run([dvc, "status"], root, env)


def test_metrics_and_plots_commands_work(tiny_repo):
    root, env, _ = tiny_repo
    dvc = str(Path(sys.executable).parent / "dvc")
    shown = run([dvc, "metrics", "show", "--json"], root, env)
    assert "macro_f1" in shown and "dropped_at_edges" in shown
    run([dvc, "plots", "show", "-o", "plots_html"], root, env)
    html = (root / "plots_html" / "index.html").read_text()
    assert len(html) < 3_000_000
    assert_every_plot_rendered(root, root / "plots_html" / "index.html", root / "page.png")


def test_every_plot_has_data_and_the_curves_are_in_order(tiny_repo):
    root, _, _ = tiny_repo
    entries = yaml.safe_load((root / "dvc.yaml").read_text())["plots"]
    for path in (root / (next(iter(e)) if isinstance(e, dict) else e) for e in entries):
        files = sorted(path.rglob("*.tsv")) if path.is_dir() else [path]
        assert files, path
        for f in files:
            if f.suffix == ".png":
                assert plt.imread(f).shape[0] > 100, f
            else:
                assert len(pd.read_csv(f, sep="\t" if f.suffix == ".tsv" else ",")) > 0, f
    for protocol in PROTOCOLS:
        roc = pd.read_csv(root / f"plots/{protocol}/roc.csv")
        for _, curve in roc.groupby("class"):
            curve = curve.sort_values("order")
            assert curve["fpr"].is_monotonic_increasing and curve["tpr"].is_monotonic_increasing
        loss = pd.read_csv(root / f"plots/{protocol}/train_log/seed0/plots/metrics/train/loss.tsv",
                           sep="\t")
        train = json.loads((root / f"metrics/{protocol}/seed0/train.json").read_text())
        assert list(loss["step"]) == list(range(1, train["epochs_run"] + 1))  # as train.json
    sets = pd.read_csv(root / "plots/inter_patient/class_distribution.csv")["set"]
    assert "val" not in set(sets)  # inter_patient has no validation patients: no empty series
    sets = pd.read_csv(root / "plots/inter_patient_svdb/class_distribution.csv")["set"]
    assert {"train (+ noisy copies)", "train resampled (+ noisy copies)", "test"} <= set(sets)


def test_adaptive_scores_only_the_beats_after_the_learning_period(tiny_repo):
    root, _, _ = tiny_repo
    beats = np.load(root / "data/beats/beats.npz")
    after = beats["sample"] >= 5 * 60 * 360  # MIT-BIH: 360 Hz
    for name in ("adaptive", "adaptive_cv"):
        result = json.loads((root / f"metrics/inter_patient_svdb/{name}.json").read_text())
        assert list(result["settings"]) == ["0", "2", "12", "5min"]
        per_run = {s: len(r["runs"]) for s, r in result["settings"].items()}
        assert per_run == {"0": 1, "2": 2, "12": 2, "5min": 1}  # 1 seed (CV: folds pooled), 2 draws
        if name == "adaptive":
            assert result["records"] == 22
            assert result["scored_beats"] == int((np.isin(beats["record"], DS2) & after).sum())
        else:  # the 61 CV records: DS1's beats after 5 min among them
            assert result["records"] == 61
            assert result["scored_beats"] > int((np.isin(beats["record"], DS1) & after).sum())
        labelled = result["settings"]["5min"]["labelled_beats_per_record"]
        assert 200 < labelled < 700  # every beat of the first 5 minutes
        assert result["settings"]["2"]["labelled_beats_per_record"] == 2


def test_score_on_ds2_reproduces_the_evaluate_stage_exactly(tiny_repo, tmp_path):
    """`ecgcnn score` goes record by record through predict's chain; evaluate scores the
    extracted test set in one go. Same beats, same model: the same confusion matrix."""
    root, env, _ = tiny_repo
    ecgcnn = str(Path(sys.executable).parent / "ecgcnn")
    out = tmp_path / "score"
    run([ecgcnn, "score", str(SHARED_MITDB), "--records", *DS2, "--out", str(out),
         "--model", "models/inter_patient/seed0", "--jobs", "2"], root, env)
    scored = json.loads((out / "summary.json").read_text())
    cm = pd.read_csv(root / "plots/inter_patient/confusion.csv")
    matrix = np.zeros((5, 5), dtype=int)
    for row in cm.itertuples():
        matrix["NSVFQ".index(row.actual), "NSVFQ".index(row.predicted)] = row.count
    assert scored["scored_beats"] == 49_692 and not scored["failed"]
    np.testing.assert_array_equal(scored["confusion"]["matrix"], matrix)
