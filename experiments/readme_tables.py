"""The README's results tables, printed from the committed metrics/ (no number typed by hand).

    python experiments/readme_tables.py
"""

import json
from pathlib import Path

ONE_VS_REST = ("accuracy", "macro_f1", "S_se", "S_ppv", "S_f1", "V_se", "V_ppv", "V_f1", "N_as_F")


def load(path):
    return json.loads(Path(path).read_text())


def spread(d, key, digits=3):
    v = d[key]
    return f"{v['mean']:.{digits}f} ± {v['std']:.{digits}f}"


def one_vs_rest_row(name, d):
    cells = [spread(d, k, 4 if k == "accuracy" else 3) for k in ONE_VS_REST[:-1]]
    cells.append(f"{100 * d['N_as_F']['mean']:.2f} %")
    return f"| {name} | {len(d['seeds'])} | " + " | ".join(cells) + " |"


def ec57_row(name, d):
    e = d["ec57"]
    cells = [f"{e[kind][s]['mean']:.3f} ± {e[kind][s]['std']:.3f}"
             for kind in ("veb", "sveb") for s in ("se", "ppv", "fpr")]
    return f"| {name} | {len(d['seeds'])} | " + " | ".join(cells) + " |"


def rows():
    """(name, seeds-style dict) of every row, in the README's order."""
    cv_svdb = load("metrics/inter_patient_svdb/cv.json")
    cv_ds1 = load("metrics/inter_patient/cv.json")
    yield "`inter_patient_svdb` DS1 + SVDB → DS2 (test, scored once)", \
        load("metrics/inter_patient_svdb/seeds.json")
    yield "`inter_patient_svdb` CV, 61 records pooled", cv_svdb
    for db, scores in cv_svdb["databases"].items():
        yield f"`inter_patient_svdb` CV, its {db} records", scores
    yield "`inter_patient` DS1 → DS2 (test, scored once)", load("metrics/inter_patient/seeds.json")
    yield "`inter_patient` DS1 CV (22 records)", cv_ds1
    yield "`inter_patient` (DS1 only) on the 39 SVDB records", \
        load("metrics/inter_patient/on_svdb.json")["seeds"]
    yield "`intra_patient` random 80/20 (test)", load("metrics/intra_patient/seeds.json")


def noise_stress_table(scope="noisy", path="metrics/noise_stress.json"):
    """Rows of the noise stress test per SNR: Se / +P of QRS, VEB and SVEB, and accuracy; for
    the CV's (noise_cv.json) a clean column first."""
    result = load(path)
    d = dict(result["snr"])
    if "clean" in result:
        d = {"clean": {scope: result["clean"]}, **d}
    snrs = list(d)
    yield "| SNR (dB) | " + " | ".join(s.replace("-", "−") for s in snrs) + " |"
    yield "|---" * (len(snrs) + 1) + "|"
    for stat in ("qrs", "veb", "sveb"):
        cells = [f"{d[s][scope][stat]['se']['mean']:.3f} / {d[s][scope][stat]['ppv']['mean']:.3f}"
                 for s in snrs]
        yield f"| {stat.upper()} Se / +P | " + " | ".join(cells) + " |"
    yield "| accuracy | " + " | ".join(f"{d[s][scope]['accuracy']['mean']:.3f}"
                                       for s in snrs) + " |"


# Published patient-adaptive rows (issue 22): what each labelled, SVEB and VEB Se / +P.
PUBLISHED_ADAPTIVE = [
    ("de Chazal & Reilly 2006", "an expert's labels of each record's first beats",
     "0.877 / 0.470", "0.943 / 0.962"),
    ("Ince et al. 2009", "first 5 min", "0.635 / 0.537", "0.846 / 0.867"),
    ("Kiranyaz et al. 2016 (1D-CNN)", "first 5 min", "0.646 / 0.621", "0.950 / 0.895"),
]
SETTING_NAMES = {"0": "none (the general model)", "5min": "every beat of the first 5 min"}


def adaptive_table(name):
    """The adaptive protocol's rows (metrics/inter_patient_svdb/<name>.json): per setting the
    labelled beats per record and EC57 gross SVEB / VEB Se and +P, mean ± std over runs."""
    d = load(f"metrics/inter_patient_svdb/{name}.json")
    out = ["| labelled beats per record | runs | SVEB Se | SVEB +P | VEB Se | VEB +P | accuracy |",
           "|---" * 7 + "|"]
    for setting, r in d["settings"].items():
        e = r["ec57"]
        label = SETTING_NAMES.get(setting, f"k = {setting}, drawn from the first 5 min")
        if setting == "5min":
            label += f" (~{r['labelled_beats_per_record']:.0f})"
        out.append(f"| {label} | {len(r['runs'])} | {spread(e['sveb'], 'se')} | "
                   f"{spread(e['sveb'], 'ppv')} | {spread(e['veb'], 'se')} | "
                   f"{spread(e['veb'], 'ppv')} | {spread(r, 'accuracy', 4)} |")
    return out


def main():
    print("| | seeds | accuracy | macro-F1 | S Se | S +P | S F1 | V Se | V +P | V F1 | N as F |")
    print("|---" * 11 + "|")
    table = list(rows())
    for name, d in table:
        print(one_vs_rest_row(name, d))
    print()
    print("| EC57 gross | seeds | VEB Se | VEB +P | VEB FPR | SVEB Se | SVEB +P | SVEB FPR |")
    print("|---" * 8 + "|")
    for name, d in table:
        print(ec57_row(name, d))
    for scope in ("noisy", "whole"):
        print(f"\nnoise stress test, {scope}:")
        print("\n".join(noise_stress_table(scope)))
    print("\nnoise stress test on the CV (noisy stretches):")
    print("\n".join(noise_stress_table("noisy", "metrics/inter_patient_svdb/noise_cv.json")))
    for name in ("adaptive", "adaptive_cv"):
        print(f"\n{name}:")
        print("\n".join(adaptive_table(name)))
    print("\npublished:")
    for row in PUBLISHED_ADAPTIVE:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
