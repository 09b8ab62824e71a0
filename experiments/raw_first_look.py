"""Round 11 (issue 20), after the committed run: the CV noise test with the first look on
raw windows and only the second look's on averaged ones (beat_averaging.py).

    python experiments/raw_first_look.py MODELS OUT.json

Why: averaged, a noise detection may look like its real neighbours, so the first look calls
fewer of them Q and the second look keeps them as beats (extra S calls, broken RR). Here the
first look, which decides what is noise, reads the windows as cut; the beats that remain
are averaged and classified again (also when no detection was called Q). Scored as the
noise_cv stage scores (params noise_cv, averaging); writes its metrics JSON.
"""

import argparse

import numpy as np

import ecgcnn.noise_cv as noise_cv
from ecgcnn.io import write_json
from ecgcnn.params import load_params


def raw_first_looks(signal, fs, extract_cfg, models, averaging):
    from ecgcnn.beat_averaging import averaged
    from ecgcnn.extract import beats_from_signal
    from ecgcnn.noisy import detected_beats
    from ecgcnn.train import predict_probs

    peaks, x, rr = detected_beats(signal, fs, extract_cfg)
    runs = []
    for model in models:
        first = predict_probs(model, x, rr, 4096)
        noise = first.argmax(1) == noise_cv.Q
        seen, probs = x.copy(), first.copy()
        if (~noise).sum() >= 2:
            x2, rr2, kept = beats_from_signal(signal, fs, peaks[~noise], extract_cfg)
            x2 = averaged(x2, averaging, extract_cfg["target_fs"], extract_cfg["window_before_s"])
            again = np.flatnonzero(~noise)[kept]
            seen[again], probs[again] = x2, predict_probs(model, x2, rr2, 4096)
        runs.append((first, seen, probs))
    return peaks, runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models")
    ap.add_argument("out")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    cfg = load_params()["noise_cv"]
    params = load_params(protocol=cfg["protocol"])
    noise_cv.looks = raw_first_looks
    jobs = noise_cv.fold_jobs(params["cv"]["folds"], params["databases"], cfg, args.models,
                              args.seeds)
    runs = noise_cv.score_folds(jobs, args.seeds, "data/raw/nstdb", cfg, params["extract"],
                                params["averaging"])
    summary = noise_cv.result(runs, cfg)
    write_json(args.out, {"models": args.models, "records": len(jobs),
                          "averaging": params["averaging"], "first_look": "raw", **summary})
    for name, stats in [("clean", summary["clean"]),
                        *((k, v["noisy"]) for k, v in summary["snr"].items())]:
        print(name, *(f"{k} {stats[k][s]['mean']:.3f}" for k in ("veb", "sveb", "qrs")
                      for s in ("se", "ppv")), f"accuracy {stats['accuracy']['mean']:.3f}")


if __name__ == "__main__":
    main()
