"""Choose the knobs of params `adapt` on cross-validation: each candidate adapts the CV fold
models to their own held-out records (which they never saw), with the learning period and
draws of params `adaptive`, scored after the learning period. DS2 is never loaded.

    python experiments/adapt_sweep.py --seeds 0 1 --out experiments/results/round7/adapt.json
"""

import argparse
import json
import sys
import time

import yaml

from ecgcnn.adaptive import gains, jobs_of, report, run_jobs
from ecgcnn.dataset import BEATS_PATH
from ecgcnn.io import load_arrays
from ecgcnn.params import load_params

HEADS = ["shape_dense", "shape_out", "rr_dense", "rr_out"]
CANDIDATES = {  # changes to params.yaml's adapt group
    "base": {},
    # Adapted calls only for beats whose rhythm is near a labelled beat's (adapt.nearness).
    "reach005": {"reach": 0.05},
    "reach01": {"reach": 0.1},
    "reach02": {"reach": 0.2},
    "res_heads_a01_reach01": {"parameters": ["residual", "shape_out", "rr_dense", "rr_out"],
                              "anchor": 0.1, "reach": 0.1},
    "res_heads_a01_reach005": {"parameters": ["residual", "shape_out", "rr_dense", "rr_out"],
                               "anchor": 0.1, "reach": 0.05},
    "res_heads_a01_reach02": {"parameters": ["residual", "shape_out", "rr_dense", "rr_out"],
                              "anchor": 0.1, "reach": 0.2},
    "out_only": {"parameters": ["shape_out", "rr_out"]},
    "biases": {"parameters": ["shape_out.bias", "rr_out.bias"]},
    "all_heads": {"parameters": HEADS},
    "rr_only": {"parameters": ["rr_dense", "rr_out"]},
    # n labelled beats weigh n / (n + prior_beats): two beats should not move the model as far
    # as four hundred.
    "prior20": {"prior_beats": 20.0},
    "prior50": {"prior_beats": 50.0},
    "prior100": {"prior_beats": 100.0},
    "prior50_a03": {"prior_beats": 50.0, "anchor": 0.3},
    "prior50_a01": {"prior_beats": 50.0, "anchor": 0.1},
    "prior50_a003": {"prior_beats": 50.0, "anchor": 0.03},
    "prior20_a01": {"prior_beats": 20.0, "anchor": 0.1},
    "prior100_a01": {"prior_beats": 100.0, "anchor": 0.1},
    "prior100_a03": {"prior_beats": 100.0, "anchor": 0.3},
    "prior200_a01": {"prior_beats": 200.0, "anchor": 0.1},
    "prior100_a003": {"prior_beats": 100.0, "anchor": 0.03},
    "all_heads_a03": {"parameters": HEADS, "anchor": 0.3},
    "all_heads_a3": {"parameters": HEADS, "anchor": 3.0},
    "all_heads_b03": {"parameters": HEADS, "class_balance": 0.3},
    "all_heads_reach03": {"parameters": HEADS, "reach": 0.3},
    "all_heads_residual": {"parameters": [*HEADS, "residual"]},
    "anchor0": {"anchor": 0.0},
    "anchor10": {"anchor": 10.0},
    "anchor01": {"anchor": 0.1},
    "balance0": {"class_balance": 0.0},
    "balance1": {"class_balance": 1.0},
    "steps20": {"steps": 20},
    "steps200": {"steps": 200},
    "lr003": {"lr": 0.003},
    "lr003_steps200": {"lr": 0.003, "steps": 200},
    "lr03": {"lr": 0.03},
    "spread": {"draw": "spread"},
    # N and S share the shape path's logit: only the rhythm path tells them apart, so
    # adapting the shape layers alone cannot trade S beats found for S beats called.
    "shape_out": {"parameters": ["shape_out"]},
    "shape_heads": {"parameters": ["shape_dense", "shape_out"]},
    "shape_heads_rr_bias": {"parameters": ["shape_dense", "shape_out", "rr_out.bias"]},
    # A linear layer of the record's own on the shape path's dense features and RR
    # features (zero to start, the anchor a ridge penalty): its S logit can use shape.
    "residual": {"parameters": ["residual"]},
    "residual_a01": {"parameters": ["residual"], "anchor": 0.1},
    "residual_a001": {"parameters": ["residual"], "anchor": 0.01},
    "residual_heads": {"parameters": ["residual", "shape_out", "rr_dense", "rr_out"]},
    "residual_heads_a01": {"parameters": ["residual", "shape_out", "rr_dense", "rr_out"],
                           "anchor": 0.1},
}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    p.add_argument("--seeds", nargs="+", type=int, default=None)
    p.add_argument("--draws", type=int, default=None)
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=YAML",
                   help="extra changes to every candidate, e.g. steps=100")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    params = load_params()
    protocol = params["adaptive"]["protocol"]
    merged = load_params(protocol=protocol)
    adaptive = {**params["adaptive"], **({"draws": args.draws} if args.draws else {})}
    extra = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    cfgs = {name: {**params["adapt"], **extra, **CANDIDATES[name]} for name in args.candidates}
    seeds = args.seeds or merged["cv"]["seeds"]
    jobs = jobs_of("cv", protocol, seeds, None, merged["cv"]["folds"])
    t = time.time()
    runs, y_after = run_jobs(jobs, load_arrays(BEATS_PATH), cfgs, adaptive)
    out = {"protocol": protocol, "seeds": seeds, "adaptive": adaptive, "cfgs": cfgs,
           "seconds": time.time() - t, "results": {}}
    for name in cfgs:
        result = report(runs[name], y_after)
        out["results"][name] = {"settings": result, "gains": gains(result)}
        print(name, line(result), file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


def line(result):
    parts = []
    for setting, r in result.items():
        e = r["ec57"]
        parts.append(f"{setting}: acc {r['accuracy']['mean']:.4f} S {fmt(e['sveb']['se'])}/"
                     f"{fmt(e['sveb']['ppv'])} V {fmt(e['veb']['se'])}/{fmt(e['veb']['ppv'])}")
    return " | ".join(parts)


def fmt(s):
    return "-" if s["mean"] is None else f"{s['mean']:.3f}"


if __name__ == "__main__":
    main()
