"""Detected beats averaged with their look-alikes (beat_averaging.py)."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from test_predict import model_dir, record  # noqa: F401  (fixtures)

from ecgcnn.beat_averaging import AVERAGING_FILE, averaged, looked, unlikeness, voted
from ecgcnn.io import EcgError
from ecgcnn.params import load_params, validate
from ecgcnn.predict import predict_record

ROOT = Path(__file__).resolve().parents[1]
PARAMS = load_params(ROOT / "params.yaml")
FS, BEFORE_S, L = 180.0, 0.25, 126
CFG = {"neighbours": 20, "strength": 1.0, "span_s": [-0.1, 0.15], "vote_strength": 1.0}
R = int(BEFORE_S * FS)
t = np.arange(L)
N_SHAPE = np.exp(-0.5 * ((t - R) / 2.0) ** 2) + 0.3 * np.exp(-0.5 * ((t - R - 50) / 8.0) ** 2)
V_SHAPE = 1.5 * np.exp(-0.5 * ((t - R - 3) / 7.0) ** 2) - 0.4 * np.exp(
    -0.5 * ((t - R - 45) / 10.0) ** 2)


def windows(noise_sd, n=300, every_v=37, seed=0):
    """(x [n, L, 2] as extract cuts them, clean channel 0, V mask): N beats, an isolated V
    every `every_v` beats, white noise; the template is the N shape."""
    rng = np.random.default_rng(seed)
    v = np.arange(n) % every_v == every_v // 2
    clean = np.where(v[:, None], V_SHAPE, N_SHAPE)
    beat = clean + noise_sd * rng.normal(size=clean.shape)
    x = np.stack([beat, beat - N_SHAPE], axis=2).astype(np.float32)
    return x, clean, v


def rms(a, b):
    return float(np.sqrt(((a - b) ** 2).mean()))


def test_noise_falls_on_repeated_beats_and_an_isolated_v_keeps_its_shape():
    x, clean, v = windows(noise_sd=0.15)
    out = averaged(x, CFG, FS, BEFORE_S)
    before, after = rms(x[~v, :, 0], clean[~v]), rms(out[~v, :, 0], clean[~v])
    assert after < before / 2.5, (before, after)  # ~20 look-alikes averaged
    # An isolated V beat has no look-alike: it stays as it was, noise and all (its N
    # neighbours, averaged in, would pull it towards the N shape).
    assert rms(out[v, :, 0], x[v, :, 0]) < 0.02 * rms(V_SHAPE, N_SHAPE)
    # channel 1 is still beat minus the same template
    np.testing.assert_allclose(out[:, :, 0] - out[:, :, 1], x[:, :, 0] - x[:, :, 1], atol=1e-5)


def test_clean_beats_are_left_as_they_are_and_zero_neighbours_is_off():
    x, _, _ = windows(noise_sd=0.0)
    np.testing.assert_allclose(averaged(x, CFG, FS, BEFORE_S), x, atol=1e-6)
    noisy, _, _ = windows(noise_sd=0.15)
    assert averaged(noisy, {**CFG, "neighbours": 0}, FS, BEFORE_S) is noisy
    one = noisy[:1]
    assert averaged(one, CFG, FS, BEFORE_S) is one


def test_a_recording_with_fewer_beats_than_neighbours_is_averaged_too():
    x, clean, v = windows(noise_sd=0.15, n=6, every_v=100)  # 6 N beats, 20 neighbours asked
    out = averaged(x, CFG, FS, BEFORE_S)
    assert rms(out[:, :, 0], clean) < rms(x[:, :, 0], clean) / 1.8
    two = averaged(x[:2], CFG, FS, BEFORE_S)
    np.testing.assert_allclose(two[0, :, 0], two[1, :, 0], atol=0.05)  # alike: near one mean


def test_more_strength_averages_more():
    x, clean, v = windows(noise_sd=0.15)
    errors = [rms(averaged(x, {**CFG, "strength": s}, FS, BEFORE_S)[~v, :, 0], clean[~v])
              for s in (0.1, 1.0, 4.0)]
    assert errors[0] > errors[1] > errors[2]


def test_beats_are_compared_over_span_s_only():
    """Two beat kinds alike inside the span and unlike outside it average together."""
    x, clean, v = windows(noise_sd=0.1)
    late = np.where(v[:, None], N_SHAPE + 0.8 * (t > R + 40), N_SHAPE)  # unlike after 0.22 s
    x = np.stack([late + (x[:, :, 0] - clean), late + (x[:, :, 0] - clean) - N_SHAPE], 2)
    qrs = averaged(x, CFG, FS, BEFORE_S)
    whole = averaged(x, {**CFG, "span_s": [-0.25, 0.45]}, FS, BEFORE_S)
    # compared over the QRS only, the odd beats take their neighbours' late part
    assert rms(qrs[v, R + 50:, 0], N_SHAPE[R + 50:]) < rms(whole[v, R + 50:, 0],
                                                            N_SHAPE[R + 50:])


@pytest.mark.parametrize(("span", "expected"), [
    ([0.1, 0.05], "params averaging.span_s=[0.1, 0.05]: its end must be after its start"),
    ([-0.3, 0.1], "params averaging.span_s=[-0.3, 0.1]: must be inside the beat window"),
    ([0.0, 0.5], "params averaging.span_s=[0.0, 0.5]: must be inside the beat window"),
])
def test_a_bad_span_is_one_error_naming_it(span, expected):
    params = copy.deepcopy(PARAMS)
    params["averaging"]["span_s"] = span
    with pytest.raises(EcgError) as e:
        validate(params)
    assert str(e.value).startswith(expected), str(e.value)


def probs_of(rows):
    return np.asarray(rows, dtype=np.float32)


def test_a_v_call_among_look_alikes_called_n_is_voted_down_and_its_rhythm_kept():
    x, _, v = windows(noise_sd=0.15)
    n = len(x)
    probs = np.tile(probs_of([0.9, 0.05, 0.04, 0.005, 0.005]), (n, 1))
    probs[v] = [0.01, 0.01, 0.97, 0.005, 0.005]  # the real V beats: called V
    wrong = 100  # an N beat in noise called V, its rhythm premature (S above N)
    assert not v[wrong]
    probs[wrong] = [0.1, 0.3, 0.58, 0.01, 0.01]
    out = voted(probs, unlikeness(x, CFG, FS, BEFORE_S), CFG, probs.argmax(1) != 4)
    assert out[wrong].argmax() == 1 and out[wrong, 2] < 0.15  # S, its own rhythm's call
    assert out[wrong, 1] / out[wrong, 0] == pytest.approx(3.0, rel=1e-4)
    # an isolated V has no look-alike: its call stands
    assert (out[v].argmax(1) == 2).all() and (out[v, 2] > 0.9).all()
    assert (out[~v].argmax(1)[np.arange(n)[~v] != wrong] == 0).all()
    np.testing.assert_allclose(out.sum(1), 1, atol=1e-5)


def test_noise_calls_neither_vote_nor_are_voted_and_strength_zero_is_off():
    x, _, _ = windows(noise_sd=0.15, every_v=1000)
    n = len(x)
    probs = np.tile(probs_of([0.97, 0.01, 0.01, 0.005, 0.005]), (n, 1))
    noise = np.arange(n) % 10 == 3
    probs[noise] = [0.0, 0.0, 0.45, 0.0, 0.55]  # Q calls leaning V: not voters
    probs[50] = [0.4, 0.0, 0.6, 0.0, 0.0]
    unlike = unlikeness(x, CFG, FS, BEFORE_S)
    out = voted(probs, unlike, CFG, ~noise)
    np.testing.assert_array_equal(out[noise], probs[noise])
    alone = voted(probs, unlike, CFG, np.arange(n) == 50)  # no other voter: nothing changes
    np.testing.assert_allclose(alone, probs, atol=1e-6)
    assert out[50].argmax() == 0
    assert voted(probs, unlike, {**CFG, "vote_strength": 0}, ~noise) is probs
    assert voted(probs, unlike, {**CFG, "neighbours": 0}, ~noise) is probs


def test_looked_averages_then_classifies_then_votes():
    x, _, v = windows(noise_sd=0.15)
    seen_by_model = []

    def classify(x, rr):
        seen_by_model.append(x)
        p = np.tile(probs_of([0.9, 0.05, 0.04, 0.005, 0.005]), (len(x), 1))
        p[100] = [0.3, 0.1, 0.6, 0.0, 0.0]
        return p

    seen, probs = looked(x, None, classify, CFG, {"target_fs": FS, "window_before_s": BEFORE_S})
    np.testing.assert_array_equal(seen_by_model[0], averaged(x, CFG, FS, BEFORE_S))
    assert seen is seen_by_model[0] and probs[100].argmax() == 0


def test_the_packaged_averaging_is_params_yaml_s():
    assert json.loads(AVERAGING_FILE.read_text()) == PARAMS["averaging"]


def test_predict_averages_detected_beats_only(record, model_dir):  # noqa: F811
    path, _, _ = record
    off = {**CFG, "neighbours": 0}
    detected = {name: predict_record(path, model_dir, detect=True, averaging=cfg)
                for name, cfg in [("on", CFG), ("off", off)]}
    assert detected["on"].attrs["averaging"] == CFG
    assert detected["off"].attrs["averaging"] == off
    assert not np.allclose(detected["on"]["p_V"], detected["off"]["p_V"])
    default = predict_record(path, model_dir, detect=True)
    assert default.attrs["averaging"] == PARAMS["averaging"]  # the package's
    annotated = [predict_record(path, model_dir, averaging=cfg) for cfg in (CFG, off)]
    assert annotated[0].attrs["averaging"] is None
    assert annotated[0].equals(annotated[1])
