"""Round 6 (issue 20): choose the quality gate's features and threshold on cross-validation.

Each inter_patient_svdb fold model (every seed) scores its own held-out records only, at the
annotated beat positions, clean and with recorded noise added to the raw signal at 24, 18, 12
and 6 dB SNR: nstdb's `bw` and `ma` only (never `em`, which the noise stress test adds; never
the 12 noisy nstdb records; DS2 is not in these folds). The noise is scaled as WFDB's `nst`
scales it (recorded_noise.sigamp_rms for the noise, the record's peak-to-peak QRS amplitude as
`sigamp -a` measures it), record i of a fold gets source bw / ma and channel by i, from an
offset set by the record's name.

    python experiments/quality_sweep.py OUTDIR [--folds 0 1 2 3 4] [--seeds 0 1 2]

With --detect, the beats are those wfdb GQRS detects (as `predict --detect`), paired one to
one with the annotated beats within 150 ms: label -1 for a detected beat paired with none,
`missed` (on each record's first beat row) the reference beats per class paired with none.

Writes OUTDIR/beats_fold<f>.npz: per beat fold, record, condition (SNR, 99 = clean), label,
missed, probs [n, seeds, 5] and the candidate quality features; experiments/quality_report.py scores
the gates.
"""

import argparse
import time
import zlib
from pathlib import Path

import numpy as np

from ecgcnn.checkpoint import load_model
from ecgcnn.detection import MATCH_TOLERANCE_S, pair_beats
from ecgcnn.extract import beats_from_signal
from ecgcnn.filters import resample
from ecgcnn.noisy import detected_beats, qrs_amplitude
from ecgcnn.params import load_params, merged
from ecgcnn.quality import roughness
from ecgcnn.recorded_noise import NST_RATIO, noise_channels, sigamp_rms
from ecgcnn.records import read_beats, read_signal
from ecgcnn.splits import DS2
from ecgcnn.train import predict_probs

PROTOCOL = "inter_patient_svdb"
CLEAN = 99
SNRS = (CLEAN, 24, 18, 12, 6)
SOURCES = ("bw", "ma")
# candidate roughness segments (s, relative to the R peak)
SEGMENTS = {"pre": (-0.25, -0.10), "pre_near": (-0.20, -0.08), "late": (0.30, 0.45)}


def database_of(record):
    return "mitdb" if int(record) < 300 else "svdb"


def noise_for(record, index, n, fs, bank):
    """A stretch of one recorded noise channel at the record's rate, n samples, unit nst RMS."""
    signal, noise_fs = bank[index % len(bank)]
    noise = resample(signal - np.mean(signal), noise_fs, fs)
    noise = noise / sigamp_rms(noise, fs)
    offset = zlib.crc32(record.encode()) % len(noise)
    return np.resize(np.roll(noise, -offset), n)


def first_row(counts, n):
    """[n, 5]: `counts` on the first row, zeros below (so sums over beats give the counts)."""
    out = np.zeros((n, len(counts)), np.int32)
    out[0] = counts
    return out


def template_residual(x):
    """RMS of channel 1 (beat minus its local median beat) over RMS of the median beat."""
    template = x[:, :, 0] - x[:, :, 1]
    return np.sqrt(np.mean(x[:, :, 1] ** 2, 1) / np.maximum(np.mean(template ** 2, 1), 1e-9))


def features(x, cfg):
    out = {f"rough_{k}": roughness(x, cfg["target_fs"], cfg["window_before_s"], a, b)
           for k, (a, b) in SEGMENTS.items()}
    out["residual"] = template_residual(x)
    out["qrs_pp"] = qrs_prominence(x, cfg["target_fs"], cfg["window_before_s"])
    out["x"] = x.astype(np.float16)  # for features designed after the run
    return out


def qrs_prominence(x, fs, window_before_s, half_s=0.05):
    """Peak-to-peak of channel 0 within +-half_s of the R peak (local median R amplitudes)."""
    r, half = int(round(window_before_s * fs)), int(round(half_s * fs))
    return np.ptp(x[:, r - half:r + half + 1, 0], axis=1)


def labelled_detections(noisy, fs, samples, labels, cfg):
    """(x, rr, reference class per classified detected beat (-1: none paired), missed
    reference beats per class) with wfdb GQRS as predict --detect runs it."""
    peaks, x, rr = detected_beats(noisy, fs, cfg)
    matched = pair_beats(peaks, samples, MATCH_TOLERANCE_S * fs)
    unpaired = np.ones(len(samples), bool)
    unpaired[matched[matched >= 0]] = False
    return (x, rr, np.append(labels, -1)[matched],
            np.bincount(labels[unpaired].astype(np.int64), minlength=5))


def run_fold(fold, records, models, cfgs, bank, raw, detect=False, snrs=SNRS):
    parts = []
    for i, record in enumerate(records):
        db = database_of(record)
        cfg = cfgs[db]
        signal, fs, _ = read_signal(raw / db / record, cfg.get("lead"))
        samples, labels, _ = read_beats(raw / db / record, "atr", fs, len(signal))
        pp = qrs_amplitude(signal, fs, samples, labels)
        unit = noise_for(record, i, len(signal), fs, bank)
        for snr in snrs:
            noisy = signal if snr == CLEAN else signal + unit * (
                pp * NST_RATIO * 10 ** (-snr / 20))
            if detect:
                x, rr, label, missed = labelled_detections(noisy, fs, samples, labels, cfg)
            else:
                x, rr, kept = beats_from_signal(noisy, fs, samples, cfg)
                label, missed = labels[kept], np.zeros(5, np.int64)
            probs = np.stack([predict_probs(m, x, rr, batch_size=4096) for m in models], 1)
            parts.append({"fold": np.full(len(x), fold, np.int8),
                          "record": np.full(len(x), record),
                          "condition": np.full(len(x), snr, np.int16),
                          "label": label.astype(np.int8),
                          "missed": first_row(missed, len(x)),
                          "probs": probs.astype(np.float16), **features(x, cfg)})
        print(f"fold {fold} record {record} ({db}, {len(samples)} beats) done", flush=True)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--detect", action="store_true", help="detected beats (GQRS), not the "
                    "annotated ones; MIT-BIH records only (--databases)")
    ap.add_argument("--databases", nargs="+", default=["mitdb", "svdb"])
    ap.add_argument("--snrs", type=int, nargs="+", default=list(SNRS), help="99 = clean")
    args = ap.parse_args()
    params = load_params()
    folds = merged(params, PROTOCOL)["cv"]["folds"]
    raw = Path("data/raw")
    cfgs = {db: {**params["extract"], "lead": params["databases"][db]["lead"]}
            for db in ("mitdb", "svdb")}
    bank = [(signal, fs) for source in SOURCES
            for _, signal, fs in noise_channels(raw / "nstdb" / source)]
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    for fold in args.folds:
        records = [str(r) for r in folds[fold] if database_of(str(r)) in args.databases]
        assert not set(records) & {str(r) for r in DS2}, "DS2 is never read here"
        models = [load_model(f"models/cv/{PROTOCOL}/fold{fold}/seed{s}")[0] for s in args.seeds]
        start = time.time()
        data = run_fold(fold, records, models, cfgs, bank, raw, args.detect,
                        args.snrs)
        np.savez_compressed(out / f"beats_fold{fold}.npz", **data)
        print(f"fold {fold}: {len(data['label'])} beats, {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
