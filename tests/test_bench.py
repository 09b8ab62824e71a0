"""The benchmark suite runs end to end and writes every documented key. No timing is checked:
benchmarks are not tests."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecgcnn.bench import find_mitdb, forward_flops, run_child

TRAIN_STEP = ("batch", "flax_beats_per_s", "torch_beats_per_s", "ratio", "gflops_per_s",
              "matmul_peak_gflops_per_s", "pct_of_peak", "compile_s")
STAGES = ("extract_s", "full_repro_s", "noop_repro_s", "predict_s", "predict_detect_s",
          "extract_peak_rss_mb", "train_peak_rss_mb")
HAS_TORCH = importlib.util.find_spec("torch") is not None
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run([sys.executable, "-m", "ecgcnn.bench", "--tiny", "--skip-repro",
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def positive(value):
    return isinstance(value, int | float) and value > 0


def test_results_have_every_key(tiny):
    results, _ = tiny
    assert positive(results["machine"]["cores"]) and results["machine"]["cpu_model"]
    assert set(TRAIN_STEP) <= set(results["train_step"])
    assert set(STAGES) <= set(results["stages"])
    if find_mitdb():  # else no beats to train on: growth is empty, with a note
        assert set(results["growth"]) == {"0.25", "0.5", "1.0"}


def test_train_step_numbers(tiny):
    t, _ = tiny
    t = t["train_step"]
    for key in ("flax_beats_per_s", "gflops_per_s", "matmul_peak_gflops_per_s", "compile_s"):
        assert positive(t[key]), key
    assert 0 < t["pct_of_peak"] < 100
    peak = t["matmul_peak_gflops_per_s"]
    assert t["pct_of_peak"] == pytest.approx(100 * t["gflops_per_s"] / peak)
    # The analytic count (convolutions and dense layers) is what XLA counts, give or take the
    # elementwise work it adds.
    assert 0.9 < t["flops_per_step_xla"] / t["flops_per_step_analytic"] < 1.3
    if HAS_TORCH:
        assert positive(t["torch_beats_per_s"])
        assert t["ratio"] == pytest.approx(t["flax_beats_per_s"] / t["torch_beats_per_s"])
    else:
        assert t["torch_beats_per_s"] is None and "torch_beats_per_s" in t["notes"]


def test_stage_numbers_or_a_reason(tiny):
    results, stdout = tiny
    stages, notes = results["stages"], results["stages"]["notes"]
    for key in STAGES:
        assert positive(stages[key]) or (stages[key] is None and key in notes), key
    assert stages["full_repro_s"] is None and stages["noop_repro_s"] is None  # --skip-repro
    if find_mitdb():
        for key in ("extract_s", "extract_peak_rss_mb", "train_peak_rss_mb"):
            assert positive(stages[key]), key
        assert all(positive(s) for s in results["growth"].values())
        assert positive(results["inference"]["beats_per_s"])
    assert "| train step, batch |" in stdout and "| stage | seconds | peak RSS MB |" in stdout


def test_forward_flops_of_the_committed_model():
    cfg = {"filters": 32, "kernel_size": 5, "blocks": 4, "dense": 64, "rr_hidden": 32,
           "dropout": 0.2, "rhythm_decides_s": True,
           "shape_channels": [0, 1]}
    convs = 2 * 5 * (126 * 2 * 32 + 2 * 32 * 32 * (126 + 63 + 32 + 16))
    dense = 2 * (32 * 8 * 64 + 64 * 4 + 7 * 32 + 32 * 5)  # 7 RR features
    assert forward_flops(cfg, 126) == convs + dense


def test_child_peak_rss_is_its_own():
    ballast = np.ones(400 * 2**20 // 8)  # a big parent, as the bench process is
    small = run_child([sys.executable, "-c", "pass"])
    big = run_child([sys.executable, "-c", "b = b'x' * (300 * 2**20)"])
    assert small["rc"] == big["rc"] == 0
    assert small["rss_mb"] < 100
    assert 300 <= big["rss_mb"] < 400
    del ballast


@pytest.mark.skipif(not HAS_TORCH, reason="torch is the optional extra `bench`")
def test_torch_model_is_the_same_architecture():
    import torch
    from flax import nnx

    from ecgcnn.bench_torch import BeatClassifier
    from ecgcnn.model import build_model, count_params

    cfg = {"filters": 32, "kernel_size": 5, "blocks": 4, "dense": 64, "rr_hidden": 32,
           "dropout": 0.2, "rhythm_decides_s": True,
           "shape_channels": [0, 1]}
    flax_model = nnx.eval_shape(lambda: build_model(cfg, 126, 2, 6, seed=0))  # shapes only
    torch_model = BeatClassifier(window=126, channels=2, rr_features=6, **cfg)
    assert sum(p.numel() for p in torch_model.parameters()) == count_params(flax_model)
    torch_model.eval()
    rr, keep = torch.randn(3, 6), torch.ones(3)
    a, b = (torch_model(torch.randn(3, 2, 126), rr, keep) for _ in range(2))
    assert a.shape == (3, 5)
    assert torch.allclose((a - b)[:, 0], (a - b)[:, 1])  # N and S share the shape logit
