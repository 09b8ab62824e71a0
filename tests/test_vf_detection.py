"""Ventricular flutter / fibrillation found in the signal (vf_detection.py): episodes where a
sine-like stretch replaces the beats, none on beats; with --detect the beats inside are
called Q, flagged and reported; score compares them with the marked episodes as epicmp."""

import numpy as np
import pytest
import wfdb
from test_predict import model_dir, synthetic_ecg  # noqa: F401

from ecgcnn import vf_detection
from ecgcnn.episodes import detection_counts, detection_scores
from ecgcnn.predict import plot_stretch, predict_file, summary
from ecgcnn.vf_detection import detect_vf, leakage

FS = 360
ONSET_S, END_S = 20.0, 32.0


def with_flutter(seconds=60, fs=FS):
    """(signal [n], R peaks outside the flutter, flutter [onset, end] samples): MLII of
    test_predict's synthetic beats with a 4.5 Hz flutter wave from ONSET_S to END_S."""
    signal, peaks, symbols = synthetic_ecg(seconds, fs)
    x = signal[:, 0].copy()
    onset, end = int(ONSET_S * fs), int(END_S * fs)
    t = np.arange(end - onset) / fs
    x[onset:end] = 0.8 * np.sin(2 * np.pi * 4.5 * t) + 0.02 * np.random.default_rng(1).normal(
        size=t.size)
    outside = (peaks < onset - 0.3 * fs) | (peaks > end + 0.3 * fs)
    return x, peaks[outside], np.asarray(symbols)[outside], (onset, end)


def test_leakage_is_small_for_a_sine_and_large_for_beats():
    t = np.arange(int(4 * FS)) / FS
    assert leakage(np.sin(2 * np.pi * 5 * t)) < 0.1
    x, peaks, _, _ = with_flutter()
    beats = vf_detection.conditioned(x[: 4 * FS], FS)
    assert leakage(beats) > 0.6
    assert leakage(np.zeros(100)) == 1.0  # flat: no period
    assert leakage(np.r_[np.nan, np.sin(np.arange(99.0))]) == 1.0  # invalid samples


def test_flutter_is_one_episode_and_beats_are_none():
    x, _, _, (onset, end) = with_flutter()
    episodes = detect_vf(lambda a, b: x[a:b], len(x), FS)
    assert episodes.shape == (1, 2)
    first, last = episodes[0]
    # windows of 4 s stepped by 1 s: the episode's ends within a window of the flutter's
    assert abs(first - onset) <= 4 * FS and abs(last - end) <= 4 * FS
    clean, _, _ = synthetic_ecg(60, FS)
    assert len(detect_vf(lambda a, b: clean[a:b, 0], len(clean), FS)) == 0


def test_reading_in_pieces_finds_the_same_episodes(monkeypatch):
    x, _, _, _ = with_flutter()
    whole = detect_vf(lambda a, b: x[a:b], len(x), FS)
    monkeypatch.setattr(vf_detection, "READ_S", 7.0)  # seams inside the flutter
    reads = []

    def part(a, b):
        reads.append(b - a)
        return x[a:b]

    np.testing.assert_array_equal(detect_vf(part, len(x), FS), whole)
    assert max(reads) <= (7 + 4) * FS


def test_episode_counts_follow_any_overlap():
    counts = detection_counts([[150, 249], [800, 899]], [[100, 199], [500, 599]])
    assert counts == {"marked": 2, "detected": 2, "found": 1, "true": 1,
                      "marked_samples": 200, "detected_samples": 200, "overlap_samples": 50}
    scores = detection_scores([counts, detection_counts(np.zeros((0, 2)), [[0, 99]])])
    assert scores["episode_se"] == pytest.approx(1 / 3)
    assert scores["episode_ppv"] == pytest.approx(1 / 2)
    assert scores["duration_se"] == pytest.approx(50 / 300)
    assert scores["duration_ppv"] == pytest.approx(50 / 200)
    assert detection_scores([detection_counts(np.zeros((0, 2)), np.zeros((0, 2)))])[
        "episode_se"] is None


def test_predict_detect_calls_beats_in_flutter_q_and_reports_the_episode(tmp_path,
                                                                          model_dir):  # noqa: F811
    x, peaks, symbols, (onset, end) = with_flutter()
    wfdb.wrsamp("f", fs=FS, units=["mV"], sig_name=["MLII"], p_signal=x[:, None], fmt=["16"],
                write_dir=str(tmp_path))
    samples, marks = np.r_[peaks, onset, end], np.array([*symbols, "[", "]"])
    order = np.argsort(samples, kind="stable")
    wfdb.wrann("f", "atr", samples[order], list(marks[order]), write_dir=str(tmp_path))
    recording, frame = predict_file(tmp_path / "f", model_dir, detect=True)
    inside = frame["vf_detected"].to_numpy()
    t = frame["time_s"].to_numpy()
    assert inside.sum() >= 20  # the detector finds flutter waves as beats (4.5 Hz for 12 s)
    assert (frame.loc[inside, "predicted"] == "Q").all()
    assert not inside[(t < ONSET_S - 4) | (t > END_S + 4)].any()
    counts = frame.attrs["vf_detection"]
    assert counts["marked"] == counts["detected"] == counts["found"] == counts["true"] == 1
    assert counts["overlap_samples"] > 0.6 * (end - onset)
    text = summary(frame)
    assert "1 ventricular flutter/fibrillation episode(s) detected in the signal" in text
    assert f"{inside.sum()} beat(s) inside called Q and flagged (vf_detected)" in text
    fig = plot_stretch(recording, frame, start_s=15.0, seconds=20.0)
    hatched = [p for p in fig.axes[0].patches if p.get_label() == "VF episode (detected)"]
    assert len(hatched) == 1 and hatched[0].get_hatch() == "//"
    annotated = predict_file(tmp_path / "f", model_dir)[1]
    assert "vf_detected" not in annotated  # annotated beats: the annotations' episodes only


def test_cv_noise_test_counts_as_noise_stress_does(tmp_path, model_dir):  # noqa: F811
    """noise_cv: detections in detected flutter are called Q, and nothing inside a marked
    episode is counted (the noisy stretches start at 5:00, so the flutter is put at 5:10)."""
    from ecgcnn.checkpoint import load_model
    from ecgcnn.episodes import inside
    from ecgcnn.noise_cv import CLEAN, Q, classified, record_counts
    from ecgcnn.noise_stress import noisy_stretches, within
    from ecgcnn.params import load_params

    signal, peaks, symbols = synthetic_ecg(440, FS)
    x = signal[:, 0].copy()
    onset, end = 310 * FS, 322 * FS
    x[onset:end] = 0.8 * np.sin(2 * np.pi * 4.5 * np.arange(end - onset) / FS)
    outside = (peaks < onset - 0.3 * FS) | (peaks > end + 0.3 * FS)
    samples = np.r_[peaks[outside], onset, end]
    marks = np.array([*np.asarray(symbols)[outside], "[", "]"])
    order = np.argsort(samples, kind="stable")
    wfdb.wrsamp("c", fs=FS, units=["mV"], sig_name=["MLII"], p_signal=x[:, None], fmt=["16"],
                write_dir=str(tmp_path))
    wfdb.wrann("c", "atr", samples[order], list(marks[order]), write_dir=str(tmp_path))
    params = load_params()
    extract, averaging = params["extract"], params["averaging"]
    models = [load_model(model_dir)]
    detected, calls = classified(x, FS, extract, models, averaging)
    flutter = (detected >= onset) & (detected <= end)
    assert flutter.sum() >= 20 and (calls[0][flutter] == Q).all()
    counts = record_counts(tmp_path / "c", None, extract, models, None, [CLEAN],
                           averaging)[CLEAN][0]
    counted = within(detected, noisy_stretches(len(x), FS)) & ~inside(detected, [[onset, end]])
    assert counts["cm"].sum() + counts["extra"].sum() == counted.sum()
