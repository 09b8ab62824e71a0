import numpy as np
import pytest
import yaml
from conftest import SHARED_MITDB

from ecgcnn.aami import CLASSES
from ecgcnn.cv import check_folds, epoch_curve, fold_sets, report, suggest_folds
from ecgcnn.io import EcgError
from ecgcnn.records import read_beats
from ecgcnn.splits import DS1, DS2

PARAMS = yaml.safe_load(open(__import__("pathlib").Path(__file__).parents[1] / "params.yaml"))
FOLDS = PARAMS["cv"]["folds"]
SVDB_FOLDS = PARAMS["protocols"]["inter_patient_svdb"]["cv"]["folds"]
SVDB = [str(r) for r in PARAMS["databases"]["svdb"]["records"]]


def fake_ds1(seed=0):
    """Every DS1 record with 30 beats of every class, plus DS2 records that must be ignored."""
    records = np.repeat([*DS1, *DS2], 30)
    labels = np.tile(np.arange(5), len(records) // 5).astype(np.int8)
    return records, labels


def in_ds1(records):
    return np.isin(records, DS1)


def test_no_ds2_record_is_in_any_fold_and_folds_partition_ds1():
    flat = [str(r) for fold in FOLDS for r in fold]
    assert not set(flat) & set(DS2)
    assert sorted(flat) == sorted(DS1) and len(flat) == len(set(flat))
    assert len(FOLDS) >= 5


def test_fold_sets_hold_out_whole_records_and_never_touch_ds2():
    records, labels = fake_ds1()
    folds = check_folds(FOLDS, records, labels, in_ds1(records))
    for i, fold in enumerate(folds):
        sets = fold_sets(records, folds, i, in_ds1(records))
        assert set(records[sets["test"]]) == set(fold)
        assert not set(records[sets["train"]]) & set(fold)
        assert set(records[sets["train"]]) | set(fold) == set(DS1)


@pytest.mark.parametrize("bad, message", [
    ([[*FOLDS[0], 100], *FOLDS[1:]], r"\['100'\] are not training records"),
    ([FOLDS[0], *FOLDS[2:]], "missing"),
    ([[*FOLDS[0], FOLDS[1][0]], *FOLDS[1:]], "repeated"),
    ([[r for f in FOLDS for r in f]], "needs >= 2"),
])
def test_bad_folds_are_named(bad, message):
    records, labels = fake_ds1()
    with pytest.raises(EcgError, match=f"params cv.folds.*{message}"):
        check_folds(bad, records, labels, in_ds1(records))


def test_a_fold_without_s_beats_is_refused():
    records, labels = fake_ds1()
    labels[np.isin(records, [str(r) for r in FOLDS[2]]) & (labels == 1)] = 0
    with pytest.raises(EcgError, match=r"cv.folds\[2\].*no beats of class S"):
        check_folds(FOLDS, records, labels, in_ds1(records))


def test_svdb_folds_partition_the_61_training_records_and_mix_both_databases():
    flat = [str(r) for fold in SVDB_FOLDS for r in fold]
    assert sorted(flat) == sorted([*DS1, *SVDB]) and len(flat) == len(set(flat)) == 61
    assert all(set(map(str, f)) & set(DS1) and set(map(str, f)) & set(SVDB) for f in SVDB_FOLDS)
    # the noise stress test's patients share a fold: its models never saw either
    assert [f for f in SVDB_FOLDS if "118" in map(str, f)] == \
        [f for f in SVDB_FOLDS if "119" in map(str, f)]


def test_together_keeps_records_in_one_fold():
    records, labels = fake_ds1()
    folds = suggest_folds(records, labels, 5, in_ds1(records), together=[["118", "119"]])
    assert sum({"118", "119"} <= set(f) for f in folds) == 1


@pytest.mark.skipif(not SHARED_MITDB.exists(), reason="needs ../shared/mitdb")
def test_params_folds_are_the_suggested_ones_and_each_holds_n_s_v():
    parts = [(name, read_beats(SHARED_MITDB / name)[1]) for name in DS1]
    records = np.concatenate([np.full(len(y), name) for name, y in parts])
    labels = np.concatenate([y for _, y in parts])
    assert suggest_folds(records, labels, len(FOLDS), in_ds1(records)) == \
        [[str(r) for r in f] for f in FOLDS]
    for fold in check_folds(FOLDS, records, labels, in_ds1(records)):
        present = set(np.array(CLASSES)[np.unique(labels[np.isin(records, fold)])])
        assert {"N", "S", "V"} <= present


@pytest.mark.skipif(not (SHARED_MITDB.parent / "svdb").exists(), reason="needs ../shared/svdb")
def test_svdb_folds_are_the_suggested_ones():
    names = [*DS1, *SVDB]
    parts = [(name, read_beats(SHARED_MITDB.parent / ("mitdb" if name in DS1 else "svdb") /
                               name)[1]) for name in names]
    records = np.concatenate([np.full(len(y), name) for name, y in parts])
    labels = np.concatenate([y for _, y in parts])
    assert suggest_folds(records, labels, 5, np.ones(len(records), bool),
                         together=[["118", "119"]]) == [[str(r) for r in f] for f in SVDB_FOLDS]


def run(fold, seed, cms, by_record=None):
    by_record = by_record or {}
    return {"fold": fold, "seed": seed, "records": [], "confusion_by_epoch": cms,
            "confusion_by_record": by_record,
            "database_of_record": {r: r.split(":")[0] for r in by_record}}


def test_report_pools_folds_per_seed_then_averages_seeds():
    eye = np.diag([10, 10, 10, 0, 0])
    wrong_s = np.diag([10, 0, 10, 0, 0])
    wrong_s[1, 0] = 10  # every S beat called N
    runs = [run(0, 0, [wrong_s, eye]), run(1, 0, [eye, eye]),
            run(0, 1, [wrong_s, wrong_s]), run(1, 1, [eye, eye])]
    out = report(runs, [["a"], ["b"]], epoch=2)
    # seed 0 is perfect at epoch 2; seed 1 misses half of all S beats (pooled)
    assert out["S_se"]["mean"] == pytest.approx((1.0 + 0.5) / 2)
    assert out["S_se"]["std"] == pytest.approx(0.25)
    assert out["accuracy"]["mean"] == pytest.approx((1.0 + 50 / 60) / 2)
    assert out["per_fold"][0]["S_se"] == pytest.approx(0.5)  # mean over seeds of fold 0
    assert out["per_fold"][1]["S_se"] == pytest.approx(1.0)
    assert out["folds"] == 2 and out["seeds"] == [0, 1] and out["epoch"] == 2
    curve = epoch_curve(runs, 2)
    assert [row["epoch"] for row in curve] == [1, 2]
    assert curve[0]["S_f1"] < curve[1]["S_f1"]


def test_report_scores_each_database_from_its_own_records():
    eye = np.diag([10, 10, 10, 0, 0])
    n_as_f = np.diag([10, 10, 10, 0, 0])
    n_as_f[0] = [5, 0, 0, 5, 0]  # half the N beats called F
    runs = [run(0, 0, [eye + n_as_f], {"a:1": eye, "b:1": n_as_f}),
            run(1, 0, [eye], {"a:2": eye})]
    out = report(runs, [["a:1", "b:1"], ["a:2"]], epoch=1)
    assert out["databases"]["a"]["N_as_F"]["mean"] == 0.0
    assert out["databases"]["b"]["N_as_F"]["mean"] == pytest.approx(0.5)
    assert out["N_as_F"]["mean"] == pytest.approx(5 / 30)  # pooled over both databases
    assert out["per_fold"][0]["databases"]["b"]["accuracy"] == pytest.approx(25 / 30)
    assert set(out["per_fold"][1]["databases"]) == {"a"}
    assert out["databases"]["a"]["ec57"]["sveb"]["se"]["mean"] == 1.0
