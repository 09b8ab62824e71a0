"""Signal conditioning: resample to the model's rate, remove baseline wander, low-pass."""

from fractions import Fraction

import numpy as np
from scipy import ndimage, signal


def resample(x, fs, target_fs):
    """Polyphase resampling (with its own anti-alias filter); a no-op when the rates match."""
    if fs == target_fs:
        return np.asarray(x, dtype=np.float64)
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    return signal.resample_poly(x, ratio.numerator, ratio.denominator)


def remove_baseline(x, fs, windows_s):
    """Subtract the baseline estimated by chained median filters.

    The first window (~200 ms) removes QRS complexes and P waves from the estimate, the second
    (~600 ms) T waves, leaving the slow wander (de Chazal et al. 2004).
    """
    baseline = x
    for w in windows_s:
        size = max(1, int(round(w * fs))) | 1  # odd length, centred on the sample
        baseline = ndimage.median_filter(baseline, size=size, mode="nearest")
    return x - baseline


def lowpass(x, fs, cutoff_hz, order):
    """Zero-phase Butterworth low-pass: keeps QRS morphology, removes mains and EMG noise."""
    sos = signal.butter(order, cutoff_hz, btype="low", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, x)


def condition(x, fs, target_fs, baseline_windows_s, lowpass_hz, lowpass_order):
    """The full conditioning chain, returning the signal sampled at `target_fs`."""
    x = resample(x, fs, target_fs)
    x = remove_baseline(x, target_fs, baseline_windows_s)
    return lowpass(x, target_fs, lowpass_hz, lowpass_order)


def valid_stretches(x, fs, max_gap_s):
    """Where a signal with invalid samples (NaN) can be used.

    Returns (x with every invalid run of at most `max_gap_s` seconds bridged by a straight
    line, [(start, stop)] of the stretches between the longer runs, samples bridged). A
    longer run splits the record: no beat is classified across it and no RR interval spans
    it, instead of a line drawn across minutes.
    """
    x = np.asarray(x, dtype=np.float64)
    invalid = ~np.isfinite(x)
    if not invalid.any():
        return x, [(0, len(x))], 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], invalid.astype(np.int8), [0]])))
    runs = edges.reshape(-1, 2)  # [start, stop) of each invalid run
    long_runs = runs[runs[:, 1] - runs[:, 0] > max_gap_s * fs]
    bounds = np.concatenate([[0], long_runs.ravel(), [len(x)]]).reshape(-1, 2)
    stretches = [(int(a), int(b)) for a, b in bounds if b > a]
    x = x.copy()
    bridged = 0
    for a, b in stretches:
        part = x[a:b]
        ok = np.isfinite(part)
        if not ok.any():
            continue
        if not ok.all():
            t = np.arange(len(part))
            bridged += int((~ok).sum())
            part[~ok] = np.interp(t[~ok], t[ok], part[ok])
    stretches = [(a, b) for a, b in stretches if np.isfinite(x[a:b]).all()]
    return x, stretches, bridged
