"""The beats dataset on disk, the subsets the protocols take of it, and where models live."""

import numpy as np

from .io import EcgError, load_arrays

BEATS_PATH = "data/beats/beats.npz"
CONDITIONS_PATH = "data/conditions/beats.npz"  # DS1 re-recorded (robustness.py)
NOISY_PATH = "data/noisy/beats.npz"  # noisy copies of the training records (noisy.py)
KEYS = ("x", "rr", "label", "symbol", "record", "sample", "database")


def with_noisy(beats, noisy):
    """The beats dataset followed by the noisy copies' beats, `noisy` marking those: every
    index into the beats dataset means the same beat in both."""
    out = {k: np.concatenate([beats[k], noisy[k]]) for k in KEYS}
    out["noisy"] = np.arange(len(out["label"])) >= len(beats["label"])
    return out


def protocol_beats(noisy):
    """The beats a protocol draws on: the beats dataset, and the noisy copies after it when
    `noisy` (its params split.noisy; training only: splits.split, cv.fold_sets)."""
    beats = load_arrays(BEATS_PATH)
    return with_noisy(beats, load_arrays(NOISY_PATH)) if noisy else beats


def split_path(protocol):
    return f"data/{protocol}/split.npz"


def model_dir(protocol, seed):
    return f"models/{protocol}/seed{seed}"


def cv_path(protocol, fold):
    """One fold's cross-validation runs, one per seed of cv.seeds."""
    return f"data/cv/{protocol}/fold{fold}.json"


def cv_models_dir(protocol, fold):
    """The fold's models (seed<s>/ each): they never saw the fold's patients."""
    return f"models/cv/{protocol}/fold{fold}"


def seeds_of(models, protocol):
    """Training seeds of a protocol's models, in the order params.yaml `models` lists them
    (the first is the protocol's default model: eval.json, `ecgcnn predict`)."""
    seeds = [m["seed"] for m in models.values() if m["protocol"] == protocol]
    if not seeds:
        raise EcgError(f"params models: no model of protocol {protocol!r}")
    return seeds


def subset(beats, idx):
    """Model inputs and labels of the beats at `idx`: dict x, rr, y, record (and database)."""
    out = {"x": beats["x"][idx], "rr": beats["rr"][idx],
           "y": beats["label"][idx].astype(np.int32), "record": beats["record"][idx]}
    if "database" in beats:
        out["database"] = beats["database"][idx]
    return out


def load_sets(protocol, names=("train", "val", "test")):
    """The named sets of a protocol, each a dict x, rr, y, record. Indices past the beats
    dataset are noisy copies' (a training set with split.noisy)."""
    beats = load_arrays(BEATS_PATH)
    sets = load_arrays(split_path(protocol))
    if any(len(sets[name]) and sets[name].max() >= len(beats["label"]) for name in names):
        beats = with_noisy(beats, load_arrays(NOISY_PATH))
    return {name: subset(beats, sets[name]) for name in names}
