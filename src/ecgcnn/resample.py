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


def resample_indices(indices, labels, strategy, target, max_upsample, seed):
    """Resample `indices` (into a dataset whose classes are `labels[indices]`) per class.

    Up-sampling keeps every original beat and adds copies drawn with replacement;
    down-sampling draws without replacement. Output is shuffled-order independent (sorted).
    """
    if strategy not in STRATEGIES:
        raise EcgError(f"params resample.strategy={strategy!r}: expected one of {STRATEGIES}")
    if target <= 0 or max_upsample < 1:
        raise EcgError("params resample.target must be > 0 and resample.max_upsample >= 1")
    out = []
    for k in np.unique(labels[indices]):
        idx = indices[labels[indices] == k]
        n_out = target_count(len(idx), strategy, target, max_upsample)
        if n_out < len(idx):
            out.append(resample(idx, n_samples=n_out, replace=False, random_state=seed + int(k)))
        else:
            extra = resample(idx, n_samples=n_out - len(idx), replace=True,
                             random_state=seed + int(k)) if n_out > len(idx) else idx[:0]
            out.append(np.concatenate([idx, extra]))
    return np.sort(np.concatenate(out))
