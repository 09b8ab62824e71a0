"""Score candidate designs by a protocol's patient-grouped cross-validation, one per process.

The same folds, resampling, training and scoring as `stages/cv.py` (`cv_run.run_seed`), for
candidates that params alone cannot express yet (inputs built from the neighbouring beats),
or that change extraction (the beats are then extracted again, every configured database, with
the candidate's extract params).

    python experiments/cv_sweep.py CANDIDATE OUTDIR [--protocol P] [--seeds 0 1] [--tiny]

Writes OUTDIR/CANDIDATE/fold{f}-seed{s}.json in the format of the cv stage's runs, so
`ecgcnn.cv.report` (experiments/cv_sweep_report.py) scores it. DS2 is never loaded.
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
from ecgcnn.checkpoint import model_config, save_model
from ecgcnn.cv import check_folds
from ecgcnn.cv_run import run_seed
from ecgcnn.databases import extract_databases, extracted
from ecgcnn.dataset import CONDITIONS_PATH, protocol_beats
from ecgcnn.io import load_arrays
from ecgcnn.params import load_params, merged
from ecgcnn.robustness import conditions_dataset
from ecgcnn.splits import DS1, training_records

# name -> (params overrides, merged over the protocol's groups; input transforms)
CANDIDATES = {
    "base": ({}, ()),
    "nb_rr": ({}, ("nb_rr",)),
    "mean_context": ({"extract": {"rr_context_stat": "mean"}}, ()),
    "context61": ({"extract": {"rr_context_beats": 61, "template_beats": 61}}, ()),
    "context1201": ({"extract": {"rr_context_beats": 1201, "template_beats": 1201}}, ()),
    "upright": ({"extract": {"upright": True}}, ()),
    "rr_neighbours3": ({"extract": {"rr_neighbours": 3}}, ()),
    "mean_nb3": ({"extract": {"rr_context_stat": "mean", "rr_neighbours": 3}}, ()),
    "no_f_upsample": ({"resample": {"max_upsample": 1}}, ()),
    "epochs10": ({"train": {"epochs": 10}}, ()),
    "smooth": ({}, ("label_smoothing",)),
    "noisy": ({"split": {"noisy": True}}, ()),  # round 8: noisy copies of the training records
    "record_balance": ({"resample": {"record_balance": 1.0}}, ()),  # round 10: records alike
}
LABEL_SMOOTHING = 0.1
NB_RR_BEATS = 3  # beats on each side whose RR features the rhythm path also reads


def neighbour(values, record, offset):
    """values[i + offset] where that beat is in the same record as beat i, else zeros."""
    out = np.zeros_like(values)
    n = len(values)
    src = np.arange(n) + offset
    ok = (src >= 0) & (src < n)
    ok[ok] = record[src[ok]] == record[ok]
    out[ok] = values[src[ok]]
    return out


def transform(beats, names):
    x, rr, record = beats["x"], beats["rr"], beats["record"]
    if "nb_diff" in names:  # the beat minus its previous and its next beat
        x = np.concatenate([x, x[..., :1] - neighbour(x[..., :1], record, -1),
                            x[..., :1] - neighbour(x[..., :1], record, 1)], axis=-1)
    if "nb_rr" in names:  # the rhythm around the beat, not only its own intervals
        rr = np.concatenate([rr] + [neighbour(beats["rr"], record, k)
                                    for k in range(-NB_RR_BEATS, NB_RR_BEATS + 1) if k],
                            axis=-1)
    return {**beats, "x": x.astype(np.float32), "rr": rr.astype(np.float32)}


def smoothed_cross_entropy(graphdef, params, x, rr, y, shape_keep, dropout_key):
    model = nnx.merge(graphdef, params)
    logits = model(x, rr, shape_keep=shape_keep, dropout_key=dropout_key)
    labels = optax.smooth_labels(jax.nn.one_hot(y, logits.shape[-1]), LABEL_SMOOTHING)
    return optax.softmax_cross_entropy(logits, labels).mean()


def beats_for(params, extract_changed):
    """(beats, recorded): the pipeline's (with the noisy copies when split.noisy), or
    extracted again under the candidate's params."""
    if not extract_changed:
        return protocol_beats(params["split"]["noisy"]), load_arrays(CONDITIONS_PATH)
    beats, _ = extract_databases(extracted(params["databases"]), params["extract"],
                                 progress=False)
    recorded = conditions_dataset("data/raw/mitdb", DS1, params["extract"],
                                  params["cv"]["conditions"])
    return beats, recorded


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("candidate", choices=sorted(CANDIDATES))
    parser.add_argument("outdir")
    parser.add_argument("--protocol", default="inter_patient_svdb")
    parser.add_argument("--seeds", type=int, nargs="*", help="instead of params cv.seeds")
    parser.add_argument("--tiny", action="store_true", help="1 fold, 1 seed, 1 epoch")
    parser.add_argument("--save-models", action="store_true",
                        help="keep each model in OUTDIR/CANDIDATE/fold<f>/seed<s>")
    args = parser.parse_args()
    overrides, names = CANDIDATES[args.candidate]
    if "label_smoothing" in names:  # the train step looks its loss up when it is traced
        ecgcnn.train.cross_entropy = smoothed_cross_entropy
    # A candidate's overrides are merged over the protocol's groups like a protocol's are.
    params = merged({**load_params(protocol=args.protocol), "protocols": {"c": overrides}}, "c")
    raw_beats, raw_recorded = beats_for(params, "extract" in overrides)
    beats, recorded = transform(raw_beats, names), transform(raw_recorded, names)
    training = training_records(beats["record"], beats["database"],
                                params["split"]["extra_train"])
    folds = check_folds(params["cv"]["folds"], beats["record"], beats["label"], training)
    seeds = (args.seeds or params["cv"]["seeds"])[: 1 if args.tiny else None]
    if args.tiny:
        params["train"]["epochs"] = 1
    cfg = {"training": training, "resample": params["resample"], "model": params["model"],
           "train": params["train"], "conditions": params["cv"]["conditions"],
           "gate": {"extract": params["extract"], "quality": params["quality"]}}
    out = os.path.join(args.outdir, args.candidate)
    os.makedirs(out, exist_ok=True)
    for fold in range(1 if args.tiny else len(folds)):
        for seed in seeds:
            start = time.perf_counter()
            run, model, train = run_seed(cfg, beats, recorded, folds, fold, seed)
            if args.save_models:
                save_model(os.path.join(out, f"fold{fold}", f"seed{seed}"), model, model_config(
                    params["model"], params["extract"], train, args.protocol, seed,
                    params["quality"]))
            with open(os.path.join(out, f"fold{fold}-seed{seed}.json"), "w") as f:
                json.dump({"protocol": args.protocol, "candidate": args.candidate, **run}, f)
            print(args.candidate, "fold", fold, "seed", seed,
                  f"{time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
