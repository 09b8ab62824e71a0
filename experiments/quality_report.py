"""Round 6 (issue 20): score quality gates on the CV beats experiments/quality_sweep.py wrote.

    python experiments/quality_report.py BEATS_DIR OUT.json [--feature rough_pre]
        [--cutoffs 0.5 1 ...]

A gate calls Q (class 4) every beat whose feature is above a cutoff (the gate of quality.py
with scale s and threshold t cuts at roughness s * (1 / t - 1)). With detected beats
(quality_sweep.py --detect) the extra and missed beats count as bxb counts them. Per
condition (clean = 99,
24 ... 6 dB) and per seed, the confusion matrix pooled over every fold's held-out records;
accuracy, EC57 VEB / SVEB Se and +P as mean and std over the seeds, the share of beats
called Q, and the clean-record cost (accuracy without minus with the gate, clean records).
"""

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from ecgcnn.ec57 import gross

Q = 4
CONDITIONS = (99, 24, 18, 12, 6, 0)


def load(beats_dir):
    parts = [np.load(p) for p in sorted(Path(beats_dir).glob("beats_fold*.npz"))]
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0].files if k != "x"}
    # local median roughness over 5 beats (within one record and condition)
    key = np.char.add(data["record"].astype(str), data["condition"].astype(str))
    smooth = np.empty_like(data["rough_pre"])
    for k in np.unique(key):
        mine = np.flatnonzero(key == k)
        smooth[mine] = ndimage.median_filter(data["rough_pre"][mine], size=5, mode="nearest")
    data["rough_pre_med5"] = smooth
    # roughness relative to the beat's own QRS peak-to-peak: a noise-to-QRS ratio
    pp = np.maximum(data["qrs_pp"], 1e-3)
    data["ratio_pre"] = data["rough_pre"] / pp
    data["ratio_max"] = np.maximum(data["rough_pre"], data["rough_late"]) / pp
    data["inv_pp"] = 1 / pp
    data["ratio_pre_pp2"] = data["rough_pre"] / pp ** 2
    data["ratio_near"] = data["rough_pre_near"] / pp
    for cap in (1.5, 2.0):  # loud noise inflates the prominence: it counts up to `cap`
        data[f"ratio_pp2_cap{cap:g}"] = data["rough_pre"] / np.minimum(pp, cap) ** 2
    return data


def scores(label, predicted, missed):
    """With detected beats (label -1: paired with no reference beat; `missed` reference
    beats per class) bxb's O row and column count (ec57.gross); accuracy over paired beats."""
    paired = label >= 0
    cm = np.zeros((5, 5), np.int64)
    np.add.at(cm, (label[paired], predicted[paired]), 1)
    g = gross(cm, missed, np.bincount(predicted[~paired], minlength=5))
    return {"accuracy": np.trace(cm) / cm.sum(), "veb_se": g["veb"]["se"],
            "veb_ppv": g["veb"]["ppv"], "sveb_se": g["sveb"]["se"],
            "sveb_ppv": g["sveb"]["ppv"], "q_share": float((predicted == Q).mean())}


def spread(values):
    v = np.array([x for x in values if x is not None], float)
    return {"mean": float(v.mean()), "std": float(v.std())} if len(v) else None


def gate_table(data, feature, cutoff):
    """{condition: {statistic: {mean, std}}} with the gate at `cutoff` (None: no gate)."""
    seeds = data["probs"].shape[1]
    out = {}
    for c in CONDITIONS:
        mine = data["condition"] == c
        if not mine.any():
            continue
        label = data["label"][mine].astype(np.int64)
        missed = data["missed"][mine].sum(0) if "missed" in data else np.zeros(5, np.int64)
        runs = []
        for s in range(seeds):
            predicted = data["probs"][mine, s].astype(np.float32).argmax(1)
            if cutoff is not None:
                predicted = np.where(data[feature][mine] > cutoff, Q, predicted)
            runs.append(scores(label, predicted, missed))
        out[str(c)] = {k: spread([r[k] for r in runs]) for k in runs[0]}
        out[str(c)]["_runs"] = runs
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("beats_dir")
    ap.add_argument("out")
    ap.add_argument("--features", nargs="+", default=["rough_pre", "rough_pre_med5",
                                                      "rough_pre_near", "residual"])
    ap.add_argument("--cutoffs", type=float, nargs="+",
                    default=[0.25, 0.35, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0])
    args = ap.parse_args()
    data = load(args.beats_dir)
    base = gate_table(data, None, None)
    result = {"beats": int(len(data["label"])), "records": sorted(set(data["record"].tolist())),
              "no_gate": base, "gates": {}}
    for feature in args.features:
        for cutoff in args.cutoffs:
            table = gate_table(data, feature, cutoff)
            clean_cost = spread([b["accuracy"] - g["accuracy"] for b, g in
                                 zip(base["99"]["_runs"], table["99"]["_runs"], strict=True)])
            result["gates"][f"{feature}>{cutoff:g}"] = {"clean_cost": clean_cost, **table}
    conditions = [c for c in CONDITIONS if str(c) in base]
    for tree in [base, *result["gates"].values()]:
        for c in conditions:
            tree[str(c)].pop("_runs")
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    show = ("accuracy", "veb_se", "veb_ppv", "sveb_se", "sveb_ppv", "q_share")
    print("gate".ljust(24), " | ".join(f"{c:>2}: " + " ".join(s[:7] for s in show)
                                        for c in conditions))
    for name, tree in [("none", base), *result["gates"].items()]:
        row = " | ".join(" ".join(f"{tree[str(c)][s]['mean']:.3f}" if tree[str(c)][s] else "  -  "
                                  for s in show) for c in conditions)
        cost = tree.get("clean_cost")
        print(f"{name:<24}", row, f"cost {cost['mean'] * 100:.2f}" if cost else "")


if __name__ == "__main__":
    main()


def markdown(result_json, gates, conditions=CONDITIONS):
    """Markdown rows (gate, condition, accuracy, VEB Se / +P, SVEB Se / +P, Q share, clean
    cost) of a quality_report result, mean ± std over the seeds."""
    result = json.loads(Path(result_json).read_text())

    def cell(tree, key):
        v = tree.get(key)
        return "-" if v is None else f"{v['mean']:.3f} ± {v['std']:.3f}"

    rows = []
    for gate in gates:
        tree = result["no_gate"] if gate == "none" else result["gates"][gate]
        cost = tree.get("clean_cost")
        for c in conditions:
            if str(c) not in tree:
                continue
            t = tree[str(c)]
            rows.append(f"| {gate} | {'clean' if c == 99 else f'{c} dB'} | {cell(t, 'accuracy')} | "
                        f"{cell(t, 'veb_se')} / {cell(t, 'veb_ppv')} | {cell(t, 'sveb_se')} / "
                        f"{cell(t, 'sveb_ppv')} | {t['q_share']['mean'] * 100:.1f} % | "
                        + (f"{cost['mean'] * 100:.2f} ± {cost['std'] * 100:.2f}"
                           if cost and c == 99 else "") + " |")
    return "\n".join(rows)
