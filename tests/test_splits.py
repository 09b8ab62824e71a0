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


def fake_beats(extra=(), beats_per_record=40):
    """fake_database's beats, plus records 800.. of a second database `other`."""
    records, labels = fake_database(beats_per_record)
    others = np.repeat([str(800 + i) for i in range(len(extra))], beats_per_record)
    rng = np.random.default_rng(1)
    return {"record": np.concatenate([records, others]),
            "label": np.concatenate([labels, rng.integers(0, 5, len(others)).astype(np.int8)]),
            "database": np.array(["mitdb"] * len(records) + ["other"] * len(others))}


def records_cfg(val_records=(), extra_train=()):
    return {"method": "records", "val_records": list(val_records),
            "extra_train": list(extra_train)}


def test_protocol_lists_are_de_chazal():
    assert len(DS1) == len(DS2) == 22
    assert not set(DS1) & set(DS2)
    assert not set(PACED) & (set(DS1) | set(DS2))


def test_inter_patient_keeps_every_ds2_record_out_of_training_and_validation():
    beats = fake_beats()
    records = beats["record"]
    sets = split(beats, records_cfg([114, 118]), "inter_patient")
    fit_side = set(records[sets["train"]]) | set(records[sets["val"]])
    assert not fit_side & set(DS2)
    assert set(records[sets["test"]]) == set(DS2)
    assert set(records[sets["val"]]) == {"114", "118"}
    assert set(records[sets["train"]]) == set(DS1) - {"114", "118"}
    assert not set(records[np.concatenate(list(sets.values()))]) & set(PACED)


def test_inter_patient_refuses_validation_records_from_the_test_side():
    with pytest.raises(EcgError, match="split.val_records.*100"):
        split(fake_beats(), records_cfg([100, 118]), "inter_patient")


def test_extra_train_adds_every_record_of_its_database_and_nothing_to_the_test():
    beats = fake_beats(extra=range(5))
    records = beats["record"]
    plain = split(beats, records_cfg(), "inter_patient")
    more = split(beats, records_cfg(extra_train=["other"]), "inter_patient_svdb")
    assert set(records[more["train"]]) == set(DS1) | {"800", "801", "802", "803", "804"}
    assert set(records[plain["train"]]) == set(DS1)
    assert np.array_equal(plain["test"], more["test"])  # DS2, whatever trains
    with pytest.raises(EcgError, match="split.extra_train: nope not among"):
        split(beats, records_cfg(extra_train=["nope"]), "x")


def test_extra_train_never_trains_on_ds2():
    beats = fake_beats()
    beats["database"][beats["record"] == "100"] = "other"  # a DS2 record in another database
    with pytest.raises(EcgError, match=r"would train on DS2 records \['100'\]"):
        split(beats, records_cfg(extra_train=["other"]), "x")


def test_intra_patient_sets_are_disjoint_stratified_and_complete():
    beats = fake_beats(extra=range(3))
    labels = beats["label"]
    cfg = {"method": "beats", "beats_from": ["mitdb"], "test_fraction": 0.2, "val_fraction": 0.1,
           "seed": 0}
    sets = split(beats, cfg, "intra_patient")
    all_idx = np.concatenate(list(sets.values()))
    mitdb = np.flatnonzero(beats["database"] == "mitdb")
    assert np.array_equal(np.sort(all_idx), mitdb)  # no beat in two sets, none lost or added
    assert abs(len(sets["test"]) / len(mitdb) - 0.2) < 0.01
    test_share = np.bincount(labels[sets["test"]]) / np.bincount(labels[mitdb])
    assert np.allclose(test_share, 0.2, atol=0.02)
    again = split(beats, cfg, "intra_patient")
    assert all(np.array_equal(sets[k], again[k]) for k in sets)


def test_a_class_missing_from_training_stops_the_run():
    beats = fake_beats()
    records, labels = beats["record"], beats["label"]
    labels[np.isin(records, DS1) & (labels == 3)] = 0
    with pytest.raises(EcgError, match="no beats of class F"):
        split(beats, records_cfg([114]), "inter_patient")


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


def test_record_balance_draws_records_alike():
    # Record 1 has 2 000 N beats, record 2 only 50 (a patient with a rare morphology).
    records = np.array([1] * 2000 + [2] * 50 + [1] * 300)
    labels = np.array([0] * 2050 + [2] * 300, dtype=np.int8)
    train = np.arange(len(labels))
    alike = resample_indices(train, labels, "down", 100, 1, 0, record_balance=1.0,
                             records=records)
    uniform = resample_indices(train, labels, "down", 100, 1, 0, records=records)
    assert np.sum(records[alike] == 2) >= 30  # up to half of the 100 N draws: record 2's
    assert np.sum(records[uniform] == 2) <= 10  # about 100 * 50 / 2050
    assert len(set(alike)) == len(alike) == 200  # down-sampling: no beat twice
    assert np.array_equal(alike, resample_indices(train, labels, "down", 100, 1, 0,
                                                  record_balance=1.0, records=records))
    up = resample_indices(train, labels, "up", 3000, 2, 0, record_balance=1.0, records=records)
    assert set(train[labels == 0]) <= set(up)  # up-sampling still keeps every original
    assert np.sum(records[up] == 2) > 2 * 50  # and its copies favour the small record
    with pytest.raises(EcgError, match="record_balance"):
        resample_indices(train, labels, "down", 100, 1, 0, record_balance=1.0)


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
