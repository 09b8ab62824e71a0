"""Data parallelism of train.py: a 2-device run matches a 1-device run, really splits each
batch, and training compiles its step once.

XLA_FLAGS=--xla_force_host_platform_device_count must be set before jax starts, so each
device count runs SCRIPT in its own Python process, which prints its findings as JSON.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = r"""
import json, logging
import jax, numpy as np
from flax import nnx
from ecgcnn import train
from ecgcnn.model import build_model

MODEL = {"filters": 8, "kernel_size": 5, "blocks": 2, "dense": 16, "rr_hidden": 8,
         "dropout": 0.1, "rhythm_decides_s": True,
           "shape_channels": [0, 1]}
TRAIN = {"lr": 3e-3, "weight_decay": 1e-4, "batch_size": 32, "epochs": 2, "patience": 5,
         "shape_dropout": 0.3, "seed": 0}

def beats(n, seed):
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((n, 40, 2), dtype=np.float32),
            "rr": rng.standard_normal((n, 6), dtype=np.float32),
            "y": rng.integers(0, 5, n).astype(np.int32)}

# Every batch goes through train.shard_batch inside the jitted functions: record how the
# partitioner laid out each one (called at compile time).
layouts, shard_batch = [], train.shard_batch
def spy(mesh, x):
    x = shard_batch(mesh, x)
    jax.debug.inspect_array_sharding(x, callback=lambda s, shape=x.shape: layouts.append(
        [shape[0], s.shard_shape(shape)[0], s.num_devices]))
    return x
train.shard_batch = spy

# With log_compiles, jax logs "Compiling jit(<name>) ..." once per XLA compilation.
compiles = []
class Count(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        if message.startswith("Compiling jit("):
            compiles.append(message.removeprefix("Compiling jit(").split(")")[0])
logging.getLogger("jax").addHandler(Count())

metrics, compiled_by_epoch = [], []
def log(epoch, values):
    metrics.append(values)
    compiled_by_epoch.append(list(compiles))

model = build_model(MODEL, 40, 2, 6, seed=0)
with jax.log_compiles(True):
    train.fit(model, beats(256, 0), beats(64, 1), TRAIN, log=log, progress=False)

mesh = train.data_mesh()
graphdef, params = nnx.split(model, nnx.Param)
val = beats(16, 2)
out = train.make_predict(graphdef, mesh)(train.replicate(mesh, params), val["x"], val["rr"])
print(json.dumps({"devices": jax.device_count(), "metrics": metrics, "layouts": layouts,
                  "compiled_by_epoch": compiled_by_epoch, "probs": np.asarray(out).tolist(),
                  "out_shards": [list(s.data.shape) for s in out.addressable_shards]}))
"""


@pytest.fixture(scope="module")
def runs():
    """{devices: findings} for 1 and 2 CPU devices; the two processes run side by side."""
    procs = {}
    for devices in (1, 2):
        flags = f"--xla_force_host_platform_device_count={devices}"
        # Optimisations off halve the compile time; sharding and results do not depend on them.
        env = {**os.environ, "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip(),
               "JAX_PLATFORMS": "cpu", "JAX_DISABLE_MOST_OPTIMIZATIONS": "1"}
        procs[devices] = subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = {}
    for devices, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        results[devices] = json.loads(out.strip().splitlines()[-1])
        assert results[devices]["devices"] == devices
    return results


def test_two_devices_train_like_one(runs):
    one, two = runs[1]["metrics"], runs[2]["metrics"]
    assert len(one) == len(two) == 2
    for a, b in zip(one, two, strict=True):
        # Same random numbers on any sharding (threefry is partitionable); only the order of
        # the sums over the batch differs.
        assert a["train/loss"] == pytest.approx(b["train/loss"], rel=1e-4)
        assert a["val/loss"] == pytest.approx(b["val/loss"], rel=1e-4)
    np.testing.assert_allclose(runs[1]["probs"], runs[2]["probs"], rtol=1e-4, atol=1e-6)


def test_each_batch_is_split_over_the_devices(runs):
    layouts = runs[2]["layouts"]
    # x, rr, y of the train step (32); x, rr of validation (padded to 4096) and of 16 beats
    assert {batch for batch, _, _ in layouts} == {32, 4096, 16}
    for batch, shard, devices in layouts:
        assert (shard, devices) == (batch // 2, 2)
    assert runs[2]["out_shards"] == [[8, 5], [8, 5]]  # predictions stay split too
    assert all(shard == batch for batch, shard, _ in runs[1]["layouts"])


@pytest.mark.parametrize("devices", [1, 2])
def test_training_compiles_each_step_once(runs, devices):
    first_epoch, both_epochs = runs[devices]["compiled_by_epoch"]
    assert both_epochs.count("train_step") == 1, "the train step compiled again"
    assert both_epochs.count("predict") == 1, "validation's predict compiled again"
    assert both_epochs == first_epoch, "the second epoch compiled something"
