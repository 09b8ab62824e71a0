"""DVC stage: one fold of the patient-grouped cross-validation on DS1, with one seed.

Trains on DS1 minus the fold's records (resampled like the inter_patient training set) and
scores the fold's patients after every epoch, then under the cross-condition check's
recording conditions (robustness.py). DS2 is never loaded.
"""

import sys

import jax
import numpy as np

from ecgcnn.cv import check_folds, fold_sets
from ecgcnn.dataset import BEATS_PATH, CONDITIONS_PATH, subset
from ecgcnn.io import EcgError, load_arrays, write_json
from ecgcnn.metrics import confusion
from ecgcnn.model import build_model
from ecgcnn.params import load_params
from ecgcnn.resample import resample_indices
from ecgcnn.robustness import condition_name
from ecgcnn.train import fit, predict_probs


def main(fold, seed):
    params = load_params(protocol="inter_patient", devices=jax.device_count())
    beats = load_arrays(BEATS_PATH)
    folds = check_folds(params["cv"]["folds"], beats["record"], beats["label"])
    if not 0 <= fold < len(folds):
        raise EcgError(f"fold {fold}: params cv.folds has {len(folds)} folds")
    sets = fold_sets(beats["record"], folds, fold)
    train = subset(beats, resample_indices(sets["train"], beats["label"], **params["resample"]))
    held_out = subset(beats, sets["test"])
    _, window, channels = train["x"].shape
    model = build_model(params["model"], window, channels, train["rr"].shape[1], seed=seed)

    by_epoch, predicted = [], {}
    def score(epoch, model):  # noqa: E306
        predicted["last"] = predict_probs(model, held_out["x"], held_out["rr"]).argmax(1)
        by_epoch.append(confusion(held_out["y"], predicted["last"]).tolist())

    summary = fit(model, train, None, {**params["train"], "seed": seed}, on_epoch=score)
    by_record = {}  # the last epoch's, per patient: which patients carry the errors
    for record in folds[fold]:
        mine = held_out["record"] == record
        by_record[record] = confusion(held_out["y"][mine], predicted["last"][mine]).tolist()
    by_condition = {}
    recorded = load_arrays(CONDITIONS_PATH)
    for i, condition in enumerate(params["cv"]["conditions"]):
        mine = (recorded["condition"] == i) & np.isin(recorded["record"], folds[fold])
        pred = predict_probs(model, recorded["x"][mine], recorded["rr"][mine]).argmax(1)
        by_condition[condition_name(condition)] = confusion(recorded["label"][mine], pred).tolist()
    write_json(f"data/cv/fold{fold}-seed{seed}.json", {
        "fold": fold, "seed": seed, "records": folds[fold], "confusion_by_epoch": by_epoch,
        "confusion_by_record": by_record, "confusion_by_condition": by_condition,
        "train_seconds": summary["train_seconds"]})
    print(f"fold {fold} seed {seed}: held-out accuracy by epoch",
          [round(float(np.trace(cm) / np.sum(cm)), 4) for cm in by_epoch])


if __name__ == "__main__":
    try:
        main(int(sys.argv[1]), int(sys.argv[2]))
    except EcgError as e:
        sys.exit(f"error: {e}")
