"""Patient-adaptive classification: the general model plus a few labelled beats of one record.

An analyst reviewing a Holter or monitoring record labels a handful of its beats anyway
(EC57 calls the first 5 minutes the learning period). The adaptation keeps the network's
convolutional trunk, whose beat-shape features were learnt on many patients, and fine-tunes
the small layers on top of it (params `adapt.parameters`: the shape path's dense and output
layers, the rhythm path's two layers, or only some of their biases) on the labelled beats,
with full-batch Adam for `steps` steps. An L2 pull towards the general model's weights
(`anchor`, "L2-SP", Li et al. 2018) keeps a few beats of one class from erasing what the
model knows of the others; `class_balance` weighs the labelled beats by their class's
frequency to the power -balance (0: every beat alike, 1: every class alike).

The result is a correction for that record only: the general model is never changed, and
nothing but the labelled beats' inputs and labels enters it. The trunk runs once per beat
(`embed`); the heads then cost a few matrix products, so an adaptation takes milliseconds
once its step is compiled (one compilation per padded size, `padded`).
"""

import functools
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from .aami import CLASSES
from .io import EcgError
from .params import HEAD_LAYERS
from .train import batched

MIN_PADDED = 16  # labelled beats are padded to a power of two >= this: few compilations


@functools.cache  # one jitted trunk per model structure
def make_embed(graphdef):
    @jax.jit
    def embed(params, x):
        model = nnx.merge(graphdef, params)
        h = nnx.relu(model.stem(x[..., model.shape_channels]))
        for block in model.blocks:
            h = block(h)
        return h.reshape(h.shape[0], -1)

    return embed


def embed(model, x, batch_size=4096):
    """The trunk's output [n, features] of beats x: what the shape path's dense layer reads."""
    graphdef, params = nnx.split(model, nnx.Param)
    return batched(functools.partial(make_embed(graphdef), params), (x,), batch_size)


def head_weights(model):
    """{"layer.kernel" / "layer.bias": array} of the layers above the trunk, and the
    record's own layer ("residual"), zero in the general model."""
    weights = {f"{layer}.{name}": jnp.asarray(value)
               for layer in HEAD_LAYERS if layer != "residual"
               for name, value in nnx.to_pure_dict(nnx.state(getattr(model, layer),
                                                             nnx.Param)).items()}
    features = weights["shape_dense.kernel"].shape[1] + weights["rr_dense.kernel"].shape[0]
    weights["residual.kernel"] = jnp.zeros((features, len(CLASSES)))
    weights["residual.bias"] = jnp.zeros(len(CLASSES))
    return weights


def head_logits(w, z, rr, shape_of_class):
    """The model's logits from trunk features z and RR features: BeatClassifier.__call__
    above the trunk, at inference (no dropout), plus the residual layer: a linear classifier
    of the shape path's dense features and the RR features, whose S logit, unlike the shape
    path's, can tell a record's S beats from its N beats by their shape."""
    h = nnx.relu(z @ w["shape_dense.kernel"] + w["shape_dense.bias"])
    shape = (h @ w["shape_out.kernel"] + w["shape_out.bias"])[:, jnp.array(shape_of_class)]
    rhythm = nnx.relu(rr @ w["rr_dense.kernel"] + w["rr_dense.bias"])
    own = jnp.concatenate([h, rr], axis=1) @ w["residual.kernel"] + w["residual.bias"]
    return shape + rhythm @ w["rr_out.kernel"] + w["rr_out.bias"] + own


def trainable_names(parameters):
    """The weights `adapt.parameters` names: a layer (its kernel and bias) or one
    "layer.bias" / "layer.kernel"."""
    names = []
    for entry in parameters:
        layer, _, part = entry.partition(".")
        names += [f"{layer}.{p}" for p in ((part,) if part else ("kernel", "bias"))]
    return tuple(names)


@functools.partial(jax.jit, static_argnames=("names", "steps", "shape_of_class"))
def fit_heads(weights, z, rr, y, beat_weight, lr, anchor, *, names, steps, shape_of_class):
    """The head weights after `steps` full-batch Adam steps on the weighted labelled beats
    (padding has weight 0), the `names` weights trained, pulled towards their start."""
    start = {k: weights[k] for k in names}
    frozen = {k: v for k, v in weights.items() if k not in names}
    tx = optax.adam(lr)

    def loss(trained):
        logits = head_logits({**frozen, **trained}, z, rr, shape_of_class)
        ce = optax.softmax_cross_entropy_with_integer_labels(logits, y)
        pull = sum(jnp.sum((trained[k] - start[k]) ** 2) for k in names)
        return jnp.sum(beat_weight * ce) + anchor * pull

    def step(carry, _):
        trained, state = carry
        updates, state = tx.update(jax.grad(loss)(trained), state, trained)
        return (optax.apply_updates(trained, updates), state), None

    (trained, _), _ = jax.lax.scan(step, (start, tx.init(start)), None, length=steps)
    return {**frozen, **trained}


def beat_weights(y, class_balance, prior_beats=0):
    """Per labelled beat, its class's count to the power -class_balance, summing to
    n / (n + prior_beats) for n labelled beats: a few beats move the model less than many
    (with prior_beats 0, two beats as far as four hundred)."""
    counts = np.bincount(y, minlength=len(CLASSES)).astype(np.float64)
    w = counts[y] ** -float(class_balance)
    return (w / w.sum() * len(y) / (len(y) + prior_beats)).astype(np.float32)


def padded(n):
    return max(MIN_PADDED, 1 << int(np.ceil(np.log2(max(n, 1)))))


def adapt_heads(model, z, rr, y, cfg):
    """Head weights adapted to the labelled beats (trunk features z, RR features rr, AAMI
    class indices y) with the knobs of params `adapt`; the general model's weights when
    there is no labelled beat."""
    weights = head_weights(model)
    y = np.asarray(y, dtype=np.int32)
    if len(y) == 0:
        return weights
    n, size = len(y), padded(len(y))

    def pad(a):
        return np.concatenate([a, np.zeros((size - n, *a.shape[1:]), a.dtype)])

    return fit_heads(weights, pad(np.asarray(z, np.float32)), pad(np.asarray(rr, np.float32)),
                     pad(y), pad(beat_weights(y, cfg["class_balance"], cfg["prior_beats"])),
                     jnp.float32(cfg["lr"]), jnp.float32(cfg["anchor"]),
                     names=trainable_names(cfg["parameters"]), steps=int(cfg["steps"]),
                     shape_of_class=tuple(model.shape_of_class))


@functools.partial(jax.jit, static_argnames=("shape_of_class",))
def head_probs(weights, z, rr, shape_of_class):
    return jax.nn.softmax(head_logits(weights, z, rr, shape_of_class))


def probs_with(model, weights, z, rr, batch_size=4096):
    """Class probabilities [n, 5] of every beat with the head `weights` (from adapt_heads)."""
    fn = functools.partial(head_probs, weights, shape_of_class=tuple(model.shape_of_class))
    return batched(fn, (np.asarray(z, np.float32), np.asarray(rr, np.float32)), batch_size)


def nearness(rr, labelled_rr, reach):
    """Per beat, exp(-d² / 2 reach²), d its distance to the nearest labelled beat in RR
    feature space (log-ratios: 0.1 is a beat 10 % early); 1 everywhere when reach is 0."""
    if reach == 0:
        return np.ones(len(rr))
    if len(labelled_rr) == 0:
        return np.zeros(len(rr))
    d2 = np.full(len(rr), np.inf)
    for part in np.array_split(np.asarray(labelled_rr, np.float64), -(-len(labelled_rr) // 256)):
        d2 = np.minimum(d2, ((rr[:, None, :] - part[None]) ** 2).sum(-1).min(1))
    return np.exp(-d2 / (2 * reach ** 2))


def blended_probs(model, weights, z, rr, labelled_rr, cfg):
    """Adapted probabilities where the labelled beats say something, the general model's
    elsewhere: p = w p_adapted + (1 - w) p_general, w = nearness (params adapt.reach). A beat
    whose rhythm no labelled beat had (an early beat in a record whose labelled beats were all
    regular) keeps the general model's call."""
    adapted = probs_with(model, weights, z, rr)
    w = nearness(np.asarray(rr, np.float64), labelled_rr, cfg["reach"])[:, None]
    if np.all(w == 1):
        return adapted
    general = probs_with(model, head_weights(model), z, rr)
    return (w * adapted + (1 - w) * general).astype(np.float32)


def adapted_probs(model, x, rr, labelled, labels, cfg, z=None):
    """Probabilities of every beat of one record (x, rr) after adapting to the beats at
    indices `labelled` with classes `labels`; `z`, the trunk features, when already known."""
    z = embed(model, x) if z is None else z
    labelled = np.asarray(labelled, dtype=np.int64)
    weights = adapt_heads(model, z[labelled], rr[labelled], labels, cfg)
    return blended_probs(model, weights, z, rr, rr[labelled], cfg)


def config_for(model_dir):
    """The adaptation knobs for a model: MODEL_DIR/adapt.json when there is one, else the
    package's (params.yaml `adapt` of the committed run, copied by `make package-model`)."""
    from .default_model import ADAPT_FILE

    own = Path(model_dir) / "adapt.json"
    path = own if own.exists() else ADAPT_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise EcgError(f"{path}: not an adaptation config ({type(e).__name__}: {e})") from e


def labelled_beats(path, extension, fs, length, beats=None, minutes=None):
    """(samples, AAMI classes, what was taken) of the expert-labelled beats of RECORD.EXT:
    all of them, those in the first `minutes`, or the first `beats` of those."""
    from .records import read_beats

    if beats is not None and beats < 1:
        raise EcgError(f"--adapt-beats {beats}: must be at least 1")
    if minutes is not None and minutes <= 0:
        raise EcgError(f"--adapt-minutes {minutes:g}: must be positive")
    if not Path(f"{path}.{extension}").exists():
        raise EcgError(f"{path}.{extension}: no such annotation file (--adapt-from "
                       f"{extension})")
    samples, classes, _ = read_beats(path, extension, fs, length)
    what = f"{path}.{extension}"
    if minutes is not None:
        keep = samples < minutes * 60.0 * fs
        samples, classes, what = samples[keep], classes[keep], f"{what}, first {minutes:g} min"
    if beats is not None:
        samples, classes, what = samples[:beats], classes[:beats], f"{what}, first {beats} beats"
    if len(samples) == 0:
        raise EcgError(f"{what}: no labelled beat to adapt with")
    return samples, classes.astype(np.int32), what
