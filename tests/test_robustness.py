import numpy as np
from conftest import EXTRACT_CFG, write_record

from ecgcnn.extract import extract_record
from ecgcnn.robustness import condition_name, conditions_dataset

CONDITIONS = [{"fs": 360, "gain": 1.0}, {"fs": 128, "gain": 1.0}, {"fs": 360, "gain": 0.5}]


def test_each_record_is_re_recorded_under_every_condition(tmp_path):
    fs = 360
    peaks = list(range(300, 19 * fs, int(0.8 * fs)))
    for name in ("r1", "r2"):
        write_record(tmp_path, name, peaks, ["N"] * len(peaks))
    data = conditions_dataset(tmp_path, ["r1", "r2"], EXTRACT_CFG, CONDITIONS)
    counts = [[int(((data["condition"] == i) & (data["record"] == r)).sum()) for r in ("r1", "r2")]
              for i in range(len(CONDITIONS))]
    assert counts[0] == counts[1] == counts[2] == [len(peaks)] * 2
    native = data["condition"] == 0
    # the unchanged condition is exactly what extraction gives
    direct = extract_record(tmp_path / "r1", EXTRACT_CFG)[0]
    assert np.array_equal(data["x"][native & (data["record"] == "r1")], direct["x"])
    # halving the amplitude changes nothing after per-record normalisation
    assert np.allclose(data["x"][data["condition"] == 2], data["x"][native], atol=1e-4)
    # 128 Hz is another signal: close to, not equal to, the native one
    slow = data["x"][data["condition"] == 1]
    assert not np.array_equal(slow, data["x"][native])
    assert np.corrcoef(slow[:, :, 0].ravel(), data["x"][native][:, :, 0].ravel())[0, 1] > 0.9
    assert condition_name(CONDITIONS[1]) == "128 Hz, gain 1"
