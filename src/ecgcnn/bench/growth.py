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

INFER_BATCH = 4096  # evaluate's batch (params evaluate.batch_size)


def training_beats(beats, params, settings, tiny):
    if tiny:
        idx = np.arange(min(settings["growth_beats"], len(beats["label"])))
    else:
        sets = split("inter_patient", beats["record"], beats["label"], params["split"])
        idx = resample_indices(sets["train"], beats["label"], **params["resample"])
    return subset(beats, np.random.default_rng(0).permutation(idx))  # fractions mix classes


def epoch_seconds(run, key):
    """Seconds of the second of two epochs (the first compiles the step, the permutation and
    the slicing); returns the trained params too."""
    params, opt_state, seconds = run.params, run.opt_state, []
    for epoch in range(2):
        start = time.perf_counter()
        params, opt_state, loss = train.run_epoch(run.step, params, opt_state, run.data,
                                                  run.batch_size, run.steps,
                                                  jax.random.fold_in(key, epoch))
        float(loss)
        seconds.append(time.perf_counter() - start)
    return seconds[1], params


def inference_beats_per_s(run, params, beats):
    """Inference as evaluate runs it (predict_probs' jitted function at batch 4096), warm."""
    predict = train.make_predict(run.graphdef, run.mesh)
    x = np.resize(beats["x"], (max(len(beats["y"]), INFER_BATCH), *beats["x"].shape[1:]))
    rr = np.resize(beats["rr"], (len(x), RR_FEATURES))
    batches = len(x) // INFER_BATCH
    predict(params, x[:INFER_BATCH], rr[:INFER_BATCH]).block_until_ready()
    start = time.perf_counter()
    out = [predict(params, x[i * INFER_BATCH:(i + 1) * INFER_BATCH],
                   rr[i * INFER_BATCH:(i + 1) * INFER_BATCH]) for i in range(batches)]
    jax.block_until_ready(out)
    return batches * INFER_BATCH / (time.perf_counter() - start)


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
        growth[str(fraction)], trained = epoch_seconds(run, key)
        beats_used[str(fraction)] = run.steps * run.batch_size

    infer = inference_beats_per_s(run, trained, beats)
    nnx.update(model, jax.device_get(trained))
    save_model(model_dir, model, {"model": model_cfg, "extract": params["extract"],
                                  "window": window, "channels": CHANNELS,
                                  "rr_features": RR_FEATURES, "protocol": "bench"})
    print(json.dumps({"growth": growth, "beats": beats_used, "batch": run.batch_size,
                      "inference_beats_per_s": infer, "inference_batch": INFER_BATCH}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], tiny="--tiny" in sys.argv[3:])
