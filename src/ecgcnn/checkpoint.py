"""Saving and loading a trained model: orbax checkpoint of the parameters + a JSON config.

The config holds everything needed to rebuild the model and to prepare new recordings the
way the training beats were prepared (the extract params), so `ecgcnn predict` needs only
the model directory.
"""

import json
from pathlib import Path

import orbax.checkpoint as ocp
from flax import nnx

from .io import EcgError, atomic_path
from .model import build_model


def save_model(model_dir, model, config):
    """Write `model_dir` (checkpoint/ + config.json) atomically."""
    with atomic_path(model_dir) as tmp:
        tmp.mkdir()
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        with ocp.StandardCheckpointer() as checkpointer:
            checkpointer.save((tmp / "checkpoint").absolute(), nnx.state(model, nnx.Param))


def load_model(model_dir):
    """(model, config) from a directory written by save_model; clear errors when it can't."""
    model_dir = Path(model_dir)
    config_file = model_dir / "config.json"
    if not config_file.exists() or not (model_dir / "checkpoint").exists():
        raise EcgError(f"{model_dir}: no trained model here (expected config.json and "
                       "checkpoint/; run `dvc repro` first)")
    config = json.loads(config_file.read_text())
    model = build_model(config["model"], config["window"], config["channels"],
                        config["rr_features"], seed=0)
    abstract = nnx.state(model, nnx.Param)
    try:
        with ocp.StandardCheckpointer() as checkpointer:
            params = checkpointer.restore((model_dir / "checkpoint").absolute(), abstract)
    except Exception as e:
        raise EcgError(f"{model_dir}/checkpoint: does not match the model in config.json "
                       f"({type(e).__name__}: {str(e)[:300]})") from e
    nnx.update(model, params)
    return model, config
