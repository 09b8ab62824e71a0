"""The benchmark suite runs end to end and writes every documented key. No timing is checked:
benchmarks are not tests."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecgcnn.bench.children import run_child
from ecgcnn.bench.repro import shim
from ecgcnn.bench.stages import find_mitdb
from ecgcnn.bench.train_step import forward_flops

TRAIN_STEP = ("batch", "flax_beats_per_s", "torch_beats_per_s", "ratio", "gflops_per_s",
              "matmul_peak_gflops_per_s", "pct_of_peak", "compile_s", "flax_beats_per_s_median",
              "torch_beats_per_s_median", "torch_compile_beats_per_s",
              "torch_compile_beats_per_s_median", "matmul_gflops_by_n")
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
    assert len(t["matmul_gflops_by_n"]) >= 2 and peak == max(t["matmul_gflops_by_n"].values())
    # The fastest of the timed epochs: at least the median.
    assert t["flax_beats_per_s"] >= t["flax_beats_per_s_median"] > 0
    assert t["pct_of_peak"] == pytest.approx(100 * t["gflops_per_s"] / peak)
    # The analytic count (convolutions and dense layers) is what XLA counts, give or take the
    # elementwise work it adds.
    assert 0.9 < t["flops_per_step_xla"] / t["flops_per_step_analytic"] < 1.3
    if HAS_TORCH:
        assert t["torch_beats_per_s"] >= t["torch_beats_per_s_median"] > 0
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


def test_timer_shim_times_a_command_and_keeps_its_exit_code(tmp_path):
    """The `python` that dvc finds first on PATH in the repro copy (repro.shim)."""
    log, python = tmp_path / "stages.jsonl", tmp_path / "python"
    python.write_text(shim(log))
    python.chmod(0o755)
    assert subprocess.run([str(python), "-c", "pass"]).returncode == 0
    assert subprocess.run([str(python), "-c", "import sys; sys.exit(3)"]).returncode == 3
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert first["cmd"] == [sys.executable, "-c", "pass"] and first["rc"] == 0
    assert second["rc"] == 3 and first["s"] > 0 and 0 < first["rss_mb"] < 100


def test_extract_child_does_not_import_jax():
    code = "import sys, ecgcnn.bench.extract_child; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "False", out.stderr[-2000:]


CONFIGS = {
    "committed": {"filters": 32, "kernel_size": 5, "blocks": 4, "dense": 64, "rr_hidden": 32,
                  "dropout": 0.2, "rhythm_decides_s": True, "shape_channels": [0, 1]},
    "one_channel": {"filters": 8, "kernel_size": 3, "blocks": 3, "dense": 16, "rr_hidden": 8,
                    "dropout": 0.2, "rhythm_decides_s": False, "shape_channels": [0]},
}


@pytest.mark.skipif(not HAS_TORCH, reason="torch is the optional extra `bench`")
@pytest.mark.parametrize("name", CONFIGS)
def test_torch_model_computes_the_flax_model(name):
    """Same weights, same logits: the PyTorch reference is the same function, SAME pooling
    (1 sample before, 2 after at length 126) and flattening order included."""
    import jax.numpy as jnp
    import torch

    from ecgcnn.beats import RR_FEATURES
    from ecgcnn.bench.torch_net import BeatClassifier, load_flax_params
    from ecgcnn.model import build_model, count_params

    cfg, k = CONFIGS[name], len(RR_FEATURES)
    flax_model = build_model(cfg, 126, 2, k, seed=0)
    torch_model = BeatClassifier(window=126, channels=2, rr_features=k, **cfg)
    assert sum(p.numel() for p in torch_model.parameters()) == count_params(flax_model)
    load_flax_params(torch_model, flax_model).eval()

    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 126, 2), dtype=np.float32)
    rr = rng.standard_normal((8, k), dtype=np.float32)
    expected = np.asarray(flax_model(jnp.asarray(x), jnp.asarray(rr)))
    with torch.no_grad():
        got = torch_model(torch.from_numpy(x.transpose(0, 2, 1).copy()), torch.from_numpy(rr),
                          torch.ones(8)).numpy()
    assert got.shape == (8, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
