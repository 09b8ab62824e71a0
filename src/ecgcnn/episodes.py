"""Ventricular flutter / fibrillation episodes marked in an annotation file.

WFDB marks the onset of ventricular flutter or fibrillation with `[` (VFON) and its end with
`]` (VFOFF); the waves between are marked `!` (flutter wave) in MIT-BIH (record 207). They
are episodes, not beats. PhysioNet's `bxb` (WFDB app/bxb.c: `getref` reads and ignores every
reference annotation from `[` to `]`; `rpann` leaves a test beat inside [onset, end] out of
every count) is followed here:

- an episode runs from its `[` to the next `]`, both ends included; a `[` inside an episode
  and a `]` outside one change nothing; an episode never closed lasts to the record's end;
- beats inside an episode, annotated or detected, are flagged and left out of the beat and
  detection statistics;
- a `!` outside a marked episode is not a beat (aami.py): a beat detected on it is an extra
  beat, as bxb counts it (its `amap` gives a flutter wave no beat class).

Episodes found in the signal, without annotations (vf_detection.py), are described here too.
"""

import numpy as np

from .records import read_annotations

NO_EPISODES = np.zeros((0, 2), dtype=np.int64)
# detection_counts' keys: summed over records by detection_scores
DETECTION_KEYS = ("marked", "detected", "found", "true", "marked_samples", "detected_samples",
                  "overlap_samples")


def episodes_of(samples, symbols, length=None):
    """(onset, end) samples of the marked episodes, int64 [k, 2], from annotations in time
    order; an open episode ends at sample `length` - 1 (or never, without a length)."""
    episodes, onset = [], None
    for sample, symbol in zip(samples, symbols, strict=True):
        if symbol == "[" and onset is None:
            onset = int(sample)
        elif symbol == "]" and onset is not None:
            episodes.append((onset, int(sample)))
            onset = None
    if onset is not None:
        episodes.append((onset, length - 1 if length else np.iinfo(np.int64).max))
    return np.asarray(episodes, dtype=np.int64).reshape(-1, 2) if episodes else NO_EPISODES


def read_episodes(path, extension="atr", fs=None, length=None):
    """(episodes [k, 2] as in episodes_of, number of `!` flutter waves inside them) of a
    record's annotation file, at the record's rate `fs`."""
    samples, symbols = read_annotations(path, extension, fs)
    order = np.argsort(samples, kind="stable")
    samples, symbols = samples[order], symbols[order]
    episodes = episodes_of(samples, symbols, length)
    waves = int(inside(samples[symbols == "!"], episodes).sum())
    return episodes, waves


def inside(samples, episodes):
    """Boolean mask: which `samples` lie in an episode (ends included)."""
    samples = np.asarray(samples)
    mask = np.zeros(len(samples), dtype=bool)
    for onset, end in episodes:
        mask |= (samples >= onset) & (samples <= end)
    return mask


def flagged(beats):
    """Boolean Series: the rows of a beats table (predict's CSV) inside a marked episode."""
    import pandas as pd

    if "vf_episode" not in beats:
        return pd.Series(False, index=beats.index)
    return beats["vf_episode"].eq(True)  # NaN (a record without episodes, pooled) is False


def clock(seconds):
    minutes, seconds = divmod(round(seconds, 1), 60)  # 59.96 s is 1:00.0, not 0:60.0
    return f"{int(minutes)}:{seconds:04.1f}"


def describe(episodes, waves, fs, beats_inside, annotations):
    """One summary line: the marked episodes, their flutter waves and the beats flagged."""
    spans = ", ".join(f"{clock(a / fs)}-{clock(b / fs)}" for a, b in np.minimum(
        episodes, np.iinfo(np.int32).max))
    return (f"{len(episodes)} ventricular flutter/fibrillation episode(s) marked in "
            f"{annotations} ([ ... ]): {spans}; {waves} flutter wave(s) (!) in them; "
            f"{beats_inside} beat(s) inside flagged (vf_episode) and left out of the scores, "
            "as bxb does")


def describe_detected(episodes, fs, beats_inside):
    """One summary line: the episodes vf_detection found in the signal."""
    from .vf_detection import LEAKAGE_VF

    spans = ", ".join(f"{clock(a / fs)}-{clock(b / fs)}" for a, b in episodes)
    return (f"{len(episodes)} ventricular flutter/fibrillation episode(s) detected in the "
            f"signal (VF filter leakage < {LEAKAGE_VF}): {spans}; {beats_inside} beat(s) "
            "inside called Q and flagged (vf_detected)")


def duration(episodes):
    """Samples inside `episodes` ([k, 2], ends included; they do not overlap)."""
    episodes = np.asarray(episodes).reshape(-1, 2)
    return int((episodes[:, 1] - episodes[:, 0] + 1).sum())


def covered(episodes, others):
    """Samples of `episodes` that lie in one of `others` (both [k, 2], ends included)."""
    total = 0
    for a, b in episodes:
        for c, d in others:
            total += max(0, min(b, d) - max(a, c) + 1)
    return int(total)


def overlapping(episodes, others):
    """How many of `episodes` overlap one of `others` at least one sample."""
    return int(sum(any(a <= d and c <= b for c, d in others) for a, b in episodes))


def detection_counts(detected, marked):
    """VF episode counts of one record, detected episodes against the marked ones: any
    overlap makes a pair, as WFDB's epicmp (EC38's VF comparison) rules, over the whole
    record (epicmp starts at 5:00 by default; this detector learns nothing). Summed over
    records (`detection_scores`): episode Se = found / marked, +P = true / detected;
    duration Se = overlap / marked_samples, +P = overlap / detected_samples."""
    detected, marked = np.asarray(detected).reshape(-1, 2), np.asarray(marked).reshape(-1, 2)
    return {"marked": len(marked), "detected": len(detected),
            "found": overlapping(marked, detected), "true": overlapping(detected, marked),
            "marked_samples": duration(marked), "detected_samples": duration(detected),
            "overlap_samples": covered(detected, marked)}


def detection_scores(counts):
    """Episode and duration Se / +P (None where nothing to divide) of summed counts."""
    total = {k: sum(c[k] for c in counts) for k in DETECTION_KEYS}

    def ratio(a, b):
        return total[a] / total[b] if total[b] else None

    return {"episode_se": ratio("found", "marked"), "episode_ppv": ratio("true", "detected"),
            "duration_se": ratio("overlap_samples", "marked_samples"),
            "duration_ppv": ratio("overlap_samples", "detected_samples"), **total}
