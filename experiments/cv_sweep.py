"""Score candidate designs by the DS1 patient-grouped cross-validation, many at once.

The same folds, resampling, training and scoring as `stages/cv.py` (the library's `fit`),
for candidates that stages cannot express yet (extra inputs built from the neighbouring
beats), so they can be tried before any is built into the pipeline. One candidate per
process; on a machine with one accelerator several processes share it.

    python experiments/cv_sweep.py CANDIDATE OUTDIR [--data DIR] [--tiny]

DATA holds ds1.npz (DS1's beats from data/beats/beats.npz) and cond128.npz (DS1 re-recorded
at 128 Hz, from data/conditions/beats.npz), made by `experiments/cv_sweep_data.py`. Writes
OUTDIR/CANDIDATE/fold{f}-seed{s}.json in the format of data/cv/ (so `ecgcnn.cv.report`
scores it) and the held-out class probabilities per seed (for ensembles and thresholds).
DS2 is never loaded.
"""

import argparse
import json
import os
import time

import jax
import numpy as np
import optax
from flax import nnx

import ecgcnn.train
from ecgcnn.cv import check_folds, fold_sets
from ecgcnn.dataset import subset
from ecgcnn.metrics import confusion
from ecgcnn.model import build_model
from ecgcnn.params import load_params, merged
from ecgcnn.resample import resample_indices
from ecgcnn.train import fit, predict_probs

# name -> (params overrides, input transforms)
CANDIDATES = {
    "base": ({}, ()),
    "nb_shape": ({}, ("nb_shape",)),
    "nb_diff": ({}, ("nb_diff",)),
    "nb_rr": ({}, ("nb_rr",)),
    "nb_shape_rr": ({}, ("nb_shape", "nb_rr")),
    "wide": ({"model": {"filters": 64, "dense": 128}}, ()),
    "epochs10": ({"train": {"epochs": 10}}, ()),
    "epochs8": ({"train": {"epochs": 8}}, ()),
    "target20k": ({"resample": {"target": 20000}}, ()),
    "target40k": ({"resample": {"target": 40000}}, ()),
    "lr3e-3": ({"train": {"lr": 0.003}}, ()),
    "regularised": ({"model": {"dropout": 0.5}, "train": {"weight_decay": 0.001}}, ()),
    "smooth": ({}, ("label_smoothing",)),
    "batch128": ({"train": {"batch_size": 128}}, ()),
    "rr_wide": ({"model": {"rr_hidden": 64}}, ()),
    "narrow": ({"model": {"filters": 16, "dense": 32}}, ()),
    "smooth_narrow": ({"model": {"filters": 16, "dense": 32}}, ("label_smoothing",)),
    "smooth_epochs8": ({"train": {"epochs": 8}}, ("label_smoothing",)),
    "p_wave": ({}, ("p_wave",)),
}
LABEL_SMOOTHING = 0.1
NB_RR_BEATS = 3  # beats on each side whose RR features the rhythm path also reads
P_WAVE_S = (0.22, 0.06)  # where a P wave sits: from 220 to 60 ms before the R peak


def neighbour(values, record, offset):
    """values[i + offset] where that beat is in the same record as beat i, else zeros."""
    out = np.zeros_like(values)
    n = len(values)
    src = np.arange(n) + offset
    ok = (src >= 0) & (src < n)
    ok[ok] = record[src[ok]] == record[ok]
    out[ok] = values[src[ok]]
    return out


def p_wave_features(x, fs, before_s):
    """How the P-wave stretch of each beat compares with its template's (the median beat of
    the ~4 minutes around it): correlation, and the RMS of the difference (R amplitude = 1).
    Channel 0 is the beat, channel 1 the beat minus the template."""
    r_peak = round(before_s * fs)
    a, b = (r_peak - round(s * fs) for s in P_WAVE_S)
    beat = x[:, a:b, 0].astype(np.float64)
    template = beat - x[:, a:b, 1]
    beat = beat - beat.mean(1, keepdims=True)
    template = template - template.mean(1, keepdims=True)
    corr = (beat * template).sum(1) / np.sqrt((beat**2).sum(1) * (template**2).sum(1) + 1e-6)
    rms = np.sqrt((x[:, a:b, 1].astype(np.float64) ** 2).mean(1))
    return np.stack([corr, np.clip(rms, 0, 1)], axis=1)


def transform(beats, names):
    x, rr, record = beats["x"], beats["rr"], beats["record"]
    if "nb_shape" in names:  # the previous and the next beat, as they are
        x = np.concatenate([x, neighbour(x[..., :1], record, -1),
                            neighbour(x[..., :1], record, 1)], axis=-1)
    if "nb_diff" in names:  # the beat minus its previous and its next beat
        x = np.concatenate([x, x[..., :1] - neighbour(x[..., :1], record, -1),
                            x[..., :1] - neighbour(x[..., :1], record, 1)], axis=-1)
    if "nb_rr" in names:  # the rhythm around the beat, not only its own intervals
        rr = np.concatenate([rr] + [neighbour(beats["rr"], record, k)
                                    for k in range(-NB_RR_BEATS, NB_RR_BEATS + 1) if k],
                            axis=-1)
    if "p_wave" in names:  # for the rhythm path: S beats' P waves differ or are hidden
        extract = load_params()["extract"]
        rr = np.concatenate([rr, p_wave_features(beats["x"], extract["target_fs"],
                                                 extract["window_before_s"])], axis=-1)
    return {**beats, "x": x.astype(np.float32), "rr": rr.astype(np.float32)}


def smoothed_cross_entropy(graphdef, params, x, rr, y, shape_keep, dropout_key):
    model = nnx.merge(graphdef, params)
    logits = model(x, rr, shape_keep=shape_keep, dropout_key=dropout_key)
    labels = optax.smooth_labels(jax.nn.one_hot(y, logits.shape[-1]), LABEL_SMOOTHING)
    return optax.softmax_cross_entropy(logits, labels).mean()


def scorer(held_out, by_epoch, last):
    """on_epoch for fit: the held-out confusion matrix after every epoch, last probabilities."""
    def score(epoch, model):
        last["p"] = predict_probs(model, held_out["x"], held_out["rr"])
        by_epoch.append(confusion(held_out["y"], last["p"].argmax(1)).tolist())
    return score


def load(path):
    with np.load(path) as d:
        beats = {k: d[k] for k in d.files}
    beats["y"] = beats["label"].astype(np.int32)
    return beats


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("candidate", choices=sorted(CANDIDATES))
    parser.add_argument("outdir")
    parser.add_argument("--data", default=".gpu")
    parser.add_argument("--seeds", type=int, nargs="*", help="instead of params cv.seeds")
    parser.add_argument("--tiny", action="store_true", help="1 fold, 1 seed, 1 epoch")
    args = parser.parse_args()
    overrides, names = CANDIDATES[args.candidate]
    if "label_smoothing" in names:  # the train step looks its loss up when it is traced
        ecgcnn.train.cross_entropy = smoothed_cross_entropy
    # A candidate's overrides are merged over the groups like a protocol's are.
    params = merged({**load_params(protocol="inter_patient"), "protocols": {"c": overrides}}, "c")
    beats = transform(load(os.path.join(args.data, "ds1.npz")), names)
    recorded = transform(load(os.path.join(args.data, "cond128.npz")), names)
    folds = check_folds(params["cv"]["folds"], beats["record"], beats["label"])
    seeds = args.seeds or params["cv"]["seeds"]
    seeds = seeds[:1] if args.tiny else seeds
    if args.tiny:
        params["train"]["epochs"] = 1
    out = os.path.join(args.outdir, args.candidate)
    os.makedirs(out, exist_ok=True)
    for seed in seeds:
        probs = np.zeros((len(beats["y"]), 5), np.float16)
        for fold in range(1 if args.tiny else len(folds)):
            start = time.perf_counter()
            sets = fold_sets(beats["record"], folds, fold)
            train = subset(beats, resample_indices(sets["train"], beats["label"],
                                                   **params["resample"]))
            held_out = subset(beats, sets["test"])
            _, window, channels = train["x"].shape
            model = build_model(params["model"], window, channels, train["rr"].shape[1], seed)
            by_epoch, last = [], {}
            fit(model, train, None, {**params["train"], "seed": seed},
                on_epoch=scorer(held_out, by_epoch, last), progress=False)
            probs[sets["test"]] = last["p"]
            pred = last["p"].argmax(1)
            by_record = {r: confusion(held_out["y"][held_out["record"] == r],
                                      pred[held_out["record"] == r]).tolist()
                         for r in folds[fold]}
            mine = np.isin(recorded["record"], folds[fold])
            cond = predict_probs(model, recorded["x"][mine], recorded["rr"][mine]).argmax(1)
            with open(os.path.join(out, f"fold{fold}-seed{seed}.json"), "w") as f:
                json.dump({"fold": fold, "seed": seed, "records": folds[fold],
                           "confusion_by_epoch": by_epoch, "confusion_by_record": by_record,
                           "confusion_by_condition": {
                               "128hz": confusion(recorded["y"][mine], cond).tolist()},
                           "train_seconds": round(time.perf_counter() - start, 1)}, f)
            print(args.candidate, "seed", seed, "fold", fold,
                  f"{time.perf_counter() - start:.1f} s", flush=True)
        np.save(os.path.join(out, f"probs-seed{seed}.npy"), probs)


if __name__ == "__main__":
    main()
