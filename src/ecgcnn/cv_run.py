"""One cross-validation run: train a fold model without the fold's patients, score them.

The cv stage runs it for every seed of a fold; experiments/cv_sweep.py for candidate designs.
"""

import numpy as np

from .aami import CLASSES
from .cv import fold_sets
from .dataset import subset
from .metrics import confusion
from .model import build_model
from .quality import gated_classes
from .resample import resample_indices
from .robustness import condition_name
from .train import fit, predict_probs

Q = CLASSES.index("Q")


def run_seed(cfg, beats, recorded, folds, fold, seed):
    """Train one fold model and score its held-out records; returns (run dict, model, train).
    `cfg`: the protocol's groups resample, model, train and cv.conditions, its training mask,
    the recorded-noise bank (`noise`, None: off) and `gate` ({extract, quality}: the quality
    gate `ecgcnn predict` applies, also applied here; None: off)."""
    sets = fold_sets(beats["record"], folds, fold, cfg["training"], beats.get("noisy", False))
    drawn = resample_indices(sets["train"], beats["label"], **cfg["resample"],
                             records=beats["record"])
    train = subset(beats, drawn)
    held_out = subset(beats, sets["test"])
    _, window, channels = train["x"].shape
    model = build_model(cfg["model"], window, channels, train["rr"].shape[1], seed=seed)

    by_epoch, predicted = [], {}
    def score(epoch, model):  # noqa: E306
        predicted["last"] = gated_classes(
            cfg.get("gate") or {}, held_out["x"],
            predict_probs(model, held_out["x"], held_out["rr"]).argmax(1), Q)
        by_epoch.append(confusion(held_out["y"], predicted["last"]).tolist())

    summary = fit(model, train, None, {**cfg["train"], "seed": seed}, on_epoch=score,
                  noise=cfg.get("noise"))
    by_record, database_of = {}, {}  # the last epoch's, per patient: who carries the errors
    for record in folds[fold]:
        mine = held_out["record"] == record
        by_record[record] = confusion(held_out["y"][mine], predicted["last"][mine]).tolist()
        database_of[record] = str(beats["database"][sets["test"][mine][0]])
    by_condition = {}
    for i, condition in enumerate(cfg["conditions"]):
        mine = (recorded["condition"] == i) & np.isin(recorded["record"], folds[fold])
        pred = gated_classes(cfg.get("gate") or {}, recorded["x"][mine], predict_probs(
            model, recorded["x"][mine], recorded["rr"][mine]).argmax(1), Q)
        by_condition[condition_name(condition)] = confusion(recorded["label"][mine], pred).tolist()
    run = {"fold": fold, "seed": seed, "records": folds[fold],
           "confusion_by_epoch": by_epoch, "confusion_by_record": by_record,
           "database_of_record": database_of, "confusion_by_condition": by_condition,
           "train_seconds": summary["train_seconds"]}
    print(f"fold {fold} seed {seed}: held-out accuracy by epoch",
          [round(float(np.trace(cm) / np.sum(cm)), 4) for cm in by_epoch], flush=True)
    return run, model, train
