"""The beats dataset on disk and the subsets the protocols take of it."""

import numpy as np

from .io import load_arrays

BEATS_PATH = "data/beats/beats.npz"


def split_path(protocol):
    return f"data/{protocol}/split.npz"


def subset(beats, idx):
    """Model inputs and labels of the beats at `idx`: dict x, rr, y."""
    return {"x": beats["x"][idx], "rr": beats["rr"][idx], "y": beats["label"][idx].astype(np.int32)}


def load_sets(protocol, names=("train", "val", "test")):
    """The named sets of a protocol, each a dict x, rr, y."""
    beats = load_arrays(BEATS_PATH)
    sets = load_arrays(split_path(protocol))
    return {name: subset(beats, sets[name]) for name in names}
