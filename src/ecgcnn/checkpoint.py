"""Saving and loading a trained model: orbax checkpoint of the parameters + a JSON config.

The config holds everything needed to rebuild the model and to prepare new recordings the
way the training beats were prepared (the extract params), so `ecgcnn predict` needs only
the model directory.
"""

import json
from pathlib import Path

import jax
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

    The model is built abstractly (nnx.eval_shape) and the checkpoint fills it: building
    it eagerly would compile its random initialisation, ~5 s on CPU, longer than
    classifying a whole record with `ecgcnn predict`.
    """
    model_dir = Path(model_dir)
    config_file = model_dir / "config.json"
    if not config_file.exists() or not (model_dir / "checkpoint").exists():
        raise EcgError(f"{model_dir}: no trained model here (expected config.json and "
                       "checkpoint/; run `dvc repro` first)")
    try:
        config = json.loads(config_file.read_text())
        model = nnx.eval_shape(lambda: build_model(config["model"], config["window"],
                                                   config["channels"], config["rr_features"],
                                                   seed=0))
    except (ValueError, KeyError, TypeError) as e:
        raise EcgError(f"{config_file}: not a model config ({type(e).__name__}: {e})") from e
    abstract = nnx.state(model, nnx.Param)
    want = {".".join(str(k.key) for k in path) + ".value": tuple(leaf.shape)
            for path, leaf in jax.tree_util.tree_leaves_with_path(nnx.to_pure_dict(abstract))}
    checkpoint = (model_dir / "checkpoint").absolute()
    try:
        with ocp.StandardCheckpointer() as checkpointer:
            meta = checkpointer.metadata(checkpoint)
            meta = getattr(meta, "item_metadata", meta)
            have = {m.name: tuple(m.shape) for m in jax.tree.leaves(meta)}
            # Compared before restoring: orbax fails on a mismatch only after starting
            # every read, and prints a traceback per array.
            diff = shape_differences(want, have)
            if diff:
                raise EcgError(f"{model_dir}/checkpoint: does not match the model in "
                               f"config.json ({diff})")
            params = checkpointer.restore(checkpoint, abstract)
    except EcgError:
        raise
    except Exception as e:
        raise EcgError(f"{model_dir}/checkpoint: cannot restore it for the model in "
                       f"config.json ({type(e).__name__}: {str(e)[:300]})") from e
    nnx.update(model, params)
    return model, config
