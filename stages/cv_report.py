"""DVC stage: the cross-validation report: cv.json, and held-out scores per epoch."""

import json
import sys
from pathlib import Path

import pandas as pd

from ecgcnn import plots
from ecgcnn.cv import epoch_curve, report
from ecgcnn.io import EcgError, save_figure, write_csv, write_json
from ecgcnn.params import load_params


def load_runs(folds, seeds):
    runs = []
    for fold in range(len(folds)):
        for seed in seeds:
            path = Path(f"data/cv/fold{fold}-seed{seed}.json")
            if not path.exists():
                raise EcgError(f"{path}: missing; the cv stage's matrix in dvc.yaml must cover "
                               f"every fold of params cv.folds and every seed of cv.seeds")
            run = json.loads(path.read_text())
            if run["records"] != folds[fold]:
                raise EcgError(f"{path}: made for records {run['records']}, params cv.folds"
                               f"[{fold}] is {folds[fold]}; run `dvc repro`")
            runs.append(run)
    return runs


def main():
    params = load_params(protocol="inter_patient")
    folds = [[str(r) for r in fold] for fold in params["cv"]["folds"]]
    seeds = params["cv"]["seeds"]
    runs = load_runs(folds, seeds)
    epochs = params["train"]["epochs"]
    write_json("metrics/inter_patient/cv.json", report(runs, folds, epochs))
    curve = pd.DataFrame(epoch_curve(runs, epochs))
    write_csv("plots/inter_patient/cv_epochs.csv", curve)
    save_figure("plots/inter_patient/cv_epochs.png", plots.cv_epochs_figure(
        curve, f"inter_patient: DS1 cross-validation, {len(folds)} folds x {len(seeds)} seeds"))
    write_json("timings/inter_patient/cv.json",
               {"train_seconds": round(sum(r["train_seconds"] for r in runs), 2)})
    print(curve.round(4).to_string(index=False))


if __name__ == "__main__":
    try:
        main()
    except EcgError as e:
        sys.exit(f"error: {e}")
