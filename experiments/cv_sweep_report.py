"""One row per candidate of experiments/cv_sweep.py: pooled CV scores, mean ± std over seeds,
in all and for each database's held-out records.

    python experiments/cv_sweep_report.py OUTDIR [--epoch E] [--seeds 0 1]
"""

import argparse
import glob
import json
import os

from ecgcnn.cv import report

HEADER = ("| candidate | seeds | scope | accuracy | S F1 | SVEB Se / +P | V F1 | VEB Se / +P | "
          "N as F | 128 Hz acc. |")


def line(name, seeds, scope, out, cond):
    m = lambda k: out[k]["mean"]  # noqa: E731
    e = lambda kind, s: out["ec57"][kind][s]["mean"]  # noqa: E731
    return (f"| {name} | {seeds} | {scope} | {m('accuracy'):.4f} ± {out['accuracy']['std']:.4f} | "
            f"{m('S_f1'):.3f} ± {out['S_f1']['std']:.3f} | {e('sveb', 'se'):.3f} / "
            f"{e('sveb', 'ppv'):.3f} | {m('V_f1'):.3f} | {e('veb', 'se'):.3f} / "
            f"{e('veb', 'ppv'):.3f} | {100 * m('N_as_F'):.2f} % | {cond} |")


def rows(name, runs, epoch):
    first = runs[0]["seed"]
    folds = [r["records"] for r in sorted(runs, key=lambda r: r["fold"]) if r["seed"] == first]
    out = report(runs, folds, epoch or len(runs[0]["confusion_by_epoch"]))
    cond = out["conditions"].get("128 Hz, gain 1")
    cond = f"{cond['accuracy']['mean']:.4f}" if cond else "-"
    yield line(name, len(out["seeds"]), "pooled", out, cond)
    for db, scores in out["databases"].items():
        yield line("", "", db, scores, "")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--epoch", type=int, help="default: the last trained")
    parser.add_argument("--seeds", type=int, nargs="*", help="only these seeds' runs")
    args = parser.parse_args()
    epoch = args.epoch
    print(HEADER)
    print("|---" * 10 + "|")
    for d in sorted(glob.glob(os.path.join(args.outdir, "*/"))):
        runs = [json.load(open(f)) for f in glob.glob(os.path.join(d, "fold*-seed*.json"))]
        runs = [r for r in runs if args.seeds is None or r["seed"] in args.seeds]
        folds = {r["fold"] for r in runs}
        runs = [r for r in runs if sum(q["seed"] == r["seed"] for q in runs) == len(folds)]
        if runs:
            print("\n".join(rows(os.path.basename(d.rstrip("/")), runs, epoch)))
