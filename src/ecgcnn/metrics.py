"""Scores in the AAMI EC57 vocabulary: Se (recall), +P (precision), specificity, F1, AUC."""

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, roc_auc_score, roc_curve

from .aami import CLASSES


def macro_f1(y_true, y_pred):
    """Unweighted mean F1 over the classes present in `y_true`."""
    present = np.unique(y_true)
    return float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))


def ratio(num, den):
    return float(num / den) if den else 0.0


def evaluation(y_true, probs):
    """The eval.json dict (schema in DESIGN.md) and the confusion matrix."""
    y_pred = probs.argmax(1)
    cm = confusion_matrix(y_true, y_pred, labels=range(len(CLASSES)))
    total = cm.sum()
    classes = {}
    for k, c in enumerate(CLASSES):
        tp = cm[k, k]
        fn = cm[k].sum() - tp
        fp = cm[:, k].sum() - tp
        tn = total - tp - fn - fp
        se, ppv = ratio(tp, tp + fn), ratio(tp, tp + fp)
        classes[c] = {
            "se": se, "ppv": ppv, "f1": ratio(2 * se * ppv, se + ppv), "spec": ratio(tn, tn + fp),
            "auc": float(roc_auc_score(y_true == k, probs[:, k])) if 0 < tp + fn < total else None,
            "support": int(tp + fn),
        }
    return {
        "accuracy": ratio(np.trace(cm), total),
        "macro_f1": macro_f1(y_true, y_pred),
        "test_beats": int(total),
        "classes": classes,
    }, cm


def roc_curves(y_true, probs, max_points=200):
    """{class: (fpr, tpr)} one-vs-rest, thinned to at most `max_points` points each."""
    curves = {}
    for k, c in enumerate(CLASSES):
        if 0 < (y_true == k).sum() < len(y_true):
            fpr, tpr, _ = roc_curve(y_true == k, probs[:, k], drop_intermediate=True)
            keep = np.unique(np.linspace(0, len(fpr) - 1, min(max_points, len(fpr))).astype(int))
            curves[c] = (fpr[keep], tpr[keep])
    return curves
