"""The noise stress test on a protocol's cross-validation: where noise handling is chosen.

Each fold model scores its own held-out records (never DS2) with recorded noise added as
nstdb adds it: from 5:00 on, 2 minutes on and 2 off (noise_stress.noisy_stretches), at one
SNR per condition, scaled as WFDB's `nst` scales it (noisy.py). The beats are those wfdb GQRS
detects, classified and gated as `ecgcnn predict` does them, counted as the noise_stress stage
counts them, in the noisy stretches (and the same stretches of the clean record, `clean`).

The noise is params noise_cv.sources, by default `em_cv`: the first 5 minutes of nstdb's
electrode-motion record, which the stress test never adds (it adds em from 5:00 on) and the
noisy training copies never read (their `em` is its 2-minute gaps). So the noise is the
test's kind, never its stretches; the 12 noisy nstdb records stay for the stress test alone.
"""

from functools import partial
from pathlib import Path

import numpy as np

from .aami import CLASSES
from .noise_stress import beat_counts, noisy_stretches, over_runs, statistics, summed, within
from .noisy import (
    add_noise,
    detected_beats,
    noise_pieces,
    only_records,
    qrs_amplitude,
    seed_of,
)

CLEAN = "clean"
Q = CLASSES.index("Q")


def nstdb_like(signal, fs, amplitude, pieces, snr, rng):
    """The signal with noise in nstdb's stretches at `snr` dB (CLEAN: none), each stretch a
    random piece from a random offset."""
    noisy = np.array(signal, dtype=np.float64)
    if snr == CLEAN:
        return noisy
    for a, b in noisy_stretches(len(signal), fs):
        piece = pieces[int(rng.integers(len(pieces)))]
        add_noise(noisy, a, b, piece, fs, amplitude, snr, rng)
    return noisy


def looks(signal, fs, extract_cfg, models, averaging, first_look=None):
    """(detected beats, [(first-look probabilities, second-look inputs x, second-look
    probabilities)] per model) as `predict --detect` computes them: averaged with their
    look-alikes and voted (params `averaging`, beat_averaging.looked), then the second look
    (second_look.py). `first_look(classify)`: another first look (experiments/noise_cv.py)."""
    from .beat_averaging import looked
    from .extract import beats_from_signal
    from .second_look import second_look
    from .train import predict_probs

    peaks, x, rr = detected_beats(signal, fs, extract_cfg)

    def beats_at(mask):
        return beats_from_signal(signal, fs, peaks[mask], extract_cfg)

    runs = []
    for model in models:
        def classify(x, rr, model=model):
            return predict_probs(model, x, rr, 4096)

        first, seen, _, second, _ = second_look(
            x, rr, beats_at, partial(looked, classify=classify, cfg=averaging,
                                     extract_cfg=extract_cfg),
            first_look and first_look(classify))
        runs.append((first, seen, second))
    return peaks, runs


def classified(signal, fs, extract_cfg, models, averaging):
    """(detected beats, [predicted classes per model]) as `predict --detect` makes them: the
    second look's calls (noise detections: Q), the quality gate, then Q inside detected
    ventricular flutter / fibrillation."""
    from .episodes import inside
    from .quality import gated_classes
    from .vf_detection import detect_vf

    peaks, runs = looks(signal, fs, extract_cfg, [model for model, _ in models], averaging)
    flutter = inside(peaks, detect_vf(lambda a, b: signal[a:b], len(signal), fs))
    return peaks, [np.where(flutter, Q, gated_classes(config, seen, second.argmax(1), Q))
                   for (_, config), (_, seen, second) in zip(models, runs, strict=True)]


def record_counts(path, lead, extract_cfg, models, pieces, conditions, averaging):
    """{condition: [beat_counts per model]} of one record, its noisy stretches outside marked
    VF episodes only, as noise_stress counts (each condition's noise drawn by the record's
    name and the condition's place in the list)."""
    from .detection import MATCH_TOLERANCE_S, pair_beats
    from .episodes import inside, read_episodes
    from .records import read_beats, read_signal

    signal, fs, _ = read_signal(path, lead)
    samples, labels, _ = read_beats(path, "atr", fs, len(signal))
    episodes, _ = read_episodes(path, "atr", fs, len(signal))
    amplitude = qrs_amplitude(signal, fs, samples, labels)
    stretches = noisy_stretches(len(signal), fs)
    out = {}
    for i, condition in enumerate(conditions):
        rng = seed_of(Path(path).name, i)
        peaks, predictions = classified(nstdb_like(signal, fs, amplitude, pieces, condition,
                                                   rng), fs, extract_cfg, models, averaging)
        matched = pair_beats(peaks, samples, MATCH_TOLERANCE_S * fs)
        out[condition] = [beat_counts(peaks, predicted, samples, labels.astype(np.int64),
                                      matched, within(peaks, stretches) & ~inside(peaks, episodes),
                                      within(samples, stretches) & ~inside(samples, episodes))
                          for predicted in predictions]
    return out


def fold_jobs(folds, databases, cfg, models_root, seeds, raw_root="data/raw"):
    """[(record path, lead, [model dirs])]: each held-out record of `folds` in the databases
    of params noise_cv `cfg` (`databases`: params databases), with its fold's models
    (`models_root`/fold<f>/seed<s>, s in `seeds`)."""
    from .io import EcgError

    jobs = [(Path(raw_root) / db / str(record), databases[db]["lead"],
             [Path(models_root) / f"fold{f}" / f"seed{s}" for s in seeds])
            for f, fold in enumerate(folds) for db in cfg["databases"] for record in fold
            if (Path(raw_root) / db / f"{record}.hea").is_file()]
    jobs = only_records(jobs, cfg["records"], lambda job: job[0].name, "noise_cv.records",
                        f"held-out records of the protocol's cv.folds in "
                        f"{', '.join(cfg['databases'])}")
    if not jobs:
        raise EcgError(f"params noise_cv: no held-out record of the protocol's cv.folds in "
                       f"{', '.join(cfg['databases'])}")
    return jobs


def score_folds(jobs, seeds, nstdb_dir, cfg, extract_cfg, averaging, progress=True):
    """{seed: {condition: statistics}}: `jobs` [(record path, lead, [model dirs, one per seed])]
    (each record with its fold's models), params noise_cv `cfg`, params `averaging`."""
    from tqdm import tqdm

    from .checkpoint import load_model

    pieces = noise_pieces(nstdb_dir, cfg["sources"])
    conditions = [CLEAN, *cfg["snr_db"]]
    counts = {seed: {c: [] for c in conditions} for seed in seeds}
    loaded = {}
    for path, lead, model_dirs in tqdm(jobs, desc="noise cv", unit="record",
                                       disable=not progress):
        key = tuple(map(str, model_dirs))
        if key not in loaded:  # one fold's models at a time
            loaded = {key: [load_model(d) for d in model_dirs]}
        by_condition = record_counts(path, lead, extract_cfg, loaded[key], pieces, conditions,
                                     averaging)
        for condition, runs in by_condition.items():
            for seed, c in zip(seeds, runs, strict=True):
                counts[seed][condition].append(c)
    return {seed: {name_of(c): statistics(summed(v)) for c, v in by_condition.items()}
            for seed, by_condition in counts.items()}


def name_of(condition):
    return condition if condition == CLEAN else f"{condition:g}"


def result(runs, cfg):
    """metrics noise_cv.json: {"clean": spread stats, "snr": {snr: {"noisy": ...}}} (the shape
    plots.noise_stress_* read), mean / std / min / max over seeds."""
    spread = over_runs(list(runs.values()))
    return {"clean": spread.pop(CLEAN), "snr": {k: {"noisy": v} for k, v in spread.items()},
            "sources": cfg["sources"], "databases": cfg["databases"], "seeds": list(runs)}
