"""Rank the adapt_sweep.py candidates: per setting the EC57 gross SVEB and VEB Se / +P
(means over seeds x draws) and their F1, and the criterion the knobs are chosen by: the
mean over every setting with labels (k and the whole learning period) of (SVEB F1 + VEB F1)
/ 2. F1 weighs Se and +P alike, so a candidate cannot win by trading found beats for
false ones.

    python experiments/adapt_sweep_report.py experiments/results/round7/adapt_sweep_*.json
"""

import json
import sys


def f1(se, ppv):
    return 0.0 if not se or not ppv else 2 * se * ppv / (se + ppv)


def scores(settings):
    out = {}
    for name, r in settings.items():
        e = r["ec57"]
        s = (e["sveb"]["se"]["mean"], e["sveb"]["ppv"]["mean"])
        v = (e["veb"]["se"]["mean"], e["veb"]["ppv"]["mean"])
        out[name] = {"sveb": s, "veb": v, "f1": (f1(*s) + f1(*v)) / 2,
                     "accuracy": r["accuracy"]["mean"]}
    return out


def criterion(table):
    labelled = [v["f1"] for k, v in table.items() if k != "0"]
    return sum(labelled) / len(labelled)


def main(paths):
    rows = []
    for path in paths:
        data = json.load(open(path))
        for name, result in data["results"].items():
            table = scores(result["settings"])
            rows.append((criterion(table), name, data["seeds"], table))
    rows.sort(key=lambda r: -r[0])
    for value, name, seeds, table in rows:
        cells = "  ".join(f"{k}: S {t['sveb'][0]:.3f}/{t['sveb'][1]:.3f} V {t['veb'][0]:.3f}/"
                          f"{t['veb'][1]:.3f}" for k, t in table.items()
                          if k in ("0", "12", "5min"))
        print(f"{value:.4f}  {name:<24} seeds {seeds}  {cells}")


if __name__ == "__main__":
    main(sys.argv[1:])
