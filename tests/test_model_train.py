import jax
import numpy as np
import pytest
from flax import nnx

from ecgcnn.checkpoint import load_model, save_model
from ecgcnn.io import EcgError
from ecgcnn.model import build_model
from ecgcnn.train import fit, predict_probs

MODEL = {"filters": 8, "kernel_size": 5, "blocks": 2, "dense": 16, "rr_hidden": 8,
         "dropout": 0.1, "rhythm_decides_s": True,
           "shape_channels": [0, 1]}
TRAIN = {"lr": 3e-3, "weight_decay": 1e-4, "batch_size": 32, "epochs": 3, "patience": 5,
         "shape_dropout": 0.3, "seed": 0}


def toy_data(n=256, seed=0):
    """Class k has a bump at a class-specific place and RR feature 0 set to -k/4."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, n).astype(np.int32)
    x = 0.1 * rng.standard_normal((n, 40, 2)).astype(np.float32)
    x[np.arange(n), 5 + 6 * y, :] += 2.0
    rr = 0.1 * rng.standard_normal((n, 6)).astype(np.float32)
    rr[:, 0] -= y / 4
    return {"x": x, "rr": rr, "y": y}


def new_model(cfg=MODEL, seed=0):
    return build_model(cfg, window=40, channels=2, rr_features=6, seed=seed)


def test_output_shapes_and_probabilities():
    data = toy_data(10)
    model = new_model()
    assert model(data["x"], data["rr"]).shape == (10, 5)
    p = predict_probs(model, data["x"], data["rr"], batch_size=4)
    assert p.shape == (10, 5) and np.allclose(p.sum(1), 1, atol=1e-5)


def test_only_rhythm_separates_s_from_n_when_rhythm_decides_s():
    data = toy_data(16)
    model = new_model()
    other_x = data["x"][::-1].copy()
    gap = lambda x: np.asarray(model(x, data["rr"]))[:, 1] - np.asarray(model(x, data["rr"]))[:, 0]  # noqa: E731
    assert np.allclose(gap(data["x"]), gap(other_x), atol=1e-5)
    free = new_model({**MODEL, "rhythm_decides_s": False})
    free_gap = np.asarray(free(data["x"], data["rr"]) - free(other_x, data["rr"]))
    assert not np.allclose(free_gap[:, 1], free_gap[:, 0], atol=1e-3)


def test_training_lowers_the_loss_and_learns():
    train, val = toy_data(512, seed=0), toy_data(128, seed=1)
    model = new_model()
    losses = []
    summary = fit(model, train, val, TRAIN, log=lambda e, m: losses.append(m["train/loss"]),
                  progress=False)
    assert losses[-1] < 0.7 * losses[0]
    assert summary["best_val_macro_f1"] > 0.6
    assert summary["epochs_run"] == 3 and 1 <= summary["kept_epoch"] <= 3
    acc = (predict_probs(model, val["x"], val["rr"]).argmax(1) == val["y"]).mean()
    assert acc > 0.6


def test_without_validation_the_last_epoch_is_kept_and_on_epoch_sees_each_model():
    train, held_out = toy_data(256, seed=0), toy_data(64, seed=1)
    seen = []
    model = new_model()
    summary = fit(model, train, None, TRAIN, progress=False, on_epoch=lambda e, m: seen.append(
        (e, predict_probs(m, held_out["x"], held_out["rr"]))))
    assert [e for e, _ in seen] == [1, 2, 3]
    assert summary["kept_epoch"] == 3 and summary["best_val_macro_f1"] is None
    # The model left in place is the last epoch's, not an earlier one.
    assert np.array_equal(predict_probs(model, held_out["x"], held_out["rr"]), seen[-1][1])
    assert not np.array_equal(seen[0][1], seen[-1][1])


def test_same_params_give_identical_results():
    train, val = toy_data(256, seed=0), toy_data(64, seed=1)
    runs = []
    for _ in range(2):
        model = new_model()
        summary = fit(model, train, val, TRAIN, progress=False)
        runs.append((summary["best_val_macro_f1"], predict_probs(model, val["x"], val["rr"])))
    assert runs[0][0] == runs[1][0]
    assert np.array_equal(runs[0][1], runs[1][1])


def test_nan_loss_stops_with_a_clear_message():
    train, val = toy_data(128), toy_data(32)
    train["x"][0, 0, 0] = np.nan
    with pytest.raises(EcgError, match="loss is nan at epoch 1.*train.lr"):
        fit(new_model(), train, val, {**TRAIN, "batch_size": 128}, progress=False)


def test_batch_larger_than_training_set_is_named():
    with pytest.raises(EcgError, match="train.batch_size"):
        fit(new_model(), toy_data(16), toy_data(8), {**TRAIN, "batch_size": 64}, progress=False)


def test_checkpoint_round_trip_gives_the_same_predictions(tmp_path):
    data = toy_data(20)
    model = new_model(seed=3)
    config = {"model": MODEL, "window": 40, "channels": 2, "rr_features": 6, "extract": {}}
    save_model(tmp_path / "m", model, config)
    loaded, loaded_config = load_model(tmp_path / "m")
    assert loaded_config == config
    assert np.allclose(predict_probs(model, data["x"], data["rr"]),
                       predict_probs(loaded, data["x"], data["rr"]), atol=1e-6)


def test_checkpoint_of_another_shape_or_missing_is_a_clear_error(tmp_path):
    config = {"model": MODEL, "window": 40, "channels": 2, "rr_features": 6, "extract": {}}
    save_model(tmp_path / "m", new_model(), config)
    bigger = {**config, "model": {**MODEL, "filters": 16}}
    (tmp_path / "m" / "config.json").write_text(__import__("json").dumps(bigger))
    with pytest.raises(EcgError, match="does not match the model"):
        load_model(tmp_path / "m")
    with pytest.raises(EcgError, match="no trained model"):
        load_model(tmp_path / "nothing")


def test_params_are_float32_everywhere():
    leaves = jax.tree.leaves(nnx.state(new_model(), nnx.Param))
    assert leaves and all(leaf.dtype == np.float32 for leaf in leaves)


def test_shape_path_reads_only_its_channels():
    data = toy_data(8)
    relative_only = new_model({**MODEL, "shape_channels": [1]})
    changed = data["x"].copy()
    changed[:, :, 0] += 5.0  # channel 0 is not read
    assert np.allclose(relative_only(data["x"], data["rr"]), relative_only(changed, data["rr"]))
    assert not np.allclose(new_model()(data["x"], data["rr"]), new_model()(changed, data["rr"]))
    with pytest.raises(ValueError, match="model.shape_channels"):
        new_model({**MODEL, "shape_channels": [2]})


def test_augmentation_changes_beats_within_its_bounds_and_is_off_at_zero():
    from ecgcnn.train import augment

    x = np.ones((64, 40, 2), np.float32)
    key = jax.random.key(0)
    assert np.array_equal(augment(key, x, {"gain": 0, "noise": 0, "drift": 0}), x)
    gained = np.asarray(augment(key, x, {"gain": 0.2, "noise": 0, "drift": 0}))
    per_beat = gained[:, 0, 0]
    assert np.allclose(gained, per_beat[:, None, None])  # one gain per beat, both channels
    assert 0.8 <= per_beat.min() and per_beat.max() <= 1.2 and per_beat.std() > 0.05
    drifted = np.asarray(augment(key, x, {"gain": 0, "noise": 0, "drift": 0.3})) - 1
    assert np.allclose(drifted[:, 20, 0], -drifted[:, 19, 0], atol=0.02)  # a ramp through 0
    assert np.abs(drifted).max() <= 0.3 + 1e-6
    noisy = np.asarray(augment(key, x, {"gain": 0, "noise": 0.05, "drift": 0})) - 1
    assert 0.04 < noisy.std() < 0.06 and np.allclose(noisy[..., 0], noisy[..., 1])
