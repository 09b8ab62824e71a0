"""Patient-grouped cross-validation on DS1: the numbers every design choice is made on.

Each fold holds out whole DS1 records (patients); a model trained on the other folds scores
them. Nothing here reads DS2. A fold's per-epoch confusion matrices are kept, so the CV report
can show how the held-out score moves with the epoch count, and `train.epochs` is chosen there.
"""

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from .aami import CLASSES
from .ec57 import over_seeds
from .io import EcgError
from .metrics import spread, summary_scores
from .splits import DS1

# Classes every held-out fold must contain, or its S or V scores would be undefined.
REQUIRED = ("N", "S", "V")


def suggest_folds(records, labels, k):
    """k folds of whole DS1 records with class proportions as even as possible.

    StratifiedGroupKFold (no shuffling, so deterministic) assigns records, largest class
    imbalance first, to the fold that keeps every class's share closest to the overall one.
    This is how `cv.folds` in params.yaml was made (a test checks they agree).
    """
    in_ds1 = np.isin(records, DS1)
    splitter = StratifiedGroupKFold(n_splits=k)
    folds = [sorted(set(records[in_ds1][test]))
             for _, test in splitter.split(labels[in_ds1], labels[in_ds1], records[in_ds1])]
    return sorted(folds)


def check_folds(folds, records, labels):
    """Stop with a clear message unless `folds` partition DS1 and each holds N, S and V beats."""
    folds = [[str(r) for r in fold] for fold in folds]
    flat = [r for fold in folds for r in fold]
    if len(folds) < 2:
        raise EcgError(f"params cv.folds: {len(folds)} fold(s); cross-validation needs >= 2")
    outside = sorted(set(flat) - set(DS1))
    if outside:
        raise EcgError(f"params cv.folds: {outside} are not DS1 records (DS2 is the test set "
                       "and must never be seen before evaluation)")
    repeated = sorted({r for r in flat if flat.count(r) > 1})
    missing = sorted(set(DS1) - set(flat))
    if repeated or missing:
        raise EcgError(f"params cv.folds: must list every DS1 record once (repeated: {repeated}, "
                       f"missing: {missing})")
    for i, fold in enumerate(folds):
        present = {CLASSES[k] for k in np.unique(labels[np.isin(records, fold)])}
        absent = [c for c in REQUIRED if c not in present]
        if absent:
            raise EcgError(f"params cv.folds[{i}] {fold}: no beats of class "
                           f"{', '.join(absent)}; every fold needs {', '.join(REQUIRED)}")
    return folds


def fold_sets(records, folds, fold):
    """Index arrays: `train` = DS1 minus fold `fold`'s records, `test` = those records."""
    held_out = np.isin(records, folds[fold])
    return {"train": np.flatnonzero(np.isin(records, DS1) & ~held_out),
            "test": np.flatnonzero(held_out)}


def pooled(runs, epoch=None, condition=None):
    """Per seed, the confusion matrix of every DS1 beat predicted by the model that did not
    see its patient: the folds' matrices summed, at `epoch` or under a recording `condition`
    of the cross-condition check. {seed: 5x5}."""
    out = {}
    for run in runs:
        cm = np.asarray(run["confusion_by_epoch"][epoch - 1] if condition is None
                        else run["confusion_by_condition"][condition])
        out[run["seed"]] = out.get(run["seed"], 0) + cm
    return out


CONDITION_KEYS = ("accuracy", "S_f1", "V_f1")


def report(runs, folds, epoch):
    """cv.json: pooled-over-folds scores, mean and std over seeds, plus each fold's scores."""
    per_fold = []
    for i, fold in enumerate(folds):
        mine = [np.asarray(r["confusion_by_epoch"][epoch - 1]) for r in runs if r["fold"] == i]
        scores = [summary_scores(cm) for cm in mine]
        per_fold.append({"fold": i, "records": fold, "beats": int(mine[0].sum()),
                         **{k: float(np.mean([s[k] for s in scores])) for k in scores[0]}})
    summary = over_seeds(dict(sorted(pooled(runs, epoch).items())))
    out = {"folds": len(folds), "records": folds, "seeds": summary.pop("seeds"), "epoch": epoch,
           "aggregation": "each seed's 5 held-out folds pooled into one confusion matrix of "
                          "all DS1 beats; mean and std over seeds. per_fold: mean over seeds",
           "per_fold": per_fold, **summary, "conditions": {}}
    for name in runs[0].get("confusion_by_condition", {}):
        scores = [summary_scores(cm) for cm in pooled(runs, condition=name).values()]
        out["conditions"][name] = {k: spread([s[k] for s in scores]) for k in CONDITION_KEYS}
    return out


def epoch_curve(runs, epochs):
    """Rows (epoch, mean and std over seeds of pooled accuracy, macro-F1, S F1, V F1)."""
    rows = []
    for epoch in range(1, epochs + 1):
        scores = list(map(summary_scores, pooled(runs, epoch).values()))
        row = {"epoch": epoch}
        for key in ("accuracy", "macro_f1", "S_f1", "V_f1"):
            values = [s[key] for s in scores]
            row[key] = float(np.mean(values))
            row[f"{key}_std"] = float(np.std(values))
        rows.append(row)
    return rows
