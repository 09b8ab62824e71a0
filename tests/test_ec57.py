import numpy as np
import pytest

from ecgcnn.ec57 import gross, per_record

# rows: reference N S V F Q; columns: label n s v f q
CM = np.array([
    [900, 20, 10, 3, 1],   # N
    [5, 40, 2, 1, 0],      # S
    [4, 6, 80, 2, 0],      # V
    [3, 2, 7, 10, 0],      # F
    [1, 9, 4, 0, 2],       # Q
])


def test_veb_follows_bxb_fusion_and_q_labelled_v_are_not_false_positives():
    veb = gross(CM)["veb"]
    tp, fn, fp = 80, 4 + 6 + 2, 10 + 2  # FP = Nv + Sv; Fv (7) and Qv (4) are not counted
    tn = (934 - 10) + (48 - 2) + (22 - 7) + (16 - 4)  # N, S, F, Q beats not labelled v
    assert veb["se"] == pytest.approx(tp / (tp + fn))
    assert veb["ppv"] == pytest.approx(tp / (tp + fp))
    assert veb["fpr"] == pytest.approx(fp / (tn + fp))


def test_sveb_counts_n_v_f_labelled_s_as_false_positives_but_not_q():
    sveb = gross(CM)["sveb"]
    tp, fn, fp = 40, 5 + 2 + 1, 20 + 6 + 2  # Qs (9) is not a false positive
    tn = (934 - 20) + (92 - 6) + (22 - 2) + (16 - 9)
    assert sveb["se"] == pytest.approx(tp / (tp + fn))
    assert sveb["ppv"] == pytest.approx(tp / (tp + fp))
    assert sveb["fpr"] == pytest.approx(fp / (tn + fp))


def test_ec57_differs_from_one_vs_rest_where_the_rules_say():
    from ecgcnn.metrics import class_scores
    plain = class_scores(CM)
    assert gross(CM)["veb"]["se"] == pytest.approx(plain["V"]["se"])  # sensitivity is the same
    assert gross(CM)["veb"]["ppv"] > plain["V"]["ppv"]  # F and Q called V are forgiven


def test_undefined_statistics_are_none_not_zero():
    only_n = np.zeros((5, 5), int)
    only_n[0, 0] = 10
    stats = gross(only_n)
    assert stats["veb"]["se"] is None and stats["veb"]["ppv"] is None
    assert stats["veb"]["fpr"] == 0.0


def test_per_record_table_counts_each_record_separately():
    records = np.array(["a"] * 4 + ["b"] * 3)
    y = np.array([0, 0, 1, 2, 0, 0, 2])
    pred = np.array([0, 1, 1, 2, 0, 0, 0])
    rows = {r["record"]: r for r in per_record(records, y, pred)}
    a, b = rows["a"], rows["b"]
    assert (a["N"], a["S"], a["V"], a["errors"], a["N_wrong"]) == (2, 1, 1, 1, 1)
    assert a["accuracy"] == pytest.approx(0.75)
    assert a["S_se"] == 1.0 and a["S_ppv"] == pytest.approx(0.5) and a["V_se"] == 1.0
    assert b["S_se"] is None and b["V_se"] == 0.0 and b["V_ppv"] is None
    assert b["V_wrong"] == 1 and b["errors"] == 1


def test_with_detection_missed_and_extra_beats_count_as_bxb_counts_them():
    missed = np.array([30, 3, 5, 1, 0])  # No, So, Vo, Fo, Qo
    extra = np.array([50, 4, 9, 2, 1])  # On, Os, Ov, Of, Oq
    e = gross(CM, missed, extra)
    assert e["veb"]["se"] == pytest.approx(80 / (80 + 12 + 5))  # VFN += Vo
    assert e["veb"]["ppv"] == pytest.approx(80 / (80 + 12 + 9))  # VFP += Ov
    tn = (934 - 10) + (48 - 2) + (22 - 7) + (16 - 4) + (66 - 9)  # + On Os Of Oq
    assert e["veb"]["fpr"] == pytest.approx((12 + 9) / (tn + 12 + 9))
    assert e["sveb"]["se"] == pytest.approx(40 / (40 + 8 + 3))  # SFN += So
    assert e["sveb"]["ppv"] == pytest.approx(40 / (40 + 28 + 4))  # SFP += Os
    assert gross(CM, np.zeros(5), np.zeros(5)) == gross(CM)
