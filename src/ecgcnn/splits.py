"""The evaluation protocols: which beats train, validate and test.

Splits are index arrays into the beats dataset, so the large arrays are stored once.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from .aami import CLASSES
from .io import EcgError
from .protocols import DS1, DS2, PACED, PROTOCOLS  # noqa: F401 (re-exported)


def training_records(records, databases, extra_train):
    """Mask of the beats on the training side of a records split: DS1, and every record of the
    databases in `extra_train` (params split.extra_train). Never a DS2 record."""
    unknown = sorted(set(extra_train) - set(np.unique(databases)))
    if unknown:
        raise EcgError(f"params split.extra_train: {', '.join(unknown)} not among the extracted "
                       "databases (params databases)")
    mask = np.isin(records, DS1) | np.isin(databases, list(extra_train))
    leaked = sorted(set(records[mask]) & set(DS2))
    if leaked:
        raise EcgError(f"params split.extra_train: would train on DS2 records {leaked}")
    return mask


def split_records(records, databases, val_records, extra_train, noisy=False):
    """Train on DS1 (plus `extra_train` databases) minus `val_records`, validate on those
    whole patients, test on DS2.

    Holding out whole patients makes early stopping reward what the test measures:
    generalisation to people the model has never seen. Beats marked `noisy` (noisy copies)
    may only train.
    """
    val_records = [str(r) for r in val_records]
    outside = sorted(set(val_records) - set(DS1))
    if outside:
        raise EcgError(f"params split.val_records: {outside} are not DS1 records; validation "
                       "must come from the training side")
    clean = ~np.asarray(noisy)
    in_val = np.isin(records, val_records)
    in_train = training_records(records, databases, extra_train) & ~in_val
    return {"train": np.flatnonzero(in_train), "val": np.flatnonzero(in_val & clean),
            "test": np.flatnonzero(np.isin(records, DS2) & clean)}


def split_intra_patient(labels, test_fraction, val_fraction, seed):
    """Random beats, stratified by class: test first, then validation out of the rest."""
    idx = np.arange(len(labels))
    rest, test = train_test_split(idx, test_size=test_fraction, stratify=labels,
                                  random_state=seed)
    train, val = train_test_split(rest, test_size=val_fraction, stratify=labels[rest],
                                  random_state=seed)
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def split(beats, cfg, protocol):
    """Index sets of a protocol: params split.method `records` (whole patients on each side)
    or `beats` (random beats of every record of the databases in split.beats_from)."""
    records, labels = beats["record"], beats["label"]
    databases = beats.get("database", np.full(len(records), "mitdb"))
    if cfg["method"] == "records":
        sets = split_records(records, databases, cfg["val_records"], cfg["extra_train"],
                             beats.get("noisy", False))
    else:
        pool = np.flatnonzero(np.isin(databases, list(cfg["beats_from"])))
        if not len(pool):
            raise EcgError(f"params split.beats_from={list(cfg['beats_from'])}: no beats of "
                           "these databases were extracted")
        sets = {k: pool[v] for k, v in split_intra_patient(
            labels[pool], cfg["test_fraction"], cfg["val_fraction"], cfg["seed"]).items()}
    check_classes(labels[sets["train"]], f"{protocol} training set")
    return sets


def check_classes(labels, what):
    """Stop early when a class has no example: the model could never learn it."""
    counts = np.bincount(labels, minlength=len(CLASSES))
    missing = [c for c, n in zip(CLASSES, counts, strict=True) if n == 0]
    if missing:
        raise EcgError(f"{what} has no beats of class {', '.join(missing)}; "
                       "change the split params")
