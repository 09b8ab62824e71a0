"""Saving and loading a trained model: its parameters (msgpack) + a JSON config.

The config holds everything needed to rebuild the model and to prepare new recordings the
way the training beats were prepared (the extract params), so `ecgcnn predict` needs only
the model directory.

Parameters are one msgpack file written by flax.serialization, not an orbax checkpoint:
the same parameters give the same bytes, so a rerun of an unchanged stage leaves the model's
hash in dvc.lock unchanged. (orbax's OCDBT layout names its files at random and writes commit
timestamps: two identical models hashed differently every run.)
"""

import json
from pathlib import Path

import jax
import numpy as np
from flax import nnx, serialization

from .io import EcgError, atomic_path
from .model import build_model

PARAMS_FILE = "params.msgpack"


def model_config(model_cfg, extract_cfg, train, protocol, seed, quality_cfg=None):
    """config.json of a model of `protocol` trained on `train` (x, rr) with the params groups
    model and extract: what rebuilds it and prepares new recordings as its training beats
    were; and quality, predict's gate (quality.py), when given."""
    _, window, channels = train["x"].shape
    config = {"model": model_cfg, "extract": extract_cfg, "window": window,
              "channels": channels, "rr_features": train["rr"].shape[1], "protocol": protocol,
              "seed": seed}
    return config if quality_cfg is None else {**config, "quality": quality_cfg}


def save_model(model_dir, model, config):
    """Write `model_dir` (params.msgpack + config.json) atomically."""
    params = jax.tree.map(np.asarray, nnx.to_pure_dict(nnx.state(model, nnx.Param)))
    with atomic_path(model_dir) as tmp:
        tmp.mkdir()
        (tmp / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        (tmp / PARAMS_FILE).write_bytes(serialization.msgpack_serialize(params))


def shapes(tree, prefix=""):
    """{dotted parameter name: shape} of a nested dict of arrays."""
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        out.update(shapes(value, f"{name}.") if isinstance(value, dict)
                   else {name: tuple(np.shape(value))})
    return out


def shape_differences(want, have, limit=3):
    """The first differences between two {parameter name: shape} dicts, in words."""
    out = [f"{k}: checkpoint {have[k]}, config {want[k]}"
           for k in sorted(want.keys() & have.keys()) if want[k] != have[k]]
    out += [f"{k} missing from the checkpoint" for k in sorted(want.keys() - have.keys())]
    out += [f"{k} not in the config's model" for k in sorted(have.keys() - want.keys())]
    more = f"; {len(out) - limit} more" if len(out) > limit else ""
    return "; ".join(out[:limit]) + more


def load_model(model_dir):
    """(model, config) from a directory written by save_model; clear errors when it can't.

    The model is built abstractly (nnx.eval_shape) and the saved parameters fill it: building
    it eagerly would compile its random initialisation, ~5 s on CPU, longer than
    classifying a whole record with `ecgcnn predict`.
    """
    model_dir = Path(model_dir)
    config_file, params_file = model_dir / "config.json", model_dir / PARAMS_FILE
    if not config_file.exists() or not params_file.exists():
        raise EcgError(f"{model_dir}: no trained model here (expected config.json and "
                       f"{PARAMS_FILE}; run `dvc repro` first)")
    try:
        config = json.loads(config_file.read_text())
        model = nnx.eval_shape(lambda: build_model(config["model"], config["window"],
                                                   config["channels"], config["rr_features"],
                                                   seed=0))
    except (ValueError, KeyError, TypeError) as e:
        raise EcgError(f"{config_file}: not a model config ({type(e).__name__}: {e})") from e
    abstract = nnx.state(model, nnx.Param)
    try:
        params = serialization.msgpack_restore(params_file.read_bytes())
    except Exception as e:  # msgpack raises several types for damaged bytes
        raise EcgError(f"{params_file}: not a saved model ({type(e).__name__}: "
                       f"{str(e)[:200]})") from e
    if not isinstance(params, dict):
        raise EcgError(f"{params_file}: not a saved model (no parameter tree)")
    diff = shape_differences(shapes(nnx.to_pure_dict(abstract)), shapes(params))
    if diff:
        raise EcgError(f"{params_file}: does not match the model in config.json ({diff})")
    nnx.replace_by_pure_dict(abstract, params)
    nnx.update(model, abstract)
    return model, config
