"""DVC stage: score one protocol's model on its test set, once, and draw the figures."""

import sys

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report

from ecgcnn import plots
from ecgcnn.aami import CLASSES
from ecgcnn.checkpoint import load_model
from ecgcnn.dataset import load_sets
from ecgcnn.io import EcgError, load_params, save_figure, write_csv, write_json, write_text
from ecgcnn.metrics import evaluation, roc_curves
from ecgcnn.train import predict_probs


def main(protocol):
    params = load_params(protocol=protocol)["evaluate"]
    test = load_sets(protocol, names=("test",))["test"]
    model, config = load_model(f"models/{protocol}")
    probs = predict_probs(model, test["x"], test["rr"], batch_size=params["batch_size"])
    scores, cm = evaluation(test["y"], probs)
    write_json(f"metrics/{protocol}/eval.json", scores)
    write_text(f"metrics/{protocol}/report.txt", classification_report(
        test["y"], probs.argmax(1), labels=range(len(CLASSES)), target_names=CLASSES,
        digits=4, zero_division=0))

    out = f"plots/{protocol}"
    write_csv(f"{out}/confusion.csv", plots.confusion_table(cm))
    save_figure(f"{out}/confusion.png", plots.confusion_figure(cm, f"{protocol}: test set"))
    curves = roc_curves(test["y"], probs)
    write_csv(f"{out}/roc.csv", pd.concat(
        [pd.DataFrame({"class": c, "fpr": fpr, "tpr": tpr}) for c, (fpr, tpr) in curves.items()]))
    aucs = {c: scores["classes"][c]["auc"] for c in curves}
    save_figure(f"{out}/roc.png", plots.roc_figure(curves, aucs, f"{protocol}: one-vs-rest ROC"))
    before = int(round(config["extract"]["window_before_s"] * config["extract"]["target_fs"]))
    save_figure(f"{out}/examples.png", plots.examples_figure(
        test["x"], test["y"], config["extract"]["target_fs"], before, params["example_beats"]))
    print(f"{protocol}: accuracy {scores['accuracy']:.4f}, macro-F1 {scores['macro_f1']:.4f}")
    print(np.array2string(cm))


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
