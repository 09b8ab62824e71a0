"""One row per candidate of experiments/cv_sweep.py: pooled CV scores, mean ± std over seeds.

    python experiments/cv_sweep_report.py OUTDIR [EPOCH]
"""

import glob
import json
import os
import sys

from ecgcnn.cv import report


def row(name, runs, epoch):
    first = runs[0]["seed"]
    folds = [r["records"] for r in sorted(runs, key=lambda r: r["fold"]) if r["seed"] == first]
    out = report(runs, folds, epoch or len(runs[0]["confusion_by_epoch"]))
    s = lambda k: f"{out[k]['mean']:.4f} ± {out[k]['std']:.4f}"  # noqa: E731
    cond = out["conditions"].get("128hz") or out["conditions"].get("128 Hz, gain 1")
    cond_acc = f"{cond['accuracy']['mean']:.4f}" if cond else "-"
    return (f"| {name} | {len(out['seeds'])} | {s('accuracy')} | {s('S_f1')} | "
            f"{out['S_se']['mean']:.3f} / {out['S_ppv']['mean']:.3f} | {s('V_f1')} | "
            f"{out['V_se']['mean']:.3f} / {out['V_ppv']['mean']:.3f} | "
            f"{out['F_se']['mean']:.2f} | {cond_acc} |")


if __name__ == "__main__":
    root = sys.argv[1]
    epoch = int(sys.argv[2]) if len(sys.argv) > 2 else None
    print("| candidate | seeds | accuracy | S F1 | S Se / +P | V F1 | V Se / +P | F Se "
          "| 128 Hz acc. |")
    print("|---|---|---|---|---|---|---|---|---|")
    for d in sorted(glob.glob(os.path.join(root, "*/"))):
        runs = [json.load(open(f)) for f in glob.glob(os.path.join(d, "fold*-seed*.json"))]
        runs = [r for r in runs if sum(q["seed"] == r["seed"] for q in runs) == 5]
        if runs:
            print(row(os.path.basename(d.rstrip("/")), runs, epoch))
