from pathlib import Path

import numpy as np
import pytest

from ecgcnn.io import EcgError
from ecgcnn.resample import resample_indices, target_count
from ecgcnn.splits import DS1, DS2, PACED, split


def fake_database(beats_per_record=40, seed=0):
    """Records 100..234 as in MIT-BIH, every record holding beats of every class."""
    rng = np.random.default_rng(seed)
    names = sorted({*DS1, *DS2, *PACED})
    records = np.repeat(names, beats_per_record)
    labels = rng.integers(0, 5, len(records)).astype(np.int8)
    return records, labels


def test_protocol_lists_are_de_chazal():
    assert len(DS1) == len(DS2) == 22
    assert not set(DS1) & set(DS2)
    assert not set(PACED) & (set(DS1) | set(DS2))


def test_inter_patient_keeps_every_ds2_record_out_of_training_and_validation():
    records, labels = fake_database()
    sets = split("inter_patient", records, labels, {"val_records": [114, 118]})
    fit_side = set(records[sets["train"]]) | set(records[sets["val"]])
    assert not fit_side & set(DS2)
    assert set(records[sets["test"]]) == set(DS2)
    assert set(records[sets["val"]]) == {"114", "118"}
    assert set(records[sets["train"]]) == set(DS1) - {"114", "118"}
    assert not set(records[np.concatenate(list(sets.values()))]) & set(PACED)


def test_inter_patient_refuses_validation_records_from_the_test_side():
    records, labels = fake_database()
    with pytest.raises(EcgError, match="split.val_records.*100"):
        split("inter_patient", records, labels, {"val_records": [100, 118]})


def test_intra_patient_sets_are_disjoint_stratified_and_complete():
    records, labels = fake_database()
    cfg = {"test_fraction": 0.2, "val_fraction": 0.1, "seed": 0}
    sets = split("intra_patient", records, labels, cfg)
    all_idx = np.concatenate(list(sets.values()))
    assert len(all_idx) == len(set(all_idx)) == len(labels)  # no beat in two sets, none lost
    assert abs(len(sets["test"]) / len(labels) - 0.2) < 0.01
    test_share = np.bincount(labels[sets["test"]]) / np.bincount(labels)
    assert np.allclose(test_share, 0.2, atol=0.02)
    again = split("intra_patient", records, labels, cfg)
    assert all(np.array_equal(sets[k], again[k]) for k in sets)


def test_a_class_missing_from_training_stops_the_run():
    records, labels = fake_database()
    labels[np.isin(records, DS1)] = np.where(labels[np.isin(records, DS1)] == 3, 0,
                                             labels[np.isin(records, DS1)])
    with pytest.raises(EcgError, match="no beats of class F"):
        split("inter_patient", records, labels, {"val_records": [114]})


@pytest.mark.parametrize("strategy,n,expected", [
    ("none", 50, 50), ("up", 50, 250), ("up", 5000, 5000), ("down", 5000, 1000),
    ("down", 50, 50), ("both", 50, 250), ("both", 5000, 1000), ("both", 500, 1000)])
def test_target_count_rules(strategy, n, expected):
    assert target_count(n, strategy, target=1000, max_upsample=5) == expected


def test_resampling_touches_only_the_given_indices_and_keeps_originals():
    labels = np.array([0] * 5000 + [1] * 40 + [4] * 3, dtype=np.int8)
    train = np.arange(0, len(labels), 2)  # the other half plays the test set
    out = resample_indices(train, labels, "both", target=1000, max_upsample=5, seed=0)
    assert set(out) <= set(train)
    counts = np.bincount(labels[out], minlength=5)
    assert counts[0] == 1000 and counts[1] == 100 and counts[4] == 10  # 2 Q beats x 5
    assert set(train[labels[train] == 1]) <= set(out)  # up-sampling keeps every original
    assert np.array_equal(out, resample_indices(train, labels, "both", 1000, 5, seed=0))


def test_bad_resample_strategy_is_named():
    with pytest.raises(EcgError, match="resample.strategy"):
        resample_indices(np.arange(3), np.zeros(3, np.int8), "smote", 10, 2, 0)


def test_protocol_params_override_only_their_protocol(tmp_path):
    import yaml

    from ecgcnn.params import load_params
    params = yaml.safe_load((Path(__file__).parents[1] / "params.yaml").read_text())
    params["model"]["filters"] = 8
    params["protocols"]["intra_patient"]["model"] = {"filters": 16}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    assert load_params(path, "intra_patient")["model"] == {**params["model"], "filters": 16}
    assert load_params(path, "inter_patient")["model"] == params["model"]
    assert load_params(path)["model"]["filters"] == 8
