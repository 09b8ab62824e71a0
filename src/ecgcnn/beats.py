"""From a conditioned signal and R-peak positions to model inputs: windows and RR features."""

import numpy as np
from scipy import ndimage

RR_FEATURES = ("prev/local", "next/local", "prev/context", "next/context", "local/context",
               "next/prev", "irregularity")
IRREGULARITY_FLOOR = 0.01  # |change of log RR| well below this counts as perfectly regular


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


def rr_features(peak_times_s, local_beats, context_beats, irregularity_beats,
                context_stat="median"):
    """Per-beat RR features, so they mean the same at any heart rate and any record length.

    prev/next RR are the intervals to the neighbouring beats; `local` is the mean RR of the
    `local_beats` beats around each beat (the rhythm a premature beat is early against),
    `context` the median RR of the `context_beats` around it (a few minutes: the patient's
    usual rate, robust to pauses and gaps, and the same for a 10-second strip, a 30-minute
    record or a 24-hour Holter). Ratios are log-ratios: 0 for a regular rhythm, negative for
    a premature beat. `irregularity` is the median absolute change of log RR from beat to beat
    over `irregularity_beats` beats (as log(1 + change / IRREGULARITY_FLOOR)): 0 in a regular
    rhythm even around a single ectopic beat, high in atrial fibrillation, where "early" means
    nothing. `context_stat` "mean" makes the context a rolling mean instead (the literature's
    means over minutes: pulled up by pauses, not captured by ectopic majorities).
    """
    t = np.asarray(peak_times_s, dtype=np.float64)
    if len(t) < 2:
        raise ValueError("RR features need at least two beats")
    rr = np.diff(t)
    prev_rr = np.concatenate([rr[:1], rr])  # the first beat borrows its next interval
    next_rr = np.concatenate([rr, rr[-1:]])
    local = rolling_mean(prev_rr, local_beats)
    if context_stat == "mean":
        context = rolling_mean(prev_rr, context_beats)
    else:
        context = ndimage.median_filter(prev_rr, size=min(context_beats, len(prev_rr)),
                                        mode="nearest")
    change = np.abs(np.diff(np.log(prev_rr), prepend=np.log(prev_rr[0])))
    irregular = ndimage.median_filter(change, size=min(irregularity_beats, len(change)),
                                      mode="nearest")
    ratios = [prev_rr / local, next_rr / local, prev_rr / context, next_rr / context,
              local / context, next_rr / prev_rr]
    features = [*np.log(ratios), np.log1p(irregular / IRREGULARITY_FLOOR)]
    return np.stack(features, axis=1).astype(np.float32)


def rolling_mean(values, beats):
    """Mean over a centred window of `beats` values, the edges padded with the edge value."""
    k = min(beats, len(values))
    padded = np.pad(values, (k // 2, k - 1 - k // 2), mode="edge")
    return np.convolve(padded, np.ones(k) / k, "valid")


TEMPLATE_STEP = 10  # beats sharing one scale and template (their window differs by < 10)


def normalise_record(windows, peak_index, context_beats=None, upright=False):
    """Label-free per-record normalisation: two channels per beat.

    Channel 0 is the beat scaled by the median R-peak amplitude of the `context_beats` beats
    around it; channel 1 is that beat minus their median beat (its own template). With
    `context_beats` None, the whole record's. Both use only the record's signal, never its
    labels, so the same is legitimate on an unseen test patient. A bounded context makes a
    beat's inputs (nearly) the same in a 10-minute excerpt, a 30-minute record or a 24-hour
    Holter: the context is always `context_beats` beats (shifted inside the record at its
    ends), recomputed every TEMPLATE_STEP beats. With `upright`, beats whose template has a
    negative R peak (an inverted lead) are turned over, so that every record's usual beat
    points up, as MIT-BIH's MLII does; still label-free.
    """
    n = len(windows)
    size = n if context_beats is None else min(int(context_beats), n)
    out = np.empty((*windows.shape, 2), dtype=np.float32)
    for first in range(0, n, TEMPLATE_STEP if size < n else n):
        last = min(n, first + (TEMPLATE_STEP if size < n else n))
        lo = min(max(0, (first + last) // 2 - size // 2), n - size)
        context = windows[lo:lo + size]
        scale = np.median(np.abs(context[:, peak_index]))
        scale = scale if scale > 1e-6 else 1.0
        template = np.median(context / scale, axis=0)
        if upright and template[peak_index] < 0:
            scale, template = -scale, -template
        scaled = windows[first:last] / scale
        out[first:last, :, 0] = scaled
        out[first:last, :, 1] = scaled - template
    return out
