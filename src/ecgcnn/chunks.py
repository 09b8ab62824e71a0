"""Long records (Holter, days of monitoring) in bounded memory: read, detect and cut windows
one chunk at a time.

A record longer than CHUNK_S is read CHUNK_S at a time, with MARGIN_S more on each side, so
that the filters and the detector see a settled signal at the chunk's edges. Each chunk's
beats get their windows exactly as `extract.beats_from_signal` would cut them (the chunk
starts fall on the resampler's sample grid); the RR features and the record normalisation
are computed afterwards over all beats, which are few (a 24-hour record has ~100 000), so
memory depends on CHUNK_S and the number of beats, not on the record's length. Gaps longer
than MAX_GAP_S are found chunk by chunk: a gap touching a chunk is seen over at least
MARGIN_S of it, so it is classed as in the whole record.
"""

from fractions import Fraction

import numpy as np

from .beats import normalise_record
from .extract import MAX_GAP_S, rr_width, stretch_rr, stretch_windows, window_samples
from .filters import valid_stretches
from .io import EcgError

CHUNK_S = 3600.0  # records longer than this are read in pieces this long (MIT-BIH: 30 min)
MARGIN_S = 10.0  # read before and after each piece; more than MAX_GAP_S and any filter's reach


def chunk_bounds(n, fs, target_fs):
    """(start, stop, read_start, read_stop) per chunk; starts on the resampler's grid."""
    step = Fraction(target_fs / fs).limit_denominator(1000).denominator
    size = max(step, int(CHUNK_S * fs) // step * step)
    margin = -(-int(MARGIN_S * fs) // step) * step
    return [(start, min(n, start + size), max(0, start - margin), min(n, start + size + margin))
            for start in range(0, n, size)]


def long_gaps(x, stretches, offset):
    """[start, stop) of the invalid runs between valid stretches, in record samples."""
    bounds = [0, *(b for s in stretches for b in s), len(x)]
    return [(offset + a, offset + b) for a, b in zip(bounds[::2], bounds[1::2], strict=True)
            if b > a]


def beats_in_chunks(read, n, fs, cfg, peaks=None, detect=None):
    """Model inputs of a record of `n` samples at `fs`, read by `read(start, stop)`.

    Beats are `peaks` (sorted samples) or, when None, found by `detect(signal, stretches)` in
    each chunk. Returns (peaks, x, rr, kept mask over peaks, facts) like beats_from_signal,
    plus the peaks: facts = {"bridged": samples bridged, "gaps": long gaps}.
    """
    before, _ = window_samples(cfg)
    found, windows, kept, gaps, bridged = [], [], [], [], 0
    for start, stop, a, b in chunk_bounds(n, fs, cfg["target_fs"]):
        x = read(a, b)
        filled, stretches, _ = valid_stretches(x, fs, MAX_GAP_S)
        core = slice(start - a, stop - a)
        bridged += int((~np.isfinite(x[core]) & np.isfinite(filled[core])).sum())
        gaps += [g for g in long_gaps(x, stretches, a) if g[1] > start and g[0] < stop]
        if peaks is None:
            mine = np.asarray(detect(filled, stretches), dtype=np.int64) + a
        else:
            mine = peaks[(peaks >= start) & (peaks < stop)]
        mine = np.sort(mine[(mine >= start) & (mine < stop)])
        ok = np.zeros(len(mine), dtype=bool)
        for s, e in stretches:
            inside = np.flatnonzero((mine >= a + s) & (mine < a + e))
            w, k = stretch_windows(filled[s:e], fs, mine[inside] - a - s, cfg)
            windows.append(w)
            ok[inside[k]] = True
        found.append(mine)
        kept.append(ok)
    peaks = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    kept = np.concatenate(kept) if kept else np.zeros(0, dtype=bool)
    if len(peaks) < 2:
        raise EcgError("fewer than two beats: cannot compute RR intervals")
    gaps = merge(gaps)
    rr, usable = rr_between_gaps(peaks, gaps, n, fs, cfg)
    windows = np.concatenate(windows)[usable[kept]]  # rows of windows are the kept beats
    kept &= usable
    if not kept.any():
        raise EcgError("no beat has a full window inside the record")
    x = normalise_record(windows, before, cfg.get("template_beats"), cfg.get("upright", False))
    return peaks, x, rr[kept], kept, {"bridged": bridged, "gaps": len(gaps)}


def merge(gaps):
    """Overlapping or touching [start, stop) intervals joined."""
    out = []
    for a, b in sorted(gaps):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def rr_between_gaps(peaks, gaps, n, fs, cfg):
    """RR features of every beat, each valid stretch alone (as in beats_from_signal), and
    which beats have them (a stretch with fewer than two beats has none)."""
    bounds = [0, *(b for g in gaps for b in g), n]
    rr = np.zeros((len(peaks), rr_width(cfg)), dtype=np.float32)
    usable = np.zeros(len(peaks), dtype=bool)
    for a, b in zip(bounds[::2], bounds[1::2], strict=True):
        inside = np.flatnonzero((peaks >= a) & (peaks < b))
        if len(inside) >= 2:
            rr[inside] = stretch_rr(peaks[inside], fs, cfg)
            usable[inside] = True
    return rr, usable
