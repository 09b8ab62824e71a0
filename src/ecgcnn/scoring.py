"""Scoring every model of a protocol on a set of beats: the evaluate and cross_database
stages. The first seed is the protocol's default model (params `models` order)."""

import numpy as np

from . import ec57
from .checkpoint import load_model
from .dataset import model_dir, seeds_of
from .metrics import confusion, evaluation
from .train import predict_probs


def predict_seeds(models, protocol, beats, batch_size):
    """{seed: class probabilities [n, 5]} of every model of `protocol` on `beats` (x, rr)."""
    probs = {}
    for seed in seeds_of(models, protocol):
        model, _ = load_model(model_dir(protocol, seed))
        probs[seed] = predict_probs(model, beats["x"], beats["rr"], batch_size=batch_size)
    return probs


def scores(y, probs):
    """(eval dict of the default model, seeds dict over every model, default's 5x5): the
    eval.json and seeds.json schemas of docs/design.md."""
    default = next(iter(probs))
    one, cm = evaluation(y, probs[default])
    seeds = ec57.over_seeds({s: confusion(y, p.argmax(1)) for s, p in probs.items()})
    return {**one, "ec57": ec57.gross(cm)}, seeds, cm


def per_record_rows(beats, probs):
    """EC57's record-by-record table of the default model."""
    default = next(iter(probs))
    return ec57.per_record(beats["record"], beats["y"], probs[default].argmax(1))


def database_subset(beats, database):
    """Indices of every beat of one database."""
    return np.flatnonzero(beats["database"] == database)
