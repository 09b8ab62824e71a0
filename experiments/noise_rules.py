"""Round 10 (issue 20): decision rules for V calls in noise that read more than p(V): the
beat's timing and how much more it differs from the record template than its neighbours.

    python experiments/noise_decisions.py dump MODELS DIR   # round 9's probabilities, once
    python experiments/noise_rules.py features DIR          # channel-1 RMS per detection
    python experiments/noise_rules.py rules DIR             # the table, seconds

A V call of the second look is kept when p(V) >= t, or its neighbour ratio >= r, or (with
timing) the beat is premature or before a pause; otherwise it takes its next most likely
class. Scored as noise_decisions.py scores (no gate, mean over seeds).
"""

import argparse
from pathlib import Path

import numpy as np
from noise_decisions import SEEDS, Q, V, load, table
from numpy.lib.stride_tricks import sliding_window_view

NEIGHBOURS = 10  # beats on each side whose spread is the local noise floor
FLOOR_PERCENTILE = 25
RR_LOCAL = 10  # beats in the median RR the timing is relative to


def features(directory):
    """DIR/features/<record>_<condition>.npz: per seed, the RMS of channel 1 (beat minus
    the record template) of every detection the first look did not call Q (NaN otherwise),
    cut as the second look cuts them."""
    from ecgcnn.extract import beats_from_signal
    from ecgcnn.noise_cv import CLEAN, fold_jobs, nstdb_like
    from ecgcnn.noisy import noise_pieces, qrs_amplitude, seed_of
    from ecgcnn.params import load_params
    from ecgcnn.records import read_beats, read_signal

    cfg = load_params()["noise_cv"]
    params = load_params(protocol=cfg["protocol"])
    jobs = fold_jobs(params["cv"]["folds"], params["databases"], cfg, ".", SEEDS)
    pieces = noise_pieces("data/raw/nstdb", cfg["sources"])
    out = Path(directory) / "features"
    out.mkdir(exist_ok=True)
    for path, lead, _ in jobs:
        signal, fs, _ = read_signal(path, lead)
        samples, labels, _ = read_beats(path, "atr", fs, len(signal))
        amplitude = qrs_amplitude(signal, fs, samples, labels)
        for i, condition in enumerate([CLEAN, *cfg["snr_db"]]):
            noisy = nstdb_like(signal, fs, amplitude, pieces, condition, seed_of(path.name, i))
            run = np.load(Path(directory) / f"{path.name}_{condition}.npz")
            rms = np.full((len(SEEDS), len(run["peaks"])), np.nan)
            for s in SEEDS:
                keep = run["first"][s].argmax(1) != Q
                x, _, kept = beats_from_signal(noisy, fs, run["peaks"][keep], params["extract"])
                rms[s, np.flatnonzero(keep)[kept]] = np.sqrt((x[:, :, 1] ** 2).mean(1))
            np.savez(out / f"{path.name}_{condition}.npz", rms=rms)
        print(path.name, flush=True)


def neighbour_ratio(rms):
    """Each beat's RMS over the FLOOR_PERCENTILE of its 2 * NEIGHBOURS neighbours' (NaN
    rows: not beats, skipped)."""
    idx = np.flatnonzero(~np.isnan(rms))
    values = rms[idx]
    windows = sliding_window_view(np.pad(values, NEIGHBOURS, mode="edge"), 2 * NEIGHBOURS + 1)
    floor = np.percentile(np.delete(windows, NEIGHBOURS, axis=1), FLOOR_PERCENTILE, axis=1)
    out = np.full(len(rms), np.nan)
    out[idx] = values / floor
    return out


def timing(peaks, beats, fs):
    """(RR before, RR after) of each beat among `beats` (a mask), over the median of the
    RR_LOCAL intervals before it; NaN elsewhere."""
    idx = np.flatnonzero(beats)
    rr = np.diff(peaks[idx] / fs)
    before, after = np.full(len(peaks), np.nan), np.full(len(peaks), np.nan)
    before[idx[1:]], after[idx[:-1]] = rr, rr
    local = np.array([np.nanmedian(before[idx][max(0, j - RR_LOCAL):j + 1]) if j else np.nan
                      for j in range(len(idx))])
    scale = np.full(len(peaks), np.nan)
    scale[idx] = local
    return before / scale, after / scale


def keep_v_if(t, ratio=None, rhythm=False, early=0.9):
    def rule(run, s):
        probs = run["second"][s]
        calls = probs.argmax(1)
        ok = probs[:, V] >= t
        if ratio is not None:
            r = run["ratio"][s]
            ok |= np.isnan(r) | (r >= ratio)
        if rhythm:
            before, after = run["timing"][s]
            ok |= np.isnan(before) | np.isnan(after) | (before < early) | (after > 2 - early)
        others = probs.copy()
        others[:, V] = -1
        return np.where((calls == V) & ~ok, others.argmax(1), calls)
    return rule


RULES = {
    "second look (committed)": lambda run, s: run["second"][s].argmax(1),
    "timing, t 0.7": keep_v_if(0.7, rhythm=True),
    "timing, t 0.9": keep_v_if(0.9, rhythm=True),
    "ratio 1.3, t 0.8": keep_v_if(0.8, ratio=1.3),
    "ratio 1.5, t 0.9, timing": keep_v_if(0.9, ratio=1.5, rhythm=True),
    "ratio 1.8, t 0.9, timing": keep_v_if(0.9, ratio=1.8, rhythm=True),
    "ratio 2.0, t 0.9": keep_v_if(0.9, ratio=2.0),
}


def rules(directory):
    runs = load(directory)
    for name, run in runs.items():
        rms = np.load(Path(directory) / "features" / f"{name}.npz")["rms"]
        run["ratio"] = [neighbour_ratio(rms[s]) for s in SEEDS]
        run["timing"] = [timing(run["peaks"], run["second"][s].argmax(1) != Q, run["fs"])
                         for s in SEEDS]
    table(runs, RULES)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["features", "rules"])
    ap.add_argument("dir")
    args = ap.parse_args()
    features(args.dir) if args.command == "features" else rules(args.dir)


if __name__ == "__main__":
    main()
