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
"""

import numpy as np

from .records import read_annotations

NO_EPISODES = np.zeros((0, 2), dtype=np.int64)


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
    minutes, seconds = divmod(seconds, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


def describe(episodes, waves, fs, beats_inside, annotations):
    """One summary line: the marked episodes, their flutter waves and the beats flagged."""
    spans = ", ".join(f"{clock(a / fs)}-{clock(b / fs)}" for a, b in np.minimum(
        episodes, np.iinfo(np.int32).max))
    return (f"{len(episodes)} ventricular flutter/fibrillation episode(s) marked in "
            f"{annotations} ([ ... ]): {spans}; {waves} flutter wave(s) (!) in them; "
            f"{beats_inside} beat(s) inside flagged (vf_episode) and left out of the scores, "
            "as bxb does")
