"""Recorded noise for training (params train.augment.recorded_noise*): nstdb's noise records.

nstdb holds three noise recordings (360 Hz, two channels each): `bw` baseline wander, `ma`
muscle artefact, `em` electrode motion. The noise stress test adds `em` to 118 and 119, so
training may use `bw` and `ma` only (the schema refuses `em`).

`noise_bank` puts each noise channel through the beats' own conditioning chain (resampling to
extract.target_fs, baseline removal, low-pass: filters.condition), as the test's noise goes
through it in `predict`, and scales it so that the train step's gain 10 ** (-snr / 20) gives
about that SNR in dB against a beat: nstdb's SNR compares the QRS power, (peak-to-peak
amplitude) ** 2 / 8, with the noise's mean square before filtering; a training beat's R
amplitude is 1 (normalised), taken here as its peak-to-peak amplitude.
"""

from pathlib import Path

import numpy as np

from .filters import condition
from .io import EcgError

DATABASE = "nstdb"  # data/raw/nstdb: its download stage fetches the noise records
FORBIDDEN = {"em": "the noise the stress test adds: never train on it"}
QRS_POWER = 1.0 / 8.0  # (peak-to-peak 1) ** 2 / 8


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
    """One noise channel conditioned like the beats, at SNR 0 dB against a unit QRS."""
    raw = signal - np.mean(signal)
    power = float(np.mean(raw**2))
    if not power > 0:
        raise EcgError("noise record: a channel is flat (no noise to add)")
    conditioned = condition(raw, fs, extract_cfg["target_fs"], extract_cfg["baseline_windows_s"],
                            extract_cfg["lowpass_hz"], extract_cfg["lowpass_order"])
    return conditioned * np.sqrt(QRS_POWER / power)


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
