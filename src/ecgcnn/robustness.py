"""Cross-condition check: held-out DS1 records as another database would have recorded them.

A model that wins on cross-validation by leaning on MIT-BIH's 360 Hz or its amplitude has not
won. So each CV fold's model also scores its held-out records re-sampled to other rates and
scaled in amplitude (`cv.conditions` in params.yaml): the raw signal is changed first, then
goes through the same extraction as any new recording (`extract.beats_from_signal`). The
`conditions` stage extracts the DS1 records under every condition once; each CV run picks
its fold's records from there.
"""

from pathlib import Path

import numpy as np

from .extract import beats_from_signal
from .filters import resample
from .records import read_beats, read_signal


def condition_name(condition):
    return f"{condition['fs']:g} Hz, gain {condition['gain']:g}"


def record_under(path, cfg, fs, gain):
    """(x, rr, labels) of a record's annotated beats after re-sampling its signal to `fs` Hz
    and multiplying it by `gain`."""
    signal, native_fs, _ = read_signal(path, cfg.get("lead"))
    samples, labels, _ = read_beats(path, cfg.get("annotations", "atr"), native_fs)
    signal = resample(signal, native_fs, fs) * gain
    peaks = np.round(samples * fs / native_fs).astype(np.int64)
    x, rr, kept = beats_from_signal(signal, fs, peaks, cfg)
    return x, rr, labels[kept]


def conditions_dataset(raw_dir, records, cfg, conditions):
    """Every record's beats under every condition: dict x, rr, label, record, condition (the
    condition's index in `conditions`)."""
    parts = []
    for i, condition in enumerate(conditions):
        for name in records:
            x, rr, label = record_under(Path(raw_dir) / name, cfg, condition["fs"],
                                        condition["gain"])
            parts.append({"x": x, "rr": rr, "label": label, "record": np.full(len(label), name),
                          "condition": np.full(len(label), i, dtype=np.int16)})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
