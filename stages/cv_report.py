"""DVC stage: a protocol's cross-validation report: cv.json, scores per epoch and per record."""

import json
import sys
from pathlib import Path

import pandas as pd

from ecgcnn import plots
from ecgcnn.cv import epoch_curve, record_confusions, report
from ecgcnn.dataset import cv_path
from ecgcnn.ec57 import record_row
from ecgcnn.io import EcgError, save_figure, write_csv, write_json
from ecgcnn.params import load_params


def load_runs(folds, seeds, protocol):
    runs = []
    for fold in range(len(folds)):
        path = Path(cv_path(protocol, fold))
        if not path.exists():
            raise EcgError(f"{path}: missing; the cv stage's matrix in dvc.yaml must cover "
                           f"every fold of protocols.{protocol}.cv.folds")
        mine = json.loads(path.read_text())
        if [r["seed"] for r in mine] != seeds or mine[0]["records"] != folds[fold]:
            raise EcgError(f"{path}: made for records {mine[0]['records']} and seeds "
                           f"{[r['seed'] for r in mine]}, params say {folds[fold]} and {seeds}; "
                           "run `dvc repro`")
        runs += mine
    return runs


def main(protocol):
    params = load_params(protocol=protocol)
    folds = [[str(r) for r in fold] for fold in params["cv"]["folds"]]
    seeds = params["cv"]["seeds"]
    runs = load_runs(folds, seeds, protocol)
    epochs = params["train"]["epochs"]
    write_json(f"metrics/{protocol}/cv.json", report(runs, folds, epochs))
    curve = pd.DataFrame(epoch_curve(runs, epochs))
    write_csv(f"plots/{protocol}/cv_epochs.csv", curve)
    save_figure(f"plots/{protocol}/cv_epochs.png", plots.cv_epochs_figure(
        curve, f"{protocol}: cross-validation, {len(folds)} folds x {len(seeds)} seeds"))
    rows = pd.DataFrame([record_row(record, cm) for record, cm in
                         sorted(record_confusions(runs, seeds[0]).items())])
    write_csv(f"plots/{protocol}/cv_per_record.csv", rows)
    save_figure(f"plots/{protocol}/cv_per_record.png", plots.per_record_figure(
        rows, f"{protocol}: errors per held-out record, cross-validation (seed {seeds[0]})"))
    write_json(f"timings/{protocol}/cv.json",
               {"train_seconds": round(sum(r["train_seconds"] for r in runs), 2)})
    print(curve.round(4).to_string(index=False))


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
