"""Patient-adaptive classification: the adaptation, the protocol's rules, the CLI.

What must never happen (issue 22): a labelled beat is scored; a beat after the learning period
reaches the adaptation; one record's adaptation touches another's predictions.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb
from test_predict import model_dir, write_record  # noqa: F401  (model_dir: a fixture)

from ecgcnn import adapt, adaptive
from ecgcnn.aami import CLASSES
from ecgcnn.beats import RR_FEATURES
from ecgcnn.checkpoint import load_model
from ecgcnn.cli import main
from ecgcnn.io import EcgError
from ecgcnn.params import load_params, validate
from ecgcnn.train import predict_probs

ROOT = Path(__file__).resolve().parents[1]
CFG = {"parameters": ["shape_out", "rr_dense", "rr_out", "residual"], "lr": 0.05, "steps": 60,
       "anchor": 0.01, "class_balance": 0.5, "prior_beats": 0.0, "reach": 0.0, "draw": "random"}
N, S, V = (CLASSES.index(c) for c in "NSV")


@pytest.fixture(scope="module")
def model(model_dir):  # noqa: F811
    return load_model(model_dir)[0]


def beats(model, n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 126, 2)).astype(np.float32)
    rr = rng.normal(size=(n, len(RR_FEATURES))).astype(np.float32)
    return x, rr


def test_the_heads_reproduce_the_model(model):
    x, rr = beats(model, 300)
    z = adapt.embed(model, x)
    probs = adapt.probs_with(model, adapt.head_weights(model), z, rr)
    assert np.allclose(probs, predict_probs(model, x, rr), atol=1e-5)


def test_no_labelled_beat_is_the_general_model(model):
    x, rr = beats(model, 50)
    probs = adapt.adapted_probs(model, x, rr, [], np.zeros(0, np.int32), CFG)
    assert np.allclose(probs, predict_probs(model, x, rr), atol=1e-5)


def test_adaptation_learns_the_labelled_class_and_leaves_the_model_alone(model):
    x, rr = beats(model, 200)
    before = predict_probs(model, x, rr)
    weights = {k: np.asarray(v) for k, v in adapt.head_weights(model).items()}
    y = np.full(40, V, np.int32)
    probs = adapt.adapted_probs(model, x, rr, np.arange(40), y, CFG)
    assert probs[:40, V].mean() > before[:40, V].mean() + 0.3
    assert (probs[:40].argmax(1) == V).mean() > 0.9
    after = adapt.head_weights(model)  # the general model is unchanged
    assert all(np.array_equal(weights[k], np.asarray(after[k])) for k in weights)
    assert np.allclose(predict_probs(model, x, rr), before)


def test_only_the_named_weights_change(model):
    x, rr = beats(model, 64)
    z = adapt.embed(model, x)
    start = adapt.head_weights(model)
    cfg = {**CFG, "parameters": ["rr_out.bias"]}
    out = adapt.adapt_heads(model, z, rr, np.full(64, S, np.int32), cfg)
    changed = {k for k in start if not np.allclose(start[k], out[k])}
    assert changed == {"rr_out.bias"}


def test_the_anchor_holds_the_weights_back(model):
    x, rr = beats(model, 64)
    z = adapt.embed(model, x)
    y = np.full(64, V, np.int32)
    start = adapt.head_weights(model)

    def moved(anchor):
        out = adapt.adapt_heads(model, z, rr, y, {**CFG, "anchor": anchor})
        return sum(float(np.sum((out[k] - start[k]) ** 2)) for k in start)

    assert moved(100.0) < 0.1 * moved(0.0)


def test_padding_does_not_change_the_result(model):
    x, rr = beats(model, 40)
    z = adapt.embed(model, x)
    y = np.array([N] * 30 + [V] * 10, np.int32)
    one = adapt.adapt_heads(model, z[:17], rr[:17], y[:17], CFG)  # padded to 32
    assert adapt.padded(17) == 32
    two = adapt.fit_heads(adapt.head_weights(model), z[:17], rr[:17], y[:17],
                          adapt.beat_weights(y[:17], CFG["class_balance"]),
                          np.float32(CFG["lr"]), np.float32(CFG["anchor"]),
                          names=adapt.trainable_names(CFG["parameters"]), steps=CFG["steps"],
                          shape_of_class=tuple(model.shape_of_class))
    assert all(np.allclose(one[k], two[k], atol=1e-5) for k in one)


def test_class_balance_weights():
    y = np.array([0, 0, 0, 2])
    assert np.allclose(adapt.beat_weights(y, 0.0), 0.25)
    w = adapt.beat_weights(y, 1.0)
    assert np.isclose(w[:3].sum(), w[3]) and np.isclose(w.sum(), 1)
    assert np.isclose(adapt.beat_weights(y, 1.0, prior_beats=4).sum(), 0.5)  # 4 / (4 + 4)
    assert np.isclose(adapt.beat_weights(np.zeros(396, int), 0, prior_beats=4).sum(), 0.99)


def record_beats(model, n=400, fs=100.0, seed=0):
    x, rr = beats(model, n, seed)
    rng = np.random.default_rng(seed + 1)
    y = rng.choice([N, S, V], size=n, p=[0.8, 0.1, 0.1]).astype(np.int32)
    sample = np.arange(n) * int(fs)  # one beat a second
    return {"x": x, "rr": rr, "y": y, "record": np.full(n, "r1")}, sample


def test_labelled_beats_are_never_scored_and_later_labels_never_used(model):
    mine, sample = record_beats(model)
    learning = adaptive.learning_mask(sample, 100.0, 5.0)
    assert learning.sum() == 300
    cfg = {**CFG, "draw": "random"}
    one = adaptive.record_predictions(model, mine, learning, cfg, [2, 12], 3, seed=0)
    for runs in one.values():
        for run in runs:
            assert len(run["predicted"]) == (~learning).sum()  # only the beats after it
    assert [r["labelled"] for r in one[adaptive.ALL]] == [300]
    # Labels after the learning period changed: nothing changes.
    other = {**mine, "y": mine["y"].copy()}
    other["y"][~learning] = (other["y"][~learning] + 1) % len(CLASSES)
    two = adaptive.record_predictions(model, other, learning, cfg, [2, 12], 3, seed=0)
    for setting in one:
        for a, b in zip(one[setting], two[setting], strict=True):
            assert np.array_equal(a["predicted"], b["predicted"])
    # A label inside it changes something (the check above can fail).
    third = {**mine, "y": mine["y"].copy()}
    third["y"][:300] = V
    three = adaptive.record_predictions(model, third, learning, cfg, [2], 1, seed=0)
    assert not np.array_equal(three[adaptive.ALL][0]["predicted"],
                              one[adaptive.ALL][0]["predicted"])


def test_draws_come_from_the_learning_period_and_repeat():
    candidates = np.arange(10, 60)
    rng = adaptive.draw_rng(0, 1, "r1")
    a = adaptive.draw_beats(candidates, 5, "random", rng)
    b = adaptive.draw_beats(candidates, 5, "random", adaptive.draw_rng(0, 1, "r1"))
    c = adaptive.draw_beats(candidates, 5, "random", adaptive.draw_rng(0, 2, "r1"))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert len(set(a)) == 5 and set(a) <= set(candidates)
    assert np.array_equal(adaptive.draw_beats(candidates, 500, "random", rng), candidates)
    features = np.zeros((60, 2))
    features[30] = [50, 50]  # one odd beat: the spread draw picks it
    spread = adaptive.draw_beats(candidates, 3, "spread", adaptive.draw_rng(0, 0, "r"), features)
    assert 30 in spread and len(set(spread)) == 3 and set(spread) <= set(candidates)


def test_one_record_does_not_touch_another(model, tmp_path, monkeypatch):
    first, sample = record_beats(model, seed=0)
    second, _ = record_beats(model, seed=5)
    second["record"] = np.full(len(sample), "r2")
    data = {k: np.concatenate([first[k], second[k]]) for k in ("x", "rr", "record")}
    data["label"] = np.concatenate([first["y"], second["y"]]).astype(np.int8)
    data["sample"] = np.concatenate([sample, sample])
    data["database"] = np.full(len(data["label"]), "db")
    (tmp_path / "db").mkdir()
    for name in ("r1", "r2"):
        (tmp_path / "db" / f"{name}.hea").write_text(f"{name} 1 100 {len(sample) * 100}\n")
    monkeypatch.setattr(adaptive, "load_model", lambda d: (model, {}))
    settings = {"learning_minutes": 5.0, "k": [5], "draws": 2, "seed": 0}
    both, y_both = adaptive.run_jobs([("m", 0, ["r1", "r2"])], data, {"a": CFG}, settings,
                                     tmp_path)
    alone, _ = adaptive.run_jobs([("m", 0, ["r2"])], data, {"a": CFG}, settings, tmp_path)
    r2_both = next(p for _, p, r in both["a"] if r == "r2")
    r2_alone = alone["a"][0][1]
    for setting in r2_both:
        for a, b in zip(r2_both[setting], r2_alone[setting], strict=True):
            assert np.array_equal(a["predicted"], b["predicted"])
    result = adaptive.report(both["a"], y_both)
    assert list(result) == ["0", "5", adaptive.ALL]
    assert result["5"]["labelled_beats_per_record"] == 5
    assert len(result["5"]["runs"]) == 2  # one model seed x 2 draws


def test_bad_adapt_params_are_one_clear_error():
    params = load_params(ROOT / "params.yaml")
    for key, value, words in (("parameters", ["stem"], "adapt.parameters"),
                              ("class_balance", 2.0, "adapt.class_balance"),
                              ("draw", "first", "adapt.draw")):
        bad = {**params, "adapt": {**params["adapt"], key: value}}
        with pytest.raises(EcgError, match=words.replace(".", r"\.")):
            validate(bad)
    bad = {**params, "adaptive": {**params["adaptive"], "protocol": "intra_patient"}}
    with pytest.raises(EcgError, match="adaptive.protocol.*saw every patient"):
        validate(bad)


def test_the_packaged_knobs_are_params_yaml_s():
    from ecgcnn.default_model import ADAPT_FILE

    assert json.loads(ADAPT_FILE.read_text()) == load_params(ROOT / "params.yaml")["adapt"]


def test_predict_adapt_from_leaves_labelled_beats_out(tmp_path, model_dir, capsys):  # noqa: F811
    path, peaks, symbols = write_record(tmp_path / "r", seconds=120)
    out = tmp_path / "beats.csv"
    assert main(["predict", str(path), "--model", str(model_dir), "--out", str(out),
                 "--adapt-from", "atr", "--adapt-minutes", "1"]) == 0
    err = capsys.readouterr().err
    frame = pd.read_csv(out)
    first_minute = frame["time_s"] < 60
    assert frame["labelled"].notna().sum() == first_minute.sum()
    assert (frame.loc[frame["labelled"].notna(), "labelled"]
            == frame.loc[frame["labelled"].notna(), "reference"]).all()
    assert (frame["unlabelled"] == ~first_minute).all()
    scored = int((~first_minute).sum())
    assert f"adapted to {first_minute.sum()} labelled beats" in err
    assert f"over {scored} beats with a reference class" in err

    assert main(["predict", str(path), "--model", str(model_dir), "--out", str(out),
                 "--adapt-from", "atr", "--adapt-beats", "5"]) == 0
    frame = pd.read_csv(out)
    assert frame["labelled"].notna().sum() == 5
    assert frame["labelled"].notna().iloc[:5].all()
    assert f"over {len(frame) - 5} beats" in capsys.readouterr().err


def test_a_separate_file_of_labelled_beats(tmp_path, model_dir, capsys):  # noqa: F811
    path, peaks, symbols = write_record(tmp_path / "d", name="r", seconds=60)
    picked = [3, 20, 40]
    wfdb.wrann(path.name, "lab", np.asarray(peaks)[picked], [symbols[i] for i in picked],
               write_dir=str(path.parent))
    out = tmp_path / "beats.csv"
    assert main(["score", str(path.parent), "--model", str(model_dir), "--out",
                 str(tmp_path / "score"), "--adapt-from", "lab", "--jobs", "1"]) == 0
    summary = json.loads((tmp_path / "score" / "summary.json").read_text())
    beats = pd.read_csv(tmp_path / "score" / "beats.csv")
    assert summary["adapted"]["r"]["labelled"] == 3
    assert summary["scored_beats"] == beats["reference"].notna().sum() - 3
    assert main(["predict", str(path), "--model", str(model_dir), "--out", str(out),
                 "--adapt-from", "lab"]) == 0
    assert sorted(np.flatnonzero(pd.read_csv(out)["labelled"].notna())) == sorted(
        np.flatnonzero(np.isin(pd.read_csv(out)["sample"], np.asarray(peaks)[picked])))


@pytest.mark.parametrize("args, words", [
    (["--adapt-beats", "5"], "need --adapt-from"),
    (["--adapt-from", "nope"], "r.nope: no such annotation file"),
    (["--adapt-from", "atr", "--adapt-beats", "0"], "--adapt-beats 0: must be at least 1"),
    (["--adapt-from", "atr", "--adapt-minutes", "-1"], "--adapt-minutes -1: must be positive"),
])
def test_bad_adapt_options_are_one_error_and_write_nothing(tmp_path, model_dir, capsys,  # noqa: F811
                                                           args, words):
    path, _, _ = write_record(tmp_path / "d", name="r", seconds=30)
    out = tmp_path / "beats.csv"
    assert main(["predict", str(path), "--model", str(model_dir), "--out", str(out),
                 *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and words in err[-1]
    assert not out.exists()


def test_reach_keeps_the_general_model_far_from_the_labelled_rhythm(model):
    x, rr = beats(model, 100)
    rr[50:] += 5.0  # beats 50.. have a rhythm no labelled beat had
    general = predict_probs(model, x, rr)
    y = np.full(50, V, np.int32)
    near = adapt.adapted_probs(model, x, rr, np.arange(50), y, {**CFG, "reach": 0.5})
    assert np.allclose(near[50:], general[50:], atol=1e-4)  # far: the general model's call
    everywhere = adapt.adapted_probs(model, x, rr, np.arange(50), y, CFG)
    assert np.allclose(near[:50], everywhere[:50], atol=1e-4)  # a labelled beat: distance 0
    assert adapt.nearness(rr[:3], rr[:0], 0.5).tolist() == [0, 0, 0]
