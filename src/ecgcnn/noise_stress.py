"""The EC57 noise stress test: nstdb's 12 noisy records scored with detected beats.

nstdb (`../shared/nstdb`, its README) holds MIT-BIH records 118 and 119 with electrode-motion
noise added at six SNRs. The noise is on from 5:00 in alternating 2-minute stretches (noisy,
clean, noisy ...): the README says so, and the records show it: their samples minus the
MIT-BIH originals' are constant from 0:00 to 5:00 and from 7:00 to 9:00, 11:00 to 13:00 ...
and vary everywhere else, up to the end (`measured_stretches`; a test compares the two).

Each record goes through `predict.predict_record(..., detect=True)`, the chain of
`ecgcnn score --detect`, with the model given for its patient (one that never saw it, for an
honest test). Its classified beats are paired one to one with the reference beats within
150 ms (detection.pair_beats) and counted as bxb counts them (ec57.py), as `score --detect`
does: paired beats in a 5x5 confusion matrix, reference beats no detected beat pairs with
(`missed`) and detected beats with no reference beat (`extra`) per class, which count in the
QRS and the VEB / SVEB Se and +P. A pair or a missed beat belongs to a scope by its
reference beat, an extra one by its own position:

- `noisy`: the noisy stretches only;
- `whole`: every beat of the record (the project's convention, ec57.py);
- `from_5min`: from 5:00 on, bxb's default (the first 5 minutes are EC57's learning period).

Beats inside marked VF episodes are left out (episodes.py); 118 and 119 have none. Detected
beats too close to the record's ends to classify are not among the classified beats, so the
whole-record detection Se can be a few beats lower than predict's summary says.
"""

from pathlib import Path

import numpy as np

from .aami import CLASSES
from .io import EcgError
from .protocols import NOISE_STRESS_PATIENTS

NOISY_RECORDS = tuple(f"{patient}e{snr}" for patient in NOISE_STRESS_PATIENTS
                      for snr in ("24", "18", "12", "06", "00", "_6"))
NOISE_START_S = 300.0  # 5:00
STRETCH_S = 120.0  # noisy and clean stretches alternate every 2 minutes
MIN_CLEAN_S = 10.0  # measured_stretches: a constant difference this long is a clean stretch
SCOPES = ("noisy", "whole", "from_5min")


def snr_of(name):
    """The SNR in dB written in an nstdb record name: 118e24 -> 24, 119e_6 -> -6."""
    tail = Path(name).name.split("e")[-1]
    try:
        return int(tail.replace("_", "-"))
    except ValueError:
        raise EcgError(f"record {name}: not an nstdb noisy record name (118e24 ... 119e_6)"
                       ) from None


def patient_of(name):
    """The MIT-BIH record an nstdb record was made from: 118e24 -> 118."""
    return Path(name).name.split("e")[0]


def noisy_stretches(n, fs):
    """[(start, stop)] samples of the noisy stretches of an n-sample nstdb record."""
    starts = np.arange(NOISE_START_S * fs, n, 2 * STRETCH_S * fs)
    return [(int(a), int(min(a + STRETCH_S * fs, n))) for a in starts]


def scopes(n, fs):
    """{scope: [(start, stop)]} sample stretches of each scope (see the module's doc)."""
    return {"noisy": noisy_stretches(n, fs), "whole": [(0, n)],
            "from_5min": [(int(NOISE_START_S * fs), n)]}


def measured_stretches(noisy_path, clean_path, channel=0):
    """The noisy stretches read off the data: [(start, stop)] where the noisy record's
    digital samples minus the clean record's are not constant for MIN_CLEAN_S or longer."""
    import wfdb

    noisy, clean = (wfdb.rdrecord(str(p), physical=False, channels=[channel])
                    for p in (noisy_path, clean_path))
    difference = noisy.d_signal[:, 0].astype(np.int64) - clean.d_signal[:, 0]
    edges = np.concatenate([[0], np.flatnonzero(np.diff(difference)) + 1, [len(difference)]])
    constant = [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)
                if b - a >= MIN_CLEAN_S * noisy.fs]
    bounds = [0, *(x for run in constant for x in run), len(difference)]
    return [(int(a), int(b)) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if b > a]


def within(samples, stretches):
    """Boolean mask: which samples lie in one of the [start, stop) stretches."""
    samples = np.asarray(samples)
    mask = np.zeros(len(samples), dtype=bool)
    for a, b in stretches:
        mask |= (samples >= a) & (samples < b)
    return mask


def beat_counts(detected, predicted, reference, ref_labels, matched, counted, counted_ref):
    """{"cm" 5x5, "missed" [5], "extra" [5]}: paired beats by (reference, predicted class),
    reference beats unpaired by class, detected beats unpaired by predicted class; only the
    detected / reference beats `counted` / `counted_ref` (a pair by its reference beat)."""
    k = len(CLASSES)
    paired = matched >= 0
    pairs = np.append(counted_ref, False)[matched]  # -1 (unpaired): the False appended
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (ref_labels[matched[pairs]], predicted[pairs]), 1)
    unpaired_ref = np.ones(len(reference), dtype=bool)
    unpaired_ref[matched[paired]] = False
    missed = np.bincount(ref_labels[unpaired_ref & counted_ref], minlength=k)
    extra = np.bincount(predicted[~paired & counted], minlength=k)
    return {"cm": cm, "missed": missed, "extra": extra}


def record_counts(path, frame):
    """{scope: beat_counts} of one record's classified detected beats (predict's frame)."""
    from .detection import MATCH_TOLERANCE_S, pair_beats
    from .episodes import inside, read_episodes
    from .records import read_beats

    fs, n = frame.attrs["fs"], frame.attrs["samples"]
    reference, ref_labels, _ = read_beats(path, "atr", fs, n)
    episodes, _ = read_episodes(path, "atr", fs, n)
    detected = frame["sample"].to_numpy()
    predicted = frame["predicted"].map(CLASSES.index).to_numpy(np.int64)
    matched = pair_beats(detected, reference, MATCH_TOLERANCE_S * fs)
    out_det, out_ref = ~inside(detected, episodes), ~inside(reference, episodes)
    return {scope: beat_counts(detected, predicted, reference, ref_labels.astype(np.int64),
                               matched, out_det & within(detected, stretches),
                               out_ref & within(reference, stretches))
            for scope, stretches in scopes(n, fs).items()}


def statistics(counts):
    """QRS detection, EC57 VEB / SVEB (bxb's rules with missed and extra beats) and the
    accuracy over paired beats, from beat_counts (one record's or summed)."""
    from . import ec57
    from .ec57 import ratio

    cm, missed, extra = counts["cm"], counts["missed"], counts["extra"]
    tp = int(cm.sum())
    return {"qrs": {"se": ratio(tp, tp + missed.sum()), "ppv": ratio(tp, tp + extra.sum())},
            **ec57.gross(cm, missed, extra), "accuracy": ratio(np.trace(cm), tp),
            "reference_beats": tp + int(missed.sum()), "detected_beats": tp + int(extra.sum())}


def summed(counts):
    return {key: sum(c[key] for c in counts) for key in ("cm", "missed", "extra")}


def noise_stress_result(counts, models, vf_seconds=None):
    """{"records": {name: {snr, model, scope: statistics}}, "snr": {snr: {scope: statistics
    of its records pooled}}, "all": {scope: statistics of every record pooled}, "scopes":
    descriptions, "vf_detected_s": {snr: seconds}} from {name: record_counts} and {name:
    seconds of ventricular flutter / fibrillation detected (vf_detection.py; nstdb has
    none: every second is a false alarm)}."""
    records = {name: {"snr": snr_of(name), "model": str(models[patient_of(name)]),
                      **{s: statistics(c[s]) for s in SCOPES}} for name, c in counts.items()}
    snrs = sorted({snr_of(name) for name in counts}, reverse=True)
    by_snr = {str(snr): {s: statistics(summed([c[s] for name, c in counts.items()
                                               if snr_of(name) == snr])) for s in SCOPES}
              for snr in snrs}
    pooled = {s: statistics(summed([c[s] for c in counts.values()])) for s in SCOPES}
    return {"records": records, "snr": by_snr, "all": pooled, "scopes": {
        "noisy": f"the noisy stretches: from {NOISE_START_S:g} s, {STRETCH_S:g} s on, "
                 f"{STRETCH_S:g} s off", "whole": "every beat of the record",
        "from_5min": f"from {NOISE_START_S:g} s on (bxb's default start)"},
        "tolerance_ms": 150,
        "vf_detected_s": {str(snr): float(sum(v for name, v in (vf_seconds or {}).items()
                                              if snr_of(name) == snr)) for snr in snrs}}


def score_noise_stress(nstdb_dir, model_dirs, records=NOISY_RECORDS, progress=True,
                       averaging=None):
    """Score the noisy records of `nstdb_dir`, each with the model of `model_dirs` for its
    patient ({"118": dir, "119": dir}: one that never saw it, for an honest test), detected
    beats averaged by params `averaging` (None: the package's); returns noise_stress_result.
    Each model is loaded once."""
    from tqdm import tqdm

    from .checkpoint import load_model
    from .episodes import duration
    from .predict import predict_record

    missing = sorted({patient_of(r) for r in records} - set(model_dirs))
    if missing:
        raise EcgError(f"model_dirs: no model for patient(s) {', '.join(missing)}")
    models = {patient: load_model(d) for patient, d in model_dirs.items()}
    counts, vf_seconds = {}, {}
    for name in tqdm(records, desc="noise stress", unit="record", disable=not progress):
        path = Path(nstdb_dir) / name
        patient = patient_of(name)
        frame = predict_record(path, model_dirs[patient], detect=True, model=models[patient],
                               averaging=averaging)
        counts[name] = record_counts(path, frame)
        vf_seconds[name] = duration(frame.attrs["vf_detected"]) / frame.attrs["fs"]
    return noise_stress_result(counts, model_dirs, vf_seconds)


def spread_of(values):
    """{mean, std, min, max} over the runs of one statistic (population std), those where it
    is defined (bxb's '-': no beat to count); None where it never is."""
    defined = np.array([v for v in values if v is not None], dtype=float)
    if not len(defined):
        return None
    return {"mean": float(defined.mean()), "std": float(defined.std()),
            "min": float(defined.min()), "max": float(defined.max())}


def over_runs(trees):
    """One nested dict of statistics per run (seed) -> the same dict with spread_of at its
    leaves."""
    first = trees[0]
    if isinstance(first, dict):
        return {key: over_runs([t[key] for t in trees]) for key in first}
    return spread_of(trees)


def over_seeds(results):
    """{"snr": {snr: {scope: ...}}, "all": {scope: ...}, "records": {name: {scope: ...}},
    "scopes", "tolerance_ms"}: the statistics of several noise_stress_result (one per training
    seed), each as spread_of."""
    records = [{name: {s: rec[s] for s in SCOPES} for name, rec in r["records"].items()}
               for r in results]
    return {"snr": over_runs([r["snr"] for r in results]),
            "all": over_runs([r["all"] for r in results]), "records": over_runs(records),
            "scopes": results[0]["scopes"], "tolerance_ms": results[0]["tolerance_ms"],
            "vf_detected_s": over_runs([r["vf_detected_s"] for r in results])}


def score_fold_models(nstdb_dir, fold_dir, seeds, averaging=None, progress=True):
    """{seed: noise_stress_result} of the models of one cross-validation fold
    (`fold_dir`/seed<s>: they never saw the fold's patients), each model scoring both
    patients' records (params `averaging`: see score_noise_stress)."""
    runs = {}
    for seed in seeds:
        model_dir = Path(fold_dir) / f"seed{seed}"
        if not (model_dir / "config.json").is_file():
            raise EcgError(f"{model_dir}: no model (the cv stage of this fold writes it)")
        runs[seed] = score_noise_stress(nstdb_dir, dict.fromkeys(NOISE_STRESS_PATIENTS,
                                                                 model_dir),
                                        progress=progress, averaging=averaging)
    return runs
