"""Scoring every model of a protocol on a set of beats: the evaluate and cross_database
stages. The first seed is the protocol's default model (params `models` order)."""

import numpy as np

from . import ec57
from .aami import CLASSES
from .checkpoint import load_model
from .dataset import model_dir, seeds_of
from .metrics import confusion, evaluation
from .quality import gated_classes
from .train import predict_probs


def predict_seeds(models, protocol, beats, batch_size):
    """{seed: (class probabilities [n, 5], predicted classes [n])} of every model of
    `protocol` on `beats` (x, rr): the class is the most probable one, or Q where the model's
    quality gate calls the beat unreadable, as `ecgcnn predict` calls it (quality.py)."""
    runs = {}
    for seed in seeds_of(models, protocol):
        model, config = load_model(model_dir(protocol, seed))
        probs = predict_probs(model, beats["x"], beats["rr"], batch_size=batch_size)
        runs[seed] = probs, gated_classes(config, beats["x"], probs.argmax(1), CLASSES.index("Q"))
    return runs


def scores(y, runs):
    """(eval dict of the default model, seeds dict over every model, default's 5x5): the
    eval.json and seeds.json schemas of docs/design.md."""
    probs, predicted = runs[next(iter(runs))]
    one, cm = evaluation(y, probs, predicted)
    seeds = ec57.over_seeds({s: confusion(y, p) for s, (_, p) in runs.items()})
    return {**one, "ec57": ec57.gross(cm)}, seeds, cm


def per_record_rows(beats, runs):
    """EC57's record-by-record table of the default model."""
    return ec57.per_record(beats["record"], beats["y"], runs[next(iter(runs))][1])


def database_subset(beats, database):
    """Indices of every beat of one database."""
    return np.flatnonzero(beats["database"] == database)
