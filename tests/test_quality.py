"""The signal-quality index (quality.py) and predict's gate: noisy beats are called Q.

Synthetic beats only: a clean stretch and the same stretch swamped by noise; a model built
untrained (the gate is tested, not the classifier).
"""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb

from ecgcnn.aami import CLASSES
from ecgcnn.beats import RR_FEATURES
from ecgcnn.checkpoint import save_model
from ecgcnn.extract import beats_from_signal, window_samples
from ecgcnn.io import EcgError
from ecgcnn.model import build_model
from ecgcnn.params import load_params, validate
from ecgcnn.predict import COLUMNS, predict_record, summary
from ecgcnn.quality import add_quality, beat_quality

ROOT = Path(__file__).resolve().parents[1]
PARAMS = load_params(ROOT / "params.yaml")
EXTRACT, QUALITY = PARAMS["extract"], PARAMS["quality"]
FS = 250
TINY = {"filters": 4, "kernel_size": 5, "blocks": 1, "dense": 8, "rr_hidden": 4,
        "dropout": 0.0, "rhythm_decides_s": True, "shape_channels": [0, 1]}
NOISY_FROM_S = 60  # the synthetic record is clean before, swamped by noise after
NOISE_RMS = 0.1  # of the noise left where the ECG is lost, in QRS amplitudes


def synthetic(seconds=120, fs=FS, seed=0, noise_rms=NOISE_RMS):
    """(signal, beat samples): P-QRS-T beats every ~0.8 s, every 5th a wide premature V; from
    NOISY_FROM_S on the ECG is lost in band-limited noise (`noise_rms` in QRS amplitudes), as
    when an electrode moves or comes off: the beat positions go on (a detector finds its
    beats on noise peaks there), the windows hold noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    x = 0.05 * np.sin(2 * np.pi * 0.3 * t)
    peaks, now = [], 0.8
    while now < seconds - 0.8:
        ectopic = len(peaks) % 5 == 4
        waves = ([(1.4, 0.0, 0.03), (-0.5, 0.3, 0.07)] if ectopic else
                 [(0.12, -0.18, 0.02), (1.0, 0.0, 0.01), (-0.2, 0.03, 0.008),
                  (0.3, 0.3, 0.04)])
        for amp, offset, width in waves:
            x += amp * np.exp(-0.5 * ((t - now - offset) / width) ** 2)
        peaks.append(int(round(now * fs)))
        now += 0.8 * (0.7 if len(peaks) % 5 == 4 else 1.0)
    noise = np.convolve(rng.normal(size=t.size), np.ones(8) / 8, "same")  # < ~30 Hz
    lost = t >= NOISY_FROM_S
    x[lost] = 0.05 * np.sin(2 * np.pi * 0.3 * t[lost]) + noise_rms * noise[lost] / noise.std()
    return x, np.array(peaks)


@pytest.fixture(scope="module")
def beats():
    signal, peaks = synthetic()
    x, _, kept = beats_from_signal(signal, FS, peaks, EXTRACT)
    return x, *apart(peaks[kept] / FS)


def apart(time_s):
    """(clean, noisy) masks, the beats within 1 s of the noise onset in neither."""
    return time_s < NOISY_FROM_S - 1, time_s > NOISY_FROM_S + 1


def quality_of(x):
    return beat_quality(x, EXTRACT["target_fs"], EXTRACT["window_before_s"], QUALITY)


def test_quality_is_high_on_clean_beats_and_low_on_a_noise_swamped_stretch(beats):
    x, clean, noisy = beats
    q = quality_of(x)
    assert ((q > 0) & (q <= 1)).all()
    assert np.median(q[clean]) > 0.9
    assert q[clean].min() > QUALITY["threshold"] > 0  # no clean beat (V included) gated
    assert np.median(q[noisy]) < QUALITY["threshold"]


def test_quality_does_not_depend_on_the_recording_rate_or_amplitude(beats):
    signal, peaks = synthetic(fs=500)
    x, _, _ = beats_from_signal(3.0 * signal, 500, peaks, EXTRACT)
    assert np.median(quality_of(x)[:40]) == pytest.approx(np.median(quality_of(beats[0])[:40]),
                                                          abs=0.05)


def frame_of(n):
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(len(CLASSES)), n)
    frame = pd.DataFrame({"sample": np.arange(n) * 200, "time_s": np.arange(n) * 0.8,
                          "predicted": np.asarray(CLASSES)[probs.argmax(1)]})
    for k, c in enumerate(CLASSES):
        frame[f"p_{c}"] = probs[:, k]
    return frame


@pytest.mark.parametrize("config", [{}, {"quality": {**QUALITY, "threshold": 0.0}}],
                         ids=["no gate in the config", "threshold 0"])
def test_no_gate_or_threshold_0_changes_nothing(beats, config):
    x = beats[0]
    frame = frame_of(len(x))
    before = frame.copy()
    add_quality(frame, x, {"extract": EXTRACT, **config})
    pd.testing.assert_frame_equal(frame, before)


def test_add_quality_gates_predicts_frame_and_keeps_the_probabilities(beats):
    x, clean, noisy = beats
    frame = frame_of(len(x))
    before = frame.copy()
    add_quality(frame, x, {"extract": EXTRACT, "quality": QUALITY})
    assert list(frame.columns) == [*before.columns, "quality", "noisy"]
    gated = frame["noisy"].to_numpy()
    t = QUALITY["threshold"]
    assert (frame["quality"][gated] < t).all() and (frame["quality"][~gated] >= t).all()
    assert (frame.loc[gated, "predicted"] == "Q").all()
    assert (frame.loc[~gated, "predicted"] == before.loc[~gated, "predicted"]).all()
    pd.testing.assert_frame_equal(frame[before.columns[3:]], before[before.columns[3:]])
    assert gated[noisy].mean() > 0.5 and not gated[clean].any()


def model_with_gate(directory, threshold):
    before, after = window_samples(EXTRACT)
    model = build_model(TINY, before + after, 2, len(RR_FEATURES), seed=0)
    config = {"model": TINY, "extract": EXTRACT, "window": before + after, "channels": 2,
              "rr_features": len(RR_FEATURES), "protocol": "test",
              "quality": {**QUALITY, "threshold": threshold}}
    save_model(directory, model, config)
    return directory


def test_predict_carries_the_models_gate(tmp_path):
    signal, peaks = synthetic()
    wfdb.wrsamp("syn", fs=FS, units=["mV"], sig_name=["MLII"], p_signal=signal[:, None],
                fmt=["16"], write_dir=str(tmp_path))
    wfdb.wrann("syn", "atr", peaks, ["N"] * len(peaks), write_dir=str(tmp_path))
    off = predict_record(tmp_path / "syn", model_with_gate(tmp_path / "off", 0.0))
    on = predict_record(tmp_path / "syn", model_with_gate(tmp_path / "on", QUALITY["threshold"]))
    assert list(off.columns) == [*COLUMNS, "reference"]
    assert list(on.columns) == [*COLUMNS, "quality", "noisy", "reference"]
    pd.testing.assert_frame_equal(on[off.columns].drop(columns="predicted"),
                                  off.drop(columns="predicted"))
    clean, noisy = apart(on["time_s"].to_numpy())
    assert (on.loc[on["noisy"], "predicted"] == "Q").all()
    assert on["noisy"][noisy].mean() > 0.5 and not on["noisy"][clean].any()
    assert (on.loc[~on["noisy"], "predicted"] == off.loc[~on["noisy"], "predicted"]).all()
    # The summary scores the calls the CSV holds: a gated beat is a Q call, whatever its
    # probabilities say (here N, its reference class).
    gated = off.copy()
    gated.attrs = off.attrs
    gated["reference"] = "N"
    gated[["p_N", "p_S", "p_V", "p_F", "p_Q"]] = [1.0, 0.0, 0.0, 0.0, 0.0]
    gated["predicted"] = "N"
    gated.loc[gated.index[:5], "predicted"] = "Q"
    assert f"accuracy {(len(gated) - 5) / len(gated):.2%} over {len(gated)} beats" in summary(gated)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("threshold", 1.5, "params quality.threshold=1.5: must be < 1"),
    ("threshold", -0.1, "params quality.threshold=-0.1: must be >= 0"),
    ("qrs_half_s", 0, "params quality.qrs_half_s=0: must be > 0"),
    ("stop_s", -0.3, "params quality.stop_s=-0.3: must be after quality.start_s = -0.25"),
    ("start_s", -1.0, "params quality.start_s=-1.0: must be inside the beat window"),
])
def test_a_bad_quality_param_is_one_error_naming_it(key, value, expected):
    params = copy.deepcopy(PARAMS)
    params["quality"][key] = value
    with pytest.raises(EcgError) as e:
        validate(params)
    assert str(e.value).startswith(expected), str(e.value)
