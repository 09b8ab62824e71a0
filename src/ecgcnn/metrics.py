"""Scores in the AAMI EC57 vocabulary: Se (recall), +P (precision), specificity, F1, AUC.

These are plain one-vs-rest statistics of the 5-class confusion matrix. EC57's own VEB/SVEB
rules (how fusion and unclassifiable beats count) are in `ec57.py`.
"""

import numpy as np
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

from .aami import CLASSES


def ratio(num, den):
    return float(num / den) if den else 0.0


def confusion(y_true, y_pred):
    """5x5 counts, rows = reference class, columns = predicted class."""
    return confusion_matrix(y_true, y_pred, labels=range(len(CLASSES)))


def class_scores(cm):
    """{class: se, ppv, f1, spec, support} one-vs-rest, from a confusion matrix."""
    total = cm.sum()
    out = {}
    for k, c in enumerate(CLASSES):
        tp = cm[k, k]
        fn = cm[k].sum() - tp
        fp = cm[:, k].sum() - tp
        tn = total - tp - fn - fp
        se, ppv = ratio(tp, tp + fn), ratio(tp, tp + fp)
        out[c] = {"se": se, "ppv": ppv, "f1": ratio(2 * se * ppv, se + ppv),
                  "spec": ratio(tn, tn + fp), "support": int(tp + fn)}
    return out


def macro_f1_of(cm):
    """Unweighted mean F1 over the classes present in the reference (rows with beats)."""
    scores = class_scores(cm)
    present = [c for k, c in enumerate(CLASSES) if cm[k].sum() > 0]
    return float(np.mean([scores[c]["f1"] for c in present])) if present else 0.0


def macro_f1(y_true, y_pred):
    """Unweighted mean F1 over the classes present in `y_true`."""
    return macro_f1_of(confusion(y_true, y_pred))


def accuracy_of(cm):
    return ratio(np.trace(cm), cm.sum())


def summary_scores(cm):
    """The flat numbers cross-validation and seeds are compared on (one-vs-rest)."""
    scores = class_scores(cm)
    out = {"accuracy": accuracy_of(cm), "macro_f1": macro_f1_of(cm)}
    for c in ("S", "V"):
        out.update({f"{c}_f1": scores[c]["f1"], f"{c}_se": scores[c]["se"],
                    f"{c}_ppv": scores[c]["ppv"]})
    out["F_se"] = scores["F"]["se"]
    out["N_as_F"] = ratio(cm[0, 3], cm[0].sum())  # false F: how F transfers to new patients
    return out


def evaluation(y_true, probs, predicted=None):
    """The eval.json dict (schema in docs/design.md) and the confusion matrix of `predicted`
    (default: the most probable class; AUCs always from the probabilities)."""
    cm = confusion(y_true, probs.argmax(1) if predicted is None else predicted)
    classes = class_scores(cm)
    for k, c in enumerate(CLASSES):
        present = 0 < classes[c]["support"] < len(y_true)
        classes[c] = {**classes[c], "auc": float(roc_auc_score(y_true == k, probs[:, k]))
                      if present else None}
        classes[c]["support"] = classes[c].pop("support")  # keep the documented key order
    return {"accuracy": accuracy_of(cm), "macro_f1": macro_f1_of(cm), "test_beats": int(cm.sum()),
            "classes": classes}, cm


def roc_curves(y_true, probs, max_points=200):
    """{class: (fpr, tpr)} one-vs-rest, thinned to at most `max_points` points each."""
    curves = {}
    for k, c in enumerate(CLASSES):
        if 0 < (y_true == k).sum() < len(y_true):
            fpr, tpr, _ = roc_curve(y_true == k, probs[:, k], drop_intermediate=True)
            keep = np.unique(np.linspace(0, len(fpr) - 1, min(max_points, len(fpr))).astype(int))
            curves[c] = (fpr[keep], tpr[keep])
    return curves


def spread(values):
    """{mean, std, min, max} of a list of numbers (population std: these are all the runs)."""
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()),
            "max": float(v.max())}
