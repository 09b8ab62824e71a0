"""The Python API: `classify` a signal array, `read_recording` any supported file and
`classify_recording` it; `ecgcnn predict` is a thin layer over the same functions.

    from ecgcnn import api
    rec = api.read_recording("100.edf")   # or a WFDB record, a CSV or a .npy file
    beats = api.classify_recording(rec)   # pandas DataFrame, the CSV's columns
    beats = api.classify(signal, fs=360)  # a 1-D array in any units

`model` is None (the model packaged with ecgcnn, see `default_model`), a model directory
written by training, or a (model, config) pair from `checkpoint.load_model`. A model
directory is loaded once per process and its compiled function kept, so later calls, on
signals of any length, compile nothing.
"""

import functools
from pathlib import Path

import numpy as np

from .io import EcgError
from .readers import Recording, checked_beats, physical_signal, read_recording

__all__ = ["Recording", "classify", "classify_recording", "load", "read_recording"]


@functools.lru_cache(maxsize=4)
def load_cached(model_dir):
    from .checkpoint import load_model
    from .predict import compile_model

    model = load_model(model_dir)
    compile_model(*model)
    return model


def load(model=None):
    """(model, config) of `model`: None (the packaged default), a directory, or loaded."""
    from .default_model import PACKAGED_DIR

    if isinstance(model, tuple):
        return model
    return load_cached(str(Path(PACKAGED_DIR if model is None else model).resolve()))


def classify_recording(recording, model=None, detect=False):
    """One row per classified beat of a `Recording` (see `predict.classify_recording`):
    sample, time_s, predicted, p_N, p_S, p_V, p_F, p_Q, quality and noisy when the model has
    a quality gate (the packaged one does), and reference when the recording
    has annotated classes. Beats are the annotated ones unless `detect`."""
    from .predict import classify_recording as classify_beats

    return classify_beats(recording, load(model), detect)


def classify(signal, fs, beats=None, model=None, units=None, name="signal"):
    """Classify the beats of one ECG lead.

    `signal`: 1-D array (NaN where invalid) sampled at `fs` Hz. `beats`: R-peak sample
    indices, else the beats wfdb's GQRS detector finds. `units`: the signal's physical units
    ('mV', 'uV'...), used only to scale the signal for the detector (unknown: scaled by its
    amplitude); the classifier normalises every beat by the recording's own amplitude.
    Returns a DataFrame with the CSV's columns; `frame.attrs` holds the facts `ecgcnn
    predict` summarises.
    """
    where = f"{name} (signal)"
    fs = float(fs)
    if not np.isfinite(fs) or fs <= 0:
        raise EcgError(f"fs={fs}: must be a positive number of samples per second")
    if np.ndim(signal) != 1:
        raise EcgError(f"{where}: one lead, a 1-D array, expected (shape {np.shape(signal)})")
    x = physical_signal(signal, where)
    recording = Recording(name=name, fs=fs, lead=name, units=units, samples=len(x), signal=x)
    if beats is not None:
        recording.beats, _ = checked_beats(beats, np.zeros(len(beats)), len(x), f"{name} beats")
    return classify_recording(recording, model)
