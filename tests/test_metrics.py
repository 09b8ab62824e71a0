import numpy as np
import pytest

from ecgcnn.metrics import evaluation, macro_f1, roc_curves


def probs_for(pred, n_classes=5, confidence=0.9):
    p = np.full((len(pred), n_classes), (1 - confidence) / (n_classes - 1))
    p[np.arange(len(pred)), pred] = confidence
    return p


def test_scores_match_hand_computed_values():
    # N: 6 beats, 5 right, 1 called S. S: 2 beats, 1 right, 1 called N. V: 2 beats, both right.
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2])
    pred = np.array([0, 0, 0, 0, 0, 1, 1, 0, 2, 2])
    scores, cm = evaluation(y, probs_for(pred))
    assert cm[0, 1] == 1 and cm[1, 0] == 1 and cm.sum() == 10
    assert scores["accuracy"] == pytest.approx(0.8)
    n, s, v = (scores["classes"][c] for c in "NSV")
    assert n["se"] == pytest.approx(5 / 6) and n["ppv"] == pytest.approx(5 / 6)
    assert n["spec"] == pytest.approx(3 / 4)  # 4 non-N beats, 1 called N
    assert s["se"] == pytest.approx(0.5) and s["ppv"] == pytest.approx(0.5)
    assert s["spec"] == pytest.approx(7 / 8)
    assert v["f1"] == pytest.approx(1.0) and v["support"] == 2
    assert scores["macro_f1"] == pytest.approx((5 / 6 + 0.5 + 1.0) / 3)  # F, Q absent
    assert scores["classes"]["F"]["auc"] is None and scores["classes"]["F"]["support"] == 0
    assert scores["test_beats"] == 10


def test_auc_is_one_for_perfect_ranking():
    y = np.array([0, 0, 1, 1])
    p = probs_for(np.array([0, 0, 1, 1]))
    assert evaluation(y, p)[0]["classes"]["S"]["auc"] == pytest.approx(1.0)


def test_macro_f1_ignores_classes_absent_from_truth():
    assert macro_f1(np.array([0, 0, 1]), np.array([0, 0, 4])) == pytest.approx(0.5)


def test_roc_curves_only_for_present_classes_and_bounded():
    y = np.repeat([0, 1, 2], 500)
    p = np.random.default_rng(0).dirichlet(np.ones(5), size=len(y))
    curves = roc_curves(y, p, max_points=50)
    assert set(curves) == {"N", "S", "V"}
    for fpr, tpr in curves.values():
        assert len(fpr) <= 50 and fpr[0] == 0 and tpr[-1] == 1
