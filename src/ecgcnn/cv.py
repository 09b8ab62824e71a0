"""Patient-grouped cross-validation of a protocol's training records: the numbers every
design choice is made on.

Each fold holds out whole training records (patients); a model trained on the other folds
scores them. Nothing here reads DS2. A fold's per-epoch confusion matrices are kept, so the CV
report can show how the held-out score moves with the epoch count, and `train.epochs` is
chosen there. Its per-record matrices give the scores per database.
"""

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from .aami import CLASSES
from .ec57 import over_seeds
from .io import EcgError
from .metrics import spread, summary_scores

# Classes every held-out fold must contain, or its S or V scores would be undefined.
REQUIRED = ("N", "S", "V")


def suggest_folds(records, labels, k, training, together=()):
    """k folds of whole training records (mask `training`) with class proportions as even as
    possible. Records in one group of `together` share a fold (118 and 119: the patients of
    the noise stress test, so one fold's models never saw either).

    StratifiedGroupKFold (no shuffling, so deterministic) assigns records, largest class
    imbalance first, to the fold that keeps every class's share closest to the overall one.
    This is how `cv.folds` in params.yaml were made (a test checks they agree).
    """
    groups = records[training].copy()
    for group in together:
        groups[np.isin(groups, group)] = group[0]
    splitter = StratifiedGroupKFold(n_splits=k)
    folds = [sorted(set(records[training][test]))
             for _, test in splitter.split(labels[training], labels[training], groups)]
    return sorted(folds)


def check_folds(folds, records, labels, training):
    """Stop with a clear message unless `folds` partition the training records (mask
    `training`: DS1, plus the protocol's extra databases) and each holds N, S and V beats."""
    folds = [[str(r) for r in fold] for fold in folds]
    flat = [r for fold in folds for r in fold]
    pool = set(records[training])
    if len(folds) < 2:
        raise EcgError(f"params cv.folds: {len(folds)} fold(s); cross-validation needs >= 2")
    outside = sorted(set(flat) - pool)
    if outside:
        raise EcgError(f"params cv.folds: {outside} are not training records (DS2 is the test "
                       "set and must never be seen before evaluation)")
    repeated = sorted({r for r in flat if flat.count(r) > 1})
    missing = sorted(pool - set(flat))
    if repeated or missing:
        raise EcgError(f"params cv.folds: must list every training record once (repeated: "
                       f"{repeated}, missing: {missing})")
    for i, fold in enumerate(folds):
        present = {CLASSES[k] for k in np.unique(labels[np.isin(records, fold)])}
        absent = [c for c in REQUIRED if c not in present]
        if absent:
            raise EcgError(f"params cv.folds[{i}] {fold}: no beats of class "
                           f"{', '.join(absent)}; every fold needs {', '.join(REQUIRED)}")
    return folds


def fold_sets(records, folds, fold, training, noisy=False):
    """Index arrays: `train` = the training records minus fold `fold`'s, `test` = those
    (never a beat marked `noisy`: noisy copies only train)."""
    held_out = np.isin(records, folds[fold])
    return {"train": np.flatnonzero(training & ~held_out),
            "test": np.flatnonzero(held_out & ~np.asarray(noisy))}


def pooled(runs, epoch=None, condition=None):
    """Per seed, the confusion matrix of every training beat predicted by the model that did
    not see its patient: the folds' matrices summed, at `epoch` or under a recording
    `condition` of the cross-condition check. {seed: 5x5}."""
    out = {}
    for run in runs:
        cm = np.asarray(run["confusion_by_epoch"][epoch - 1] if condition is None
                        else run["confusion_by_condition"][condition])
        out[run["seed"]] = out.get(run["seed"], 0) + cm
    return out


def pooled_database(runs, database):
    """Per seed, the last epoch's matrix of the held-out records of one database (a fold
    with none adds nothing). {seed: 5x5}."""
    out = {}
    for run in runs:
        for record, cm in run["confusion_by_record"].items():
            if run["database_of_record"][record] == database:
                out[run["seed"]] = out.get(run["seed"], 0) + np.asarray(cm)
    return out


def databases_of(runs):
    return sorted({db for run in runs for db in run["database_of_record"].values()})


def record_confusions(runs, seed):
    """{record: 5x5} of one seed's models: every training record, from the fold holding it."""
    return {record: np.asarray(cm) for run in runs if run["seed"] == seed
            for record, cm in run["confusion_by_record"].items()}


CONDITION_KEYS = ("accuracy", "S_f1", "V_f1")


def mean_scores(cms):
    scores = [summary_scores(np.asarray(cm)) for cm in cms]
    return {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}


def fold_scores(runs, i, fold, epoch):
    """One fold's scores (mean over seeds), in all and per database of its records."""
    mine = [r for r in runs if r["fold"] == i]
    out = {"fold": i, "records": fold, "beats": int(np.sum(mine[0]["confusion_by_epoch"][0])),
           **mean_scores([r["confusion_by_epoch"][epoch - 1] for r in mine]), "databases": {}}
    for db in databases_of(mine):
        cms = [sum(np.asarray(cm) for rec, cm in r["confusion_by_record"].items()
                   if r["database_of_record"][rec] == db) for r in mine]
        out["databases"][db] = {"beats": int(cms[0].sum()), **mean_scores(cms)}
    return out


def report(runs, folds, epoch):
    """cv.json: pooled-over-folds scores, mean and std over seeds, per database, each fold's
    scores, and the cross-condition check. Per database, the last epoch's matrices are used:
    run `epoch` must be the epoch count trained."""
    per_fold = [fold_scores(runs, i, fold, epoch) for i, fold in enumerate(folds)]
    summary = over_seeds(dict(sorted(pooled(runs, epoch).items())))
    out = {"folds": len(folds), "records": folds, "seeds": summary.pop("seeds"), "epoch": epoch,
           "aggregation": f"each seed's {len(folds)} held-out folds pooled into one confusion "
                          "matrix of all training beats; mean and std over seeds. databases: "
                          "the same, of one database's records. per_fold: mean over seeds",
           "per_fold": per_fold, **summary,
           "databases": {db: over_seeds(dict(sorted(pooled_database(runs, db).items())))
                         for db in databases_of(runs)},
           "conditions": {}}
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
