"""Class balancing of the training set (never validation or test)."""

import numpy as np
from sklearn.utils import resample

from .io import EcgError

STRATEGIES = ("none", "up", "down", "both")


def target_count(n, strategy, target, max_upsample):
    """Beats a class of `n` gets after resampling.

    Up-sampling is capped at `max_upsample` times the class's own size: a class with a handful
    of beats (Q has 8 in DS1) is repeated at most that often instead of being blown up into
    thousands of copies of the same few beats.
    """
    if strategy == "none":
        return n
    up = min(target, n * max_upsample)
    if strategy == "up":
        return max(n, up)
    if strategy == "down":
        return min(n, target)
    return up if n < target else target  # both


def record_weights(records, power):
    """Draw weights of beats of one class: their record's count of them ** -power (0: every
    beat alike; 1: every record alike, so a patient with few beats of the class is not
    drowned by one with many, e.g. MIT-BIH 208's V beats: 1 968 with its noisy copies)."""
    _, inverse, counts = np.unique(records, return_inverse=True, return_counts=True)
    weights = counts[inverse].astype(np.float64) ** -power
    return weights / weights.sum()


def draw(idx, n, replace, records, power, seed):
    """n of `idx` drawn, weighted by record_weights when power > 0."""
    if power == 0:
        return resample(idx, n_samples=n, replace=replace, random_state=seed)
    p = record_weights(records[idx], power)
    return np.random.default_rng(seed).choice(idx, size=n, replace=replace, p=p)


def resample_indices(indices, labels, strategy, target, max_upsample, seed, record_balance=0.0,
                     records=None):
    """Resample `indices` (into a dataset whose classes are `labels[indices]`) per class.

    Up-sampling keeps every original beat and adds copies drawn with replacement;
    down-sampling draws without replacement. With `record_balance` > 0 the draws are weighted
    by record (`records`: each beat's record, the dataset's length; record_weights). Output is
    shuffled-order independent (sorted).
    """
    if strategy not in STRATEGIES:
        raise EcgError(f"params resample.strategy={strategy!r}: expected one of {STRATEGIES}")
    if target <= 0 or max_upsample < 1:
        raise EcgError("params resample.target must be > 0 and resample.max_upsample >= 1")
    if record_balance > 0 and records is None:
        raise EcgError("params resample.record_balance > 0 needs each beat's record")
    out = []
    for k in np.unique(labels[indices]):
        idx = indices[labels[indices] == k]
        n_out = target_count(len(idx), strategy, target, max_upsample)
        if n_out < len(idx):
            out.append(draw(idx, n_out, False, records, record_balance, seed + int(k)))
        else:
            extra = draw(idx, n_out - len(idx), True, records, record_balance,
                         seed + int(k)) if n_out > len(idx) else idx[:0]
            out.append(np.concatenate([idx, extra]))
    return np.sort(np.concatenate(out))
