"""Round 10 (issue 20): how vf_detection.py does on the training records, no test record.

    python experiments/vf_detection.py [--snr 24 18 12 6 0] [--sources em_cv bw ma]

1. Every training record of inter_patient_svdb (DS1 and the 39 SVDB training records),
   clean: the episodes found against the marked ones (MIT-BIH 207 has the only six), by any
   overlap as epicmp, and the seconds of VF found outside marked episodes.
2. The CV noise test's records (params noise_cv) with noise added as nstdb adds it, each
   source and SNR: seconds of VF found outside marked episodes (false alarms).
DS2, the reserved SVDB records and nstdb's noisy records are never read.
"""

import argparse
from pathlib import Path

from ecgcnn.episodes import (
    covered,
    detection_counts,
    detection_scores,
    duration,
    read_episodes,
)
from ecgcnn.noise_cv import nstdb_like
from ecgcnn.noisy import noise_pieces, qrs_amplitude, seed_of
from ecgcnn.params import load_params
from ecgcnn.records import read_beats, read_signal
from ecgcnn.splits import DS1
from ecgcnn.vf_detection import detect_vf


def found(signal, fs):
    return detect_vf(lambda a, b: signal[a:b], len(signal), fs)


def false_seconds(detected, marked, fs):
    return (duration(detected) - covered(detected, marked)) / fs


def training_records(params):
    svdb = params["databases"]["svdb"]
    return ([(Path("data/raw/mitdb") / str(r), None) for r in DS1]
            + [(Path("data/raw/svdb") / str(r), svdb["lead"]) for r in svdb["records"]])


def clean_table(params):
    counts, false_s, hours = [], 0.0, 0.0
    for path, lead in training_records(params):
        signal, fs, _ = read_signal(path, lead)
        marked, _ = read_episodes(path, "atr", fs, len(signal))
        detected = found(signal, fs)
        counts.append(detection_counts(detected, marked))
        false_s += false_seconds(detected, marked, fs)
        hours += len(signal) / fs / 3600
        if len(marked) or len(detected):
            print(f"  {path.name}: marked {(marked / fs).round(1).tolist()}, "
                  f"found {(detected / fs).round(1).tolist()}")
    s = detection_scores(counts)
    print(f"clean, {len(counts)} records, {hours:.1f} h: episodes marked {s['marked']}, found "
          f"{s['found']}; detected {s['detected']}, true {s['true']}; duration Se "
          f"{s['duration_se']:.3f}, +P {s['duration_ppv']:.3f}; "
          f"{false_s:.0f} s of VF found outside marked episodes")


def noise_table(params, sources, snrs):
    cfg = params["noise_cv"]
    folds = params["protocols"][cfg["protocol"]]["cv"]["folds"]
    records = [Path("data/raw/mitdb") / str(r) for fold in folds for r in fold
               if (Path("data/raw/mitdb") / f"{r}.hea").is_file()]
    print(f"| source | {' | '.join(f'{s} dB' for s in snrs)} |  (s of VF found outside "
          f"marked episodes, {len(records)} records, 30 min each)")
    print("|---" * (len(snrs) + 1) + "|")
    for source in sources:
        pieces = noise_pieces("data/raw/nstdb", [source])
        cells = []
        for i, snr in enumerate(snrs):
            total = 0.0
            for path in records:
                signal, fs, _ = read_signal(path, None)
                samples, labels, _ = read_beats(path, "atr", fs, len(signal))
                marked, _ = read_episodes(path, "atr", fs, len(signal))
                noisy = nstdb_like(signal, fs, qrs_amplitude(signal, fs, samples, labels),
                                   pieces, snr, seed_of(path.name, i + 1))
                total += false_seconds(found(noisy, fs), marked, fs)
            cells.append(f"{total:.0f}")
        print(f"| {source} | {' | '.join(cells)} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--snr", type=float, nargs="+", default=[24, 18, 12, 6, 0])
    ap.add_argument("--sources", nargs="+", default=["em_cv", "bw", "ma"])
    args = ap.parse_args()
    params = load_params()
    clean_table(params)
    noise_table(params, args.sources, args.snr)


if __name__ == "__main__":
    main()
