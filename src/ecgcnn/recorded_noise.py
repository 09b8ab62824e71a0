"""Recorded noise for training (params train.augment.recorded_noise*): nstdb's noise records.

nstdb holds three noise recordings (360 Hz, two channels each): `bw` baseline wander, `ma`
muscle artefact, `em` electrode motion. The noise stress test adds `em` to 118 and 119, so
training may use `bw` and `ma` only (the schema refuses `em`).

`noise_bank` puts each noise channel through the beats' own conditioning chain (resampling to
extract.target_fs, baseline removal, low-pass: filters.condition), as the test's noise goes
through it in `predict`, scaled so that the train step's gain 10 ** (-snr / 20) gives that
SNR in dB as WFDB's `nst` (which made nstdb) defines it: RMS noise / peak-to-peak QRS
amplitude = 10 ** (-snr / 20) * sqrt(2) / 4, the noise RMS measured as `sigamp -r` does (per
1-second window, its mean removed; trimmed mean over the first 300), before filtering. A
training beat is in units of its record's median R amplitude (beats.normalise_record); the
raw peak-to-peak amplitude of normal QRS complexes is PP_PER_R of those units.
"""

from pathlib import Path

import numpy as np

from .filters import condition
from .io import EcgError

DATABASE = "nstdb"  # data/raw/nstdb: its download stage fetches the noise records
FORBIDDEN = {"em": "the noise the stress test adds: never train on it"}
NST_RATIO = np.sqrt(2.0) / 4.0  # nst: RMS noise / peak-to-peak signal at 0 dB
# Normal-QRS peak-to-peak amplitude as `sigamp -a` measures it (raw MLII, +-50 ms, trimmed
# mean of the first 300 N beats) over the beat scale (median conditioned R amplitude):
# median over the DS1 records but 118 and 119, 1.20 (0.95 to 1.75 across them).
PP_PER_R = 1.20
TRIM = 0.05  # sigamp: the largest and smallest 5 % of the window measurements are dropped
SIGAMP_WINDOWS = 300  # sigamp measures the first 300 one-second windows


def sigamp_rms(signal, fs):
    """RMS amplitude as `sigamp -r` measures it: per 1-second window with its mean removed,
    the trimmed mean over the first SIGAMP_WINDOWS windows."""
    size = int(round(fs))
    count = min(len(signal) // size, SIGAMP_WINDOWS)
    windows = signal[: count * size].reshape(-1, size)
    rms = np.sort(np.sqrt(np.mean((windows - windows.mean(1, keepdims=True)) ** 2, axis=1)))
    cut = int(len(rms) * TRIM)
    return float(np.mean(rms[cut:len(rms) - cut])) if len(rms) else 0.0


def noise_channels(path):
    """Every channel of a noise record, in physical units: [(name, signal, fs)]."""
    import wfdb

    from .records import read_signal

    try:
        names = wfdb.rdheader(str(path)).sig_name
    except Exception as e:  # wfdb raises many types for a missing or malformed header
        raise EcgError(f"{path}: cannot read noise record ({type(e).__name__}: {e})") from e
    return [(name, *read_signal(path, name)[:2]) for name in names]


def unit_noise(signal, fs, extract_cfg):
    """One noise channel conditioned like the beats, scaled to SNR 0 dB against a beat."""
    rms = sigamp_rms(signal, fs)
    if not rms > 0:
        raise EcgError("noise record: a channel is flat or shorter than 1 s (no noise to add)")
    conditioned = condition(signal - np.mean(signal), fs, extract_cfg["target_fs"],
                            extract_cfg["baseline_windows_s"], extract_cfg["lowpass_hz"],
                            extract_cfg["lowpass_order"])
    return conditioned * (NST_RATIO * PP_PER_R / rms)


def noise_bank(raw_dir, sources, extract_cfg):
    """[channels, samples] float32: every channel of each noise record of `sources` (bw, ma)
    in `raw_dir`, conditioned and scaled (unit_noise), cut to the shortest."""
    bad = sorted(set(sources) & set(FORBIDDEN))
    if bad:
        raise EcgError(f"noise source {bad[0]}: {FORBIDDEN[bad[0]]}")
    channels = [unit_noise(signal, fs, extract_cfg) for source in sources
                for _, signal, fs in noise_channels(Path(raw_dir) / source)]
    n = min(len(c) for c in channels)
    return np.stack([c[:n] for c in channels]).astype(np.float32)


def training_noise(augment_cfg, extract_cfg, raw_root="data/raw"):
    """The noise bank train.fit needs for params train.augment (None when recorded_noise is
    0: nothing is read)."""
    if not augment_cfg["recorded_noise"]:
        return None
    return noise_bank(Path(raw_root) / DATABASE, augment_cfg["recorded_noise_sources"],
                      extract_cfg)
