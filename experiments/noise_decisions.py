"""Round 9 (issue 20): decision rules for detected beats in noise, on the CV noise test.

    python experiments/noise_decisions.py dump MODELS DIR    # probabilities, once (~10 min)
    python experiments/noise_decisions.py rules DIR          # the table of rules, seconds

`dump` runs the CV noise test (params noise_cv, as the noise_cv stage: each fold model of
MODELS/fold<f>/seed<s> on its held-out records, em_cv in nstdb's stretches; params averaging
too, which round 9's dump predates: `averaging.neighbours: 0` reproduces it) and keeps, per
record and condition, every detection's class probabilities from each seed's model at the
first look and at the second (second_look.py), with the reference pairing. `rules` scores
decision rules on those probabilities, counted as the stage counts them (no quality gate),
mean over the seeds: argmax; a V call only above a probability; the same only where the
first look called Q nearby; the seeds' mean probabilities; the second look.
"""

import argparse
import glob
from pathlib import Path

import numpy as np

from ecgcnn.aami import CLASSES
from ecgcnn.noise_stress import beat_counts, statistics, summed

V, Q = CLASSES.index("V"), CLASSES.index("Q")
SEEDS = (0, 1, 2)


def dump(models_root, out):
    from ecgcnn.checkpoint import load_model
    from ecgcnn.detection import MATCH_TOLERANCE_S, pair_beats
    from ecgcnn.noise_cv import CLEAN, fold_jobs, looks, nstdb_like
    from ecgcnn.noise_stress import noisy_stretches, within
    from ecgcnn.noisy import noise_pieces, qrs_amplitude, seed_of
    from ecgcnn.params import load_params
    from ecgcnn.records import read_beats, read_signal

    cfg = load_params()["noise_cv"]
    params = load_params(protocol=cfg["protocol"])
    extract = params["extract"]
    jobs = fold_jobs(params["cv"]["folds"], params["databases"], cfg, models_root, SEEDS)
    pieces = noise_pieces("data/raw/nstdb", cfg["sources"])
    out.mkdir(parents=True, exist_ok=True)
    for path, lead, model_dirs in jobs:
        models = [load_model(d)[0] for d in model_dirs]
        signal, fs, _ = read_signal(path, lead)
        samples, labels, _ = read_beats(path, "atr", fs, len(signal))
        amplitude = qrs_amplitude(signal, fs, samples, labels)
        stretches = noisy_stretches(len(signal), fs)
        for i, condition in enumerate([CLEAN, *cfg["snr_db"]]):
            noisy = nstdb_like(signal, fs, amplitude, pieces, condition, seed_of(path.name, i))
            peaks, runs = looks(noisy, fs, extract, models, params["averaging"])
            first, second = (np.stack([run[k] for run in runs]) for k in (0, 2))
            np.savez(out / f"{path.name}_{condition}.npz", peaks=peaks, fs=fs,
                     first=first, second=second,
                     matched=pair_beats(peaks, samples, MATCH_TOLERANCE_S * fs),
                     samples=samples, labels=labels.astype(np.int64),
                     counted=within(peaks, stretches), counted_ref=within(samples, stretches))
        print(path.name, flush=True)


def q_nearby(run, calls, half_s=5.0):
    """Detections the first look called Q within +-half_s of each detection."""
    t = run["peaks"] / run["fs"]
    q = t[calls == Q]
    return np.searchsorted(q, t + half_s) - np.searchsorted(q, t - half_s)


def weak_v_to(probs, threshold, where, to_q):
    """A V call below `threshold` (where `where`) becomes Q, or the next most likely class."""
    calls = probs.argmax(1)
    weak = (calls == V) & (probs[:, V] < threshold) & where
    others = probs.copy()
    others[:, V] = -1
    return np.where(weak, Q if to_q else others.argmax(1), calls)


RULES = {
    "argmax (first look)": lambda r, s: r["first"][s].argmax(1),
    **{f"V only above {t} (else next class)": (
        lambda r, s, t=t: weak_v_to(r["first"][s], t, True, False)) for t in (0.6, 0.7, 0.8, 0.9)},
    **{f"V only above {t} (else Q)": (
        lambda r, s, t=t: weak_v_to(r["first"][s], t, True, True)) for t in (0.7, 0.8, 0.9)},
    **{f"V only above {t} where a Q call is within 5 s (else Q)": (
        lambda r, s, t=t: weak_v_to(r["first"][s], t, q_nearby(r, r["first"][s].argmax(1)) >= 1,
                                    True)) for t in (0.8, 0.9)},
    "mean of the 3 seeds' probabilities": lambda r, s: r["first"].mean(0).argmax(1),
    "second look": lambda r, s: r["second"][s].argmax(1),
}


def load(directory):
    """{record_condition: dump} of a `dump` directory."""
    return {Path(f).stem: dict(np.load(f)) for f in sorted(glob.glob(f"{directory}/*.npz"))}


def table(runs, rules):
    """Markdown rows: each rule's VEB Se / +P and accuracy per condition, mean over seeds."""
    conditions = sorted({k.split("_")[1] for k in runs}, key=lambda c: (c != "clean", -float(
        c if c != "clean" else 0)))
    print("| rule | " + " | ".join(f"{c}: VEB Se / +P, acc." for c in conditions) + " |")
    print("|---" * (len(conditions) + 1) + "|")
    for name, rule in rules.items():
        cells = []
        for c in conditions:
            stats = [statistics(summed([
                beat_counts(r["peaks"], rule(r, s), r["samples"], r["labels"], r["matched"],
                            r["counted"], r["counted_ref"])
                for k, r in runs.items() if k.endswith(f"_{c}")])) for s in SEEDS]
            se, ppv, acc = (np.mean([f(x) for x in stats]) for f in (
                lambda x: x["veb"]["se"], lambda x: x["veb"]["ppv"], lambda x: x["accuracy"]))
            cells.append(f"{se:.3f} / {ppv:.3f}, {acc:.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def rules(directory):
    table(load(directory), RULES)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("models")
    d.add_argument("out", type=Path)
    r = sub.add_parser("rules")
    r.add_argument("dir")
    args = ap.parse_args()
    dump(args.models, args.out) if args.command == "dump" else rules(args.dir)


if __name__ == "__main__":
    main()
