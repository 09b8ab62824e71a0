"""`python -m ecgcnn.bench.growth BEATS MODEL_DIR [--tiny]`: seconds of one training epoch at
1/4, 1/2 and all of the training beats, then inference beats/s; prints them as JSON and saves
the model to MODEL_DIR for the `ecgcnn predict` benchmark.

The training beats are those of the inter_patient train stage (split + resample); with
--tiny, the first beats. Each fraction runs two epochs of train.run_epoch (set up by
train.setup, as fit() does) and times the second: the first compiles. A child process, so
that `train_peak_rss_mb` is that of training alone.
"""

import json
import sys
import time

import jax
import numpy as np
from flax import nnx

from .. import train
from ..checkpoint import save_model
from ..dataset import subset
from ..io import load_arrays
from ..model import build_model
from ..params import load_params
from ..resample import resample_indices
from ..splits import split
from .settings import CHANNELS, RR_FEATURES, configs
from .train_step import timed_epochs


def training_beats(beats, params, settings, tiny):
    if tiny:
        idx = np.arange(min(settings["growth_beats"], len(beats["label"])))
    else:
        sets = split(beats, params["split"], "inter_patient")
        idx = resample_indices(sets["train"], beats["label"], **params["resample"],
                               records=beats["record"])
    return subset(beats, np.random.default_rng(0).permutation(idx))  # fractions mix classes


def inference_beats_per_s(run, params, beats, batch):
    """Inference as evaluate runs it (predict_probs' jitted function at its batch), warm."""
    predict = train.make_predict(run.graphdef, run.mesh)
    x = np.resize(beats["x"], (max(len(beats["y"]), batch), *beats["x"].shape[1:]))
    rr = np.resize(beats["rr"], (len(x), RR_FEATURES))
    batches = len(x) // batch
    predict(params, x[:batch], rr[:batch]).block_until_ready()
    start = time.perf_counter()
    out = [predict(params, x[i * batch:(i + 1) * batch], rr[i * batch:(i + 1) * batch])
           for i in range(batches)]
    jax.block_until_ready(out)
    return batches * batch / (time.perf_counter() - start)


def main(beats_path, model_dir, tiny):
    params = load_params()
    settings, model_cfg, train_cfg = configs(tiny)
    beats = training_beats(load_arrays(beats_path), params, settings, tiny)
    window, key = beats["x"].shape[1], jax.random.key(0)

    growth, beats_used = {}, {}
    for fraction in (0.25, 0.5, 1.0):
        n = int(fraction * len(beats["y"]))
        model = build_model(model_cfg, window, CHANNELS, RR_FEATURES, seed=0)
        run = train.setup(model, {k: beats[k][:n] for k in ("x", "rr", "y")}, train_cfg)
        # the second of two epochs: the first compiles the step, the permutation, the slicing
        seconds, trained = timed_epochs(run, 2, key)
        growth[str(fraction)] = seconds[1]
        beats_used[str(fraction)] = run.steps * run.batch_size

    infer_batch = params["evaluate"]["batch_size"]
    infer = inference_beats_per_s(run, trained, beats, infer_batch)
    nnx.update(model, jax.device_get(trained))
    save_model(model_dir, model, {"model": model_cfg, "extract": params["extract"],
                                  "window": window, "channels": CHANNELS,
                                  "rr_features": RR_FEATURES, "protocol": "bench"})
    print(json.dumps({"growth": growth, "beats": beats_used, "batch": run.batch_size,
                      "inference_beats_per_s": infer, "inference_batch": infer_batch}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], tiny="--tiny" in sys.argv[3:])
