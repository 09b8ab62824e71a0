"""The experiment sweep's neighbour inputs: shifted within a record, never across records."""

import importlib.util
from pathlib import Path

import numpy as np

SPEC = importlib.util.spec_from_file_location(
    "cv_sweep", Path(__file__).parents[1] / "experiments" / "cv_sweep.py")
cv_sweep = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(cv_sweep)


def test_neighbour_stays_inside_each_record():
    values = np.arange(1, 6, dtype=np.float32)[:, None]
    record = np.array(["100", "100", "100", "101", "101"])
    assert cv_sweep.neighbour(values, record, -1)[:, 0].tolist() == [0, 1, 2, 0, 4]
    assert cv_sweep.neighbour(values, record, 1)[:, 0].tolist() == [2, 3, 0, 5, 0]
    assert cv_sweep.neighbour(values, record, 2)[:, 0].tolist() == [3, 0, 0, 0, 0]


def test_transform_adds_neighbour_channels_and_rr():
    rng = np.random.default_rng(0)
    beats = {"x": rng.normal(size=(6, 10, 2)).astype(np.float32),
             "rr": rng.normal(size=(6, 7)).astype(np.float32),
             "record": np.array(["a"] * 3 + ["b"] * 3)}
    out = cv_sweep.transform(beats, ("nb_diff", "nb_rr"))
    assert out["x"].shape == (6, 10, 4) and out["rr"].shape == (6, 7 * 7)
    np.testing.assert_allclose(out["x"][1, :, 2], beats["x"][1, :, 0] - beats["x"][0, :, 0])
    np.testing.assert_allclose(out["x"][3, :, 2], beats["x"][3, :, 0])  # first beat of b
    np.testing.assert_allclose(out["rr"][4, 7 * 3:7 * 4], beats["rr"][3])  # beat -1
