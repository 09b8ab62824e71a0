"""Shared fixtures: tiny synthetic WFDB records written by the tests themselves."""

import os
from pathlib import Path

import numpy as np
import pytest
import wfdb

# The real databases for integration tests: $ECGCNN_MIRROR (one folder per database), else the
# copy beside the repository; $MITDB_MIRROR still names MIT-BIH's own folder.
SHARED = Path(os.environ.get("ECGCNN_MIRROR") or Path(__file__).resolve().parents[2] / "shared")
SHARED_MITDB = Path(os.environ.get("MITDB_MIRROR") or SHARED / "mitdb")

EXTRACT_CFG = {
    "lead": None, "annotations": "atr", "target_fs": 180, "baseline_windows_s": [0.2, 0.6],
    "lowpass_hz": 35.0, "lowpass_order": 4, "window_before_s": 0.25, "window_after_s": 0.45,
    "rr_local_beats": 10, "rr_context_beats": 301, "rr_irregularity_beats": 15,
}


def synthetic_ecg(n, fs, peaks, amplitude=1.0, seed=0):
    """A flat baseline with a little noise and a narrow Gaussian 'QRS' at each peak."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = 0.01 * rng.standard_normal(n) + 0.1 * np.sin(2 * np.pi * 0.3 * t / fs)
    width = 0.012 * fs
    for p in peaks:
        lo, hi = max(0, p - int(6 * width)), min(n, p + int(6 * width))
        x[lo:hi] += amplitude * np.exp(-0.5 * ((t[lo:hi] - p) / width) ** 2)
    return x


def write_record(directory, name, peaks, symbols, *, fs=360, seconds=20, sig_names=("MLII", "V1"),
                 extra_ann=()):
    """Write `name`.hea/.dat (format 212) and `name`.atr; returns the record path (no suffix)."""
    n = int(seconds * fs)
    lead = synthetic_ecg(n, fs, peaks)
    signal = np.stack([lead if s == "MLII" else 0.5 * lead for s in sig_names], axis=1)
    wfdb.wrsamp(name, fs=fs, units=["mV"] * len(sig_names), sig_name=list(sig_names),
                p_signal=signal, fmt=["212"] * len(sig_names), write_dir=str(directory))
    samples = np.array([*peaks, *(s for s, _ in extra_ann)])
    syms = [*symbols, *(sym for _, sym in extra_ann)]
    order = np.argsort(samples, kind="stable")
    wfdb.wrann(name, "atr", samples[order], symbol=[syms[i] for i in order],
               write_dir=str(directory))
    return Path(directory) / name


@pytest.fixture
def regular_record(tmp_path):
    """20 s at 72 bpm: one premature S beat and one V beat; beats near both edges."""
    fs = 360
    peaks = [*range(30, 19 * fs, int(0.83 * fs)), 20 * fs - 50]  # first and last at the edges
    symbols = ["N"] * len(peaks)
    peaks[10] = peaks[10] - int(0.3 * fs)  # premature atrial beat: early, normal shape
    symbols[10] = "A"
    symbols[15] = "V"
    return write_record(tmp_path, "rec", peaks, symbols, extra_ann=[(100, "+"), (2000, "~")])


def interactive_plots(root):
    """The page ids (prefixes, for a directory of plots) of dvc.yaml's interactive plots."""
    import re

    import yaml

    entries = yaml.safe_load((Path(root) / "dvc.yaml").read_text())["plots"]
    paths = [next(iter(e)) if isinstance(e, dict) else e for e in entries]
    return [re.sub(r"\W", "_", p) for p in paths if not p.endswith(".png")]


def assert_every_plot_rendered(root, page, screenshot):
    """Chromium, offline, drew every interactive plot of dvc.yaml on `page`, each from data,
    with no script or console error; a screenshot of the page goes to `screenshot`."""
    from ecgcnn.browser import inspect

    report = inspect(page, screenshot)
    drawn, rows = report["drawn"], report["rows"]
    for prefix in interactive_plots(root):
        assert any(i.startswith(prefix) for i in drawn), f"{prefix} is not on the page"
    assert drawn and all(drawn.values()), f"blank plots: {[i for i, d in drawn.items() if not d]}"
    assert all(rows.get(i, 0) > 0 for i in drawn), f"plots without data: {rows}"
    assert report["errors"] == ""
    assert not [c for c in report["console"] if "ERROR" in c or "Uncaught" in c]
    assert Path(screenshot).stat().st_size > 10_000
    return report


def pytest_collection_modifyitems(items):
    """The end-to-end repro (the longest module, ~10 minutes) first: with `make test`'s two
    pytest-xdist workers (one module each at a time) it then runs beside the others."""
    items.sort(key=lambda item: item.path.name != "test_pipeline.py")
