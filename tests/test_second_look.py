"""The second look at detected beats: detections called Q no longer count as beats."""

import numpy as np
import pytest
import wfdb
from conftest import EXTRACT_CFG, synthetic_ecg

from ecgcnn.aami import CLASSES
from ecgcnn.beats import RR_FEATURES
from ecgcnn.extract import beats_from_signal
from ecgcnn.second_look import second_look

N, V, Q = (CLASSES.index(c) for c in "NVQ")
PREV = RR_FEATURES.index("prev/local")
NEXT = RR_FEATURES.index("next/local")
EARLY = np.log(0.7)


def one_hot(classes):
    return np.eye(len(CLASSES))[classes]


def looks_as(first, then):
    """A look that answers `first` (probabilities) the first time, then `then(x, rr)`."""
    calls = []

    def look(x, rr):
        calls.append(len(x))
        return x, first if len(calls) == 1 else then(x, rr)
    return look


def by_rhythm(x, rr):
    """A stand-in model that reads only RR: early on both sides (an interval split in two) is
    noise, early before only is a premature V beat, anything else N."""
    early_prev, early_next = rr[:, PREV] < EARLY, rr[:, NEXT] < EARLY
    return one_hot(np.where(early_prev & early_next, Q, np.where(early_prev, V, N)))


def test_noise_keeps_its_call_and_the_other_beats_are_classified_again():
    x, rr = np.zeros((5, 3, 2)), np.zeros((5, 2))
    first = one_hot([N, Q, V, Q, N])
    asked = []

    def beats_at(mask):
        asked.append(mask.copy())
        return np.ones((3, 3, 2)), np.full((3, 2), 7.0), np.ones(3, dtype=bool)

    _, x2, rr2, probs, noise = second_look(x, rr, beats_at,
                                           looks_as(first, lambda x, rr: one_hot([N] * 3)))
    assert noise.tolist() == [False, True, False, True, False]
    assert asked[0].tolist() == [True, False, True, False, True]
    assert probs.argmax(1).tolist() == [N, Q, N, Q, N]
    assert (rr2[~noise] == 7).all() and (rr2[noise] == 0).all() and (x2[noise] == 0).all()
    assert (first.argmax(1) == [N, Q, V, Q, N]).all()  # the caller's arrays are left as they were


def test_without_noise_or_with_one_beat_left_nothing_is_classified_again():
    def never(*_):
        raise AssertionError("no second look expected")

    x, rr = np.zeros((3, 3, 2)), np.zeros((3, 2))
    for first in (one_hot([N, V, N]), one_hot([Q, N, Q])):
        _, _, _, probs, noise = second_look(x, rr, never, looks_as(first, never))
        assert (probs == first).all() and noise.sum() == (first.argmax(1) == Q).sum()


def test_another_first_look_is_always_followed_by_the_look():
    x, rr = np.zeros((3, 3, 2)), np.zeros((3, 2))

    def beats_at(mask):
        return np.ones((3, 3, 2)), np.ones((3, 2)), np.ones(3, dtype=bool)

    first, seen, _, probs, noise = second_look(
        x, rr, beats_at, lambda x, rr: (x + 2, one_hot([N, N, N])),
        first_look=lambda x, rr: (x, one_hot([N, V, N])))
    assert first.argmax(1).tolist() == [N, V, N] and not noise.any()
    assert probs.argmax(1).tolist() == [N, N, N] and (seen == 3).all()


def test_a_beat_the_second_look_cannot_cut_keeps_its_first_look():
    x, rr = np.zeros((4, 3, 2)), np.zeros((4, 2))

    def beats_at(mask):  # the second of the three beats left cannot be cut
        return np.ones((2, 3, 2)), np.ones((2, 2)), np.array([True, False, True])

    _, _, rr2, probs, _ = second_look(x, rr, beats_at, looks_as(one_hot([N, Q, V, N]),
                                                                lambda x, rr: one_hot([N, N])))
    assert probs.argmax(1).tolist() == [N, Q, V, N]
    assert rr2[:, 0].tolist() == [1, 0, 0, 1]


def test_an_extra_detection_no_longer_makes_the_next_beat_premature():
    """Real beat inputs (extract.beats_from_signal): a spike of noise halfway between two
    beats splits their interval; the first look calls the next beat premature (V), the second,
    without the spike, calls it N again."""
    fs, rr_s = 360, 0.8
    beats = np.arange(1.0, 59.0, rr_s)
    spike = (beats[30] + beats[31]) / 2
    peaks = np.sort(np.round(np.append(beats, spike) * fs).astype(int))
    signal = synthetic_ecg(60 * fs, fs, peaks)
    x, rr, kept = beats_from_signal(signal, fs, peaks, EXTRACT_CFG)
    assert kept.all()
    at_spike = int(np.flatnonzero(peaks == round(spike * fs))[0])
    first = by_rhythm(x, rr)
    assert first.argmax(1)[at_spike] == Q and first.argmax(1)[at_spike + 1] == V

    def beats_at(mask):
        return beats_from_signal(signal, fs, peaks[mask], EXTRACT_CFG)

    _, _, rr2, probs, noise = second_look(x, rr, beats_at, lambda x, rr: (x, by_rhythm(x, rr)))
    assert np.flatnonzero(noise).tolist() == [at_spike]
    assert (probs.argmax(1)[~noise] == N).all()
    assert abs(rr2[at_spike + 1, PREV]) < 0.05  # a regular interval again


@pytest.fixture
def spiked_record(tmp_path):
    """60 s of regular beats (annotated) plus one unannotated spike of noise between two."""
    fs = 360
    beats = np.round(np.arange(1.0, 59.0, 0.8) * fs).astype(int)
    spike = (beats[30] + beats[31]) // 2
    lead = synthetic_ecg(60 * fs, fs, np.append(beats, spike))
    wfdb.wrsamp("spiked", fs=fs, units=["mV"], sig_name=["MLII"], p_signal=lead[:, None],
                fmt=["16"], write_dir=str(tmp_path))
    wfdb.wrann("spiked", "atr", beats, symbol=["N"] * len(beats), write_dir=str(tmp_path))
    return tmp_path / "spiked", spike


def test_predict_detect_calls_the_spike_q_and_its_neighbour_n(spiked_record, monkeypatch):
    from ecgcnn import predict, train

    path, spike = spiked_record
    monkeypatch.setattr(train, "predict_probs", lambda model, x, rr, **_: by_rhythm(x, rr))
    config = {"extract": EXTRACT_CFG, "window": 126, "channels": 2,
              "rr_features": len(RR_FEATURES)}
    monkeypatch.setattr(predict, "load_model", lambda _: (None, config))
    frame = predict.predict_record(path, "unused", detect=True)
    at = int(np.argmin(np.abs(frame["sample"].to_numpy() - spike)))
    assert abs(frame["sample"].iloc[at] - spike) < 0.05 * 360
    assert frame["predicted"].iloc[at] == "Q" and frame["reference"].isna().iloc[at]
    assert (frame["predicted"].drop(index=at) == "N").all()
    assert frame.attrs["noise_detections"] == 1
    assert "1 detection(s) called Q" in predict.summary(frame)
