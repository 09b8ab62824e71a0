"""From a conditioned signal and R-peak positions to model inputs: windows and RR features."""

import numpy as np

RR_FEATURES = ("prev/local", "next/local", "prev/record", "next/record", "local/record",
               "next/prev")


def cut_windows(x, peaks, before, after):
    """Windows x[p - before : p + after] around each peak (samples of x).

    Returns (windows [n, before + after], kept mask [len(peaks)]); a peak whose window would
    cross the start or end of the signal is not kept.
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    kept = (peaks - before >= 0) & (peaks + after <= len(x))
    offsets = np.arange(-before, after)
    windows = x[peaks[kept, None] + offsets[None, :]]
    return windows.astype(np.float32), kept


def rr_features(peak_times_s, local_beats):
    """Per-beat RR features as log-ratios, so they mean the same at any heart rate.

    prev/next RR are the intervals to the neighbouring beats; `local` is the mean RR of the
    `local_beats` beats around each beat (a rolling rhythm estimate), `record` the record's
    mean RR. Log-ratios are 0 for a regular rhythm and negative for a premature beat.
    """
    t = np.asarray(peak_times_s, dtype=np.float64)
    if len(t) < 2:
        raise ValueError("RR features need at least two beats")
    rr = np.diff(t)
    prev_rr = np.concatenate([rr[:1], rr])  # the first beat borrows its next interval
    next_rr = np.concatenate([rr, rr[-1:]])
    k = min(local_beats, len(prev_rr))
    kernel = np.ones(k) / k
    local = np.convolve(np.pad(prev_rr, (k // 2, k - 1 - k // 2), mode="edge"), kernel, "valid")
    record = prev_rr.mean()
    ratios = [prev_rr / local, next_rr / local, prev_rr / record, next_rr / record,
              local / record, next_rr / prev_rr]
    return np.log(np.stack(ratios, axis=1)).astype(np.float32)


def normalise_record(windows, peak_index):
    """Label-free per-record normalisation: two channels per beat.

    Channel 0 is the beat scaled by the record's median R-peak amplitude; channel 1 is that
    beat minus the record's median beat (its own template). Both use only the record's
    signal, never its labels, so the same is legitimate on an unseen test patient.
    """
    scale = np.median(np.abs(windows[:, peak_index]))
    scale = scale if scale > 1e-6 else 1.0
    scaled = windows / scale
    template = np.median(scaled, axis=0)
    return np.stack([scaled, scaled - template], axis=-1).astype(np.float32)
