"""End to end: `dvc repro` of the whole pipeline on a tiny configuration, in a temporary copy."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import SHARED_MITDB

REPO = Path(__file__).resolve().parents[1]
TINY = {
    "resample": {"target": 300, "max_upsample": 5},
    "model": {"filters": 4, "blocks": 1, "dense": 8, "rr_hidden": 4},
    "train": {"epochs": 1, "batch_size": 64},
    "evaluate": {"example_beats": 2},
}
EVAL_KEYS = {"accuracy", "macro_f1", "test_beats", "classes"}
CLASS_KEYS = {"se", "ppv", "f1", "spec", "auc", "support"}
TRAIN_KEYS = {"epochs_run", "best_epoch", "best_val_macro_f1", "train_seconds",
              "train_beats_per_second"}

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
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for stale in ("metrics", "plots", "dvc.lock"):  # the committed results must be regenerated
        shutil.rmtree(root / stale, ignore_errors=True) if stale != "dvc.lock" else \
            (root / stale).unlink(missing_ok=True)
    env = {**os.environ, "MITDB_MIRROR": str(SHARED_MITDB),
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
    assert set(beats) == {"N", "S", "V", "F", "Q", "total", "dropped_at_edges"}
    assert beats["total"] == sum(beats[c] for c in "NSVFQ") > 100_000
    for protocol in ("inter_patient", "intra_patient"):
        scores = json.loads((root / f"metrics/{protocol}/eval.json").read_text())
        assert set(scores) == EVAL_KEYS
        assert list(scores["classes"]) == ["N", "S", "V", "F", "Q"]
        assert all(set(c) == CLASS_KEYS for c in scores["classes"].values())
        assert 0 <= scores["accuracy"] <= 1
        assert sum(c["support"] for c in scores["classes"].values()) == scores["test_beats"]
        train = json.loads((root / f"metrics/{protocol}/train.json").read_text())
        assert set(train) == TRAIN_KEYS and train["epochs_run"] == 1
        for plot in ("confusion.csv", "roc.csv", "class_distribution.csv", "confusion.png",
                     "roc.png", "examples.png"):
            assert (root / f"plots/{protocol}/{plot}").stat().st_size > 0
    inter = json.loads((root / "metrics/inter_patient/eval.json").read_text())
    assert inter["test_beats"] == 49_692  # every DS2 beat, and only those


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
    assert "confusion" in html and len(html) < 3_000_000
