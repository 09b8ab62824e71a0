"""EDF, EDF+ and BDF files, read with edfio (see the README for why that library).

The lead is chosen among the ordinary signals by label as in a WFDB record (`ECG II`,
`MLII`...); its physical dimension gives the units and its samples per data record over the
record duration the sampling frequency. EDF+ annotations whose text is a beat code (WFDB's
N, L, R, V, A... or an AAMI class letter) are the beat positions and reference classes, as
a WFDB annotation file's beats are; other annotations are ignored.

edfio warns, and carries on, when the file holds more or fewer data records than its header
says (a truncated or padded file) or a signal cannot be calibrated: here each is an error,
since the samples would not be the ones recorded.
"""

import warnings

import numpy as np

from .aami import CLASSES, SYMBOL_TO_CLASS
from .io import EcgError
from .readers import Recording, checked_beats, lead_index, physical_signal


def open_edf(path):
    """The edfio object of a file, every warning of edfio's an error."""
    import edfio

    reader = edfio.read_bdf if path.suffix.lower() == ".bdf" else edfio.read_edf
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            edf = reader(path)
        except Exception as e:  # edfio raises several types for malformed headers
            raise EcgError(f"{path}: not a valid EDF file ({type(e).__name__}: {e})") from e
    if caught:
        raise EcgError(f"{path}: {caught[0].message}")
    return edf


def calibrated(path, signal):
    """A signal's physical samples; a failed calibration is an error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = signal.data
        except Exception as e:
            raise EcgError(f"{path}: cannot read signal {signal.label!r} "
                           f"({type(e).__name__}: {e})") from e
    if caught:
        raise EcgError(f"{path}: {caught[0].message}")
    return physical_signal(data, path)


def edf_beats(path, edf, fs, length):
    """(samples, classes) of the EDF+ annotations that are beats; None when there are none."""
    try:
        annotations = edf.annotations
        continuous = edf.is_continuous
    except Exception as e:  # a damaged annotation signal
        raise EcgError(f"{path}: cannot read its annotations ({type(e).__name__}: {e})") from e
    if not continuous:
        raise EcgError(f"{path}: an EDF+D file with interrupted data records (not supported: "
                       "its samples are not evenly spaced in time)")
    beats = [(a.onset, a.text.strip()) for a in annotations
             if a.text.strip() in SYMBOL_TO_CLASS]
    if len(beats) < 2:
        return None
    onsets = np.round(np.array([onset for onset, _ in beats]) * fs)
    labels = [CLASSES.index(SYMBOL_TO_CLASS[text]) for _, text in beats]
    return checked_beats(onsets, labels, length, f"{path} (annotations)")


def read_edf(path, lead=None, fs=None):
    """The `Recording` of an EDF / EDF+ / BDF file."""
    edf = open_edf(path)
    signals = edf.signals
    if not signals:
        raise EcgError(f"{path}: no signal (an annotation-only EDF+ file?)")
    labels = [s.label.strip() for s in signals]
    chosen = signals[lead_index(labels, lead, path)]
    rate = float(chosen.sampling_frequency)
    if not np.isfinite(rate) or rate <= 0:
        raise EcgError(f"{path}: signal {chosen.label!r} has sampling frequency {rate:g} Hz "
                       "(its record duration or samples per record is not positive)")
    signal = calibrated(path, chosen)
    recording = Recording(name=path.name, fs=rate, lead=chosen.label.strip(),
                          units=chosen.physical_dimension.strip() or None,
                          samples=len(signal), signal=signal)
    beats = edf_beats(path, edf, rate, len(signal))
    if beats is not None:
        recording.beats, recording.labels = beats
        recording.annotations = path.name
    return recording
