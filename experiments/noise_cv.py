"""Rounds 8 and 11 (issue 20): the CV's noise stress test (stage noise_cv) for fold models the
pipeline did not train, e.g. a candidate of experiments/cv_sweep.py --save-models, or with
other params averaging.

    python experiments/noise_cv.py MODELS OUT.json [--seeds 0 1 2]
        [--neighbours K] [--strength H] [--vote-strength H] [--span START END]
        [--records 118 203 ...]
        [--first-look-raw]

MODELS holds fold<f>/seed<s>/ model directories (models/cv/inter_patient_svdb: the
pipeline's). Scored exactly as the noise_cv stage scores them (params noise_cv; params
averaging unless overridden: --neighbours 0 is no averaging); writes its metrics JSON.
Round 11's grid: `--records 118 119 203 109 208 108` (the records of most false V calls)
with --strength 0.1 ... 2, then the whole CV for the two best.

--first-look-raw (round 11, after the committed run): the first look, which decides what is
noise, reads the windows as cut, and only the beats it keeps are averaged and classified
again (also when no detection was called Q). Averaged, a noise detection may look like its
real neighbours, so the first look calls fewer of them Q and the second keeps them as beats.
"""

import argparse
from functools import partial

import ecgcnn.noise_cv as noise_cv
from ecgcnn.io import write_json
from ecgcnn.params import load_params


def raw_first_look(classify):
    """The first look on the windows as cut: neither averaged nor voted."""
    return lambda x, rr: (x, classify(x, rr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models")
    ap.add_argument("out")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--neighbours", type=int)
    ap.add_argument("--strength", type=float)
    ap.add_argument("--vote-strength", type=float)
    ap.add_argument("--span", type=float, nargs=2, metavar=("START_S", "END_S"))
    ap.add_argument("--records", type=int, nargs="+", help="only these held-out records")
    ap.add_argument("--first-look-raw", action="store_true")
    args = ap.parse_args()
    cfg = load_params()["noise_cv"]
    cfg["records"] = args.records or cfg["records"]
    params = load_params(protocol=cfg["protocol"])
    averaging = {**params["averaging"], **{k: v for k, v in [
        ("neighbours", args.neighbours), ("strength", args.strength),
        ("vote_strength", args.vote_strength),
        ("span_s", args.span)] if v is not None}}
    if args.first_look_raw:
        noise_cv.looks = partial(noise_cv.looks, first_look=raw_first_look)
    jobs = noise_cv.fold_jobs(params["cv"]["folds"], params["databases"], cfg, args.models,
                              args.seeds)
    runs = noise_cv.score_folds(jobs, args.seeds, "data/raw/nstdb", cfg, params["extract"],
                                averaging)
    summary = noise_cv.result(runs, cfg)
    write_json(args.out, {"models": args.models, "records": len(jobs), "averaging": averaging,
                          "first_look": "raw" if args.first_look_raw else "averaged",
                          **summary, "per_seed": {str(s): r for s, r in runs.items()}})
    for name, stats in [("clean", summary["clean"]),
                        *((k, v["noisy"]) for k, v in summary["snr"].items())]:
        print(name, *(f"{k} {mean(stats[k][s])}" for k in ("veb", "sveb", "qrs")
                      for s in ("se", "ppv")), f"accuracy {mean(stats['accuracy'])}")


def mean(spread):
    """A statistic's mean over seeds, or bxb's '-' where no seed defines it."""
    return "-" if spread is None else f"{spread['mean']:.3f}"


if __name__ == "__main__":
    main()
