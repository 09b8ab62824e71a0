"""Beat extraction: records -> one dataset of beat windows, RR features and labels."""

from pathlib import Path

import numpy as np
from tqdm import tqdm

from .beats import cut_windows, normalise_record, rr_features
from .filters import condition, valid_stretches
from .io import EcgError
from .records import read_beats, read_signal


def window_samples(cfg):
    """(samples before, samples after) the R peak at the model's rate; checks the params."""
    before, after = cfg["window_before_s"], cfg["window_after_s"]
    if before < 0 or after <= 0:
        raise EcgError(
            f"params extract.window_before_s={before}, extract.window_after_s={after}: "
            "the window must start at or before the R peak and end after it"
        )
    for key in ("target_fs", "lowpass_hz", "rr_local_beats", "rr_context_beats",
                "rr_irregularity_beats"):
        if cfg[key] <= 0:
            raise EcgError(f"params extract.{key}={cfg[key]} must be positive")
    if cfg["lowpass_hz"] >= cfg["target_fs"] / 2:
        raise EcgError(f"params extract.lowpass_hz={cfg['lowpass_hz']} must be below target_fs/2")
    fs = cfg["target_fs"]
    return int(round(before * fs)), int(round(after * fs))


MAX_GAP_S = 2.0  # invalid (NaN) stretches up to this are bridged; longer ones split the record


def beats_from_signal(signal, fs, peaks, cfg):
    """Model inputs for beats at `peaks` (samples at `fs`, sorted) of one lead.

    Returns (x [n, L, 2], rr [n, k], kept mask over `peaks`). Used for training data and for
    `ecgcnn predict`, so a new recording goes through exactly the same chain. Invalid stretches
    longer than MAX_GAP_S split the signal: each part is conditioned and gets its RR features
    alone (no interval across a gap); the record normalisation is over all its beats.
    """
    window_samples(cfg)  # checks the params before any work
    peaks = np.asarray(peaks, dtype=np.int64)
    if len(peaks) < 2:
        raise EcgError("fewer than two beats: cannot compute RR intervals")
    # filters.resample approximates target_fs / fs by a fraction with denominator <= 1000.
    if not 1 <= fs <= 1000 * cfg["target_fs"]:
        raise EcgError(f"sampling frequency {fs:g} Hz: cannot be resampled to "
                       f"{cfg['target_fs']:g} Hz (1 to {1000 * cfg['target_fs']:g} Hz)")
    signal, stretches, _ = valid_stretches(signal, fs, MAX_GAP_S)
    windows, rr, kept = [], [], np.zeros(len(peaks), dtype=bool)
    for start, stop in stretches:
        mine = np.flatnonzero((peaks >= start) & (peaks < stop))
        if len(mine) < 2:
            continue
        w, r, k = stretch_beats(signal[start:stop], fs, peaks[mine] - start, cfg)
        windows.append(w)
        rr.append(r)
        kept[mine[k]] = True
    if not kept.any():
        raise EcgError("no beat has a full window inside the record")
    x = normalise_record(np.concatenate(windows), window_samples(cfg)[0],
                         cfg.get("template_beats"), cfg.get("upright", False))
    return x, np.concatenate(rr), kept


def stretch_beats(signal, fs, peaks, cfg):
    """Windows (not yet normalised), RR features and kept mask of beats in one valid stretch."""
    windows, kept = stretch_windows(signal, fs, peaks, cfg)
    return windows, stretch_rr(peaks, fs, cfg)[kept], kept


def stretch_windows(signal, fs, peaks, cfg):
    """Conditioned windows of the beats at `peaks` (samples of `signal`) and the kept mask."""
    before, after = window_samples(cfg)
    target_fs = cfg["target_fs"]
    if len(signal) * target_fs / fs < before + after:  # no full window fits: nothing to filter
        return np.zeros((0, before + after), np.float32), np.zeros(len(peaks), dtype=bool)
    conditioned = condition(signal, fs, target_fs, cfg["baseline_windows_s"],
                            cfg["lowpass_hz"], cfg["lowpass_order"])
    peaks_at_target = np.round(np.asarray(peaks) * target_fs / fs).astype(np.int64)
    return cut_windows(conditioned, peaks_at_target, before, after)


def stretch_rr(peaks, fs, cfg):
    """RR features of every beat of one valid stretch (no interval across a gap), followed by
    those of its `rr_neighbours` neighbours on each side (zeros past the stretch's ends)."""
    own = rr_features(np.asarray(peaks) / fs, cfg["rr_local_beats"], cfg["rr_context_beats"],
                      cfg["rr_irregularity_beats"], cfg.get("rr_context_stat", "median"))
    k = cfg.get("rr_neighbours", 0)
    return np.concatenate([own] + [shifted(own, offset) for offset in range(-k, k + 1)
                                   if offset], axis=1)


def shifted(values, offset):
    """values[i + offset] for each i, zeros where that is outside the array."""
    out = np.zeros_like(values)
    n = len(values)
    lo, hi = max(0, -offset), min(n, n - offset)
    out[lo:hi] = values[lo + offset:hi + offset]
    return out


def rr_width(cfg):
    """RR features per beat: the beat's own and its neighbours'."""
    from .beats import RR_FEATURES

    return len(RR_FEATURES) * (1 + 2 * cfg.get("rr_neighbours", 0))


def extract_record(path, cfg):
    """All annotated beats of one record, with its name attached to any error."""
    name = Path(path).name
    try:
        signal, fs, _ = read_signal(path, cfg.get("lead"))
        samples, labels, symbols = read_beats(path, cfg.get("annotations", "atr"), fs,
                                              len(signal))
        x, rr, kept = beats_from_signal(signal, fs, samples, cfg)
    except EcgError as e:
        raise EcgError(f"record {name}: {e}") from e
    return {
        "x": x, "rr": rr, "label": labels[kept], "symbol": symbols[kept],
        "record": np.full(kept.sum(), name), "sample": samples[kept].astype(np.int32),
    }, int((~kept).sum())


def extract_database(raw_dir, records, cfg, progress=True):
    """Extract every record; returns (dataset dict of arrays, beats dropped at edges)."""
    parts, dropped = [], 0
    for name in tqdm(records, desc="extract", unit="record", disable=not progress):
        part, n_dropped = extract_record(Path(raw_dir) / name, cfg)
        parts.append(part)
        dropped += n_dropped
    dataset = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return dataset, dropped
