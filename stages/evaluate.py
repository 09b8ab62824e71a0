"""DVC stage: score every model of one protocol on its test set, once, and draw the figures.

The first model params.yaml lists for the protocol is its default (`ecgcnn predict`): its
scores are eval.json and the figures. seeds.json holds every seed's scores, mean and spread.
"""

import sys

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report

from ecgcnn import plots
from ecgcnn.aami import CLASSES
from ecgcnn.checkpoint import load_model
from ecgcnn.dataset import load_sets, model_dir
from ecgcnn.io import EcgError, save_figure, write_csv, write_json, write_text
from ecgcnn.metrics import roc_curves
from ecgcnn.params import load_params
from ecgcnn.scoring import per_record_rows, predict_seeds, scores


def main(protocol):
    params = load_params(protocol=protocol)
    cfg = params["evaluate"]
    test = load_sets(protocol, names=("test",))["test"]
    runs = predict_seeds(params["models"], protocol, test, cfg["batch_size"])
    default = next(iter(runs))
    _, config = load_model(model_dir(protocol, default))
    y, (p, predicted) = test["y"], runs[default]
    scores_of_default, seeds, cm = scores(y, runs)
    write_json(f"metrics/{protocol}/eval.json", scores_of_default)
    write_json(f"metrics/{protocol}/seeds.json", seeds)
    write_text(f"metrics/{protocol}/report.txt", classification_report(
        y, predicted, labels=range(len(CLASSES)), target_names=CLASSES, digits=4,
        zero_division=0))

    out = f"plots/{protocol}"
    rows = pd.DataFrame(per_record_rows(test, runs))
    write_csv(f"{out}/per_record.csv", rows)
    save_figure(f"{out}/per_record.png", plots.per_record_figure(
        rows, f"{protocol}: errors per test record (seed {default})"))
    write_csv(f"{out}/confusion.csv", plots.confusion_table(cm))
    save_figure(f"{out}/confusion.png", plots.confusion_figure(cm, f"{protocol}: test set"))
    curves = roc_curves(y, p)
    write_csv(f"{out}/roc.csv", plots.roc_table(curves))
    aucs = {c: scores_of_default["classes"][c]["auc"] for c in curves}
    save_figure(f"{out}/roc.png", plots.roc_figure(curves, aucs, f"{protocol}: one-vs-rest ROC"))
    extract = config["extract"]
    before = int(round(extract["window_before_s"] * extract["target_fs"]))
    save_figure(f"{out}/examples.png", plots.examples_figure(
        test["x"], y, extract["target_fs"], before, cfg["example_beats"]))
    print(f"{protocol} seed {default}: accuracy {scores_of_default['accuracy']:.4f}, "
          f"macro-F1 {scores_of_default['macro_f1']:.4f}")
    print(np.array2string(cm))


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
