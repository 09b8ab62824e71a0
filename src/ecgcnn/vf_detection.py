"""Ventricular flutter / fibrillation found in the signal itself, without annotations.

The VF filter of Kuo & Dillman (1978), as Amann et al. (2005, "Reliability of old and new
ventricular fibrillation detection algorithms for automated external defibrillators") give
it: VF is nearly a sine wave, so a signal shifted by half its mean period cancels it. In each
window, N = round(pi * sum|x| / sum|dx|) is half the mean period (samples) and the leakage

    l = sum |x_i + x_{i-N}| / sum (|x_i| + |x_{i-N}|)

is small for a sine wave, near 1 for QRS complexes with flat stretches between them. A
window with l < LEAKAGE_VF is VF-like; overlapping VF-like windows make one episode.

The literature's constants, not tuned here: its threshold 0.406 and Kuo & Dillman's 4 s
windows, stepped by 1 s. How it does on the records at hand (MIT-BIH 207's ventricular
flutter; no false window on the training records, clean or with noise added) is in
docs/experiments.md, round 10. With `--detect`, beats inside a detected episode are called Q
(unclassifiable: flutter waves are not beats) and flagged (vf_detected).
"""

import numpy as np

from .filters import lowpass, remove_baseline

WINDOW_S = 4.0
STEP_S = 1.0
LEAKAGE_VF = 0.406
LOWPASS_HZ = 14.0  # VF's energy lies at 3-10 Hz; QRS notches and noise above would bias N
BASELINE_WINDOWS_S = (0.2, 0.6)  # as params extract.baseline_windows_s
READ_S = 3600.0  # a long record is read this much at a time (plus one window)


def leakage(x):
    """The VF-filter leakage of one window (1.0 for a flat or invalid one: not VF)."""
    absolute, slope = np.abs(x).sum(), np.abs(np.diff(x)).sum()
    if not np.isfinite(absolute + slope) or slope == 0:
        return 1.0
    n = int(np.pi * absolute / slope + 0.5)
    if not 1 <= n < len(x):
        return 1.0
    a, b = x[n:], x[:-n]
    return float(np.abs(a + b).sum() / (np.abs(a) + np.abs(b)).sum())


def window_samples(fs):
    """(window length, step) in samples at `fs`."""
    return int(round(WINDOW_S * fs)), max(1, int(round(STEP_S * fs)))


def window_leakage(x, fs):
    """(window starts, leakages) of the windows of WINDOW_S every STEP_S over `x`, which
    has been conditioned (`conditioned`)."""
    size, step = window_samples(fs)
    starts = np.arange(0, len(x) - size + 1, step, dtype=np.int64)
    return starts, np.array([leakage(x[a:a + size]) for a in starts])


def conditioned(x, fs):
    """Baseline removed and low-passed; NaN (invalid samples) kept so their windows say
    not VF."""
    invalid = ~np.isfinite(x)
    y = remove_baseline(np.where(invalid, 0.0, x), fs, list(BASELINE_WINDOWS_S))
    y = lowpass(y, fs, min(LOWPASS_HZ, 0.45 * fs), 4)
    y[invalid] = np.nan
    return y


def merged(starts, size):
    """Episodes [k, 2] (first, last sample) of the union of windows [start, start + size)."""
    if len(starts) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    breaks = np.flatnonzero(np.diff(starts) > size) + 1
    firsts = starts[np.r_[0, breaks]]
    lasts = starts[np.r_[breaks - 1, len(starts) - 1]] + size - 1
    return np.stack([firsts, lasts], axis=1).astype(np.int64)


def detect_vf(part, n, fs):
    """Detected VF / flutter episodes [k, 2] (first, last sample, int64) of a lead of `n`
    samples at `fs`, read by `part(start, stop)` READ_S at a time (memory bounded)."""
    size, step = window_samples(fs)
    chunk = max(step, int(READ_S * fs) // step * step)
    found = []
    for start in range(0, n, chunk):
        stop = min(n, start + chunk + size)  # one window more: none is lost at the seam
        x = conditioned(np.asarray(part(start, stop), dtype=np.float64), fs)
        starts, leaks = window_leakage(x, fs)
        keep = (starts < chunk) & (leaks < LEAKAGE_VF)  # the next chunk has the rest
        found.append(starts[keep] + start)
    return merged(np.concatenate(found), size)
