"""The two evaluation protocols: which beats train, validate and test.

Splits are index arrays into the beats dataset, so the large arrays are stored once.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from .aami import CLASSES
from .io import EcgError
from .protocols import DS1, DS2, PACED, PROTOCOLS  # noqa: F401 (re-exported)


def split_inter_patient(records, val_records):
    """Train on DS1 minus `val_records`, validate on those whole patients, test on DS2.

    Holding out whole patients makes early stopping reward what the test measures:
    generalisation to people the model has never seen.
    """
    val_records = [str(r) for r in val_records]
    outside = sorted(set(val_records) - set(DS1))
    if outside:
        raise EcgError(f"params split.val_records: {outside} are not DS1 records; validation "
                       "must come from the training side")
    in_val = np.isin(records, val_records)
    in_train = np.isin(records, DS1) & ~in_val
    return {"train": np.flatnonzero(in_train), "val": np.flatnonzero(in_val),
            "test": np.flatnonzero(np.isin(records, DS2))}


def split_intra_patient(labels, test_fraction, val_fraction, seed):
    """Random beats, stratified by class: test first, then validation out of the rest."""
    idx = np.arange(len(labels))
    rest, test = train_test_split(idx, test_size=test_fraction, stratify=labels,
                                  random_state=seed)
    train, val = train_test_split(rest, test_size=val_fraction, stratify=labels[rest],
                                  random_state=seed)
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def split(protocol, records, labels, cfg):
    if protocol == "inter_patient":
        sets = split_inter_patient(records, cfg["val_records"])
    elif protocol == "intra_patient":
        sets = split_intra_patient(labels, cfg["test_fraction"], cfg["val_fraction"], cfg["seed"])
    else:
        raise EcgError(f"unknown protocol {protocol!r}; expected one of {PROTOCOLS}")
    check_classes(labels[sets["train"]], f"{protocol} training set")
    return sets


def check_classes(labels, what):
    """Stop early when a class has no example: the model could never learn it."""
    counts = np.bincount(labels, minlength=len(CLASSES))
    missing = [c for c, n in zip(CLASSES, counts, strict=True) if n == 0]
    if missing:
        raise EcgError(f"{what} has no beats of class {', '.join(missing)}; "
                       "change the split params")
