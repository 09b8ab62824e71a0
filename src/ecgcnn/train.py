"""Training library: jit-compiled steps on device-resident data, data-parallel over devices.

The training set is put on the device once; each step gathers its batch there. Each
batch is sharded over a 1-D device mesh ('data'), parameters are replicated: the same code
runs on one CPU, a GPU, a TPU or several devices.
"""

import dataclasses
import functools
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P
from tqdm import tqdm

from .io import EcgError


def data_mesh():
    # Auto axes: XLA propagates the batch sharding; parameters stay replicated.
    return jax.make_mesh((jax.device_count(),), ("data",), axis_types=(AxisType.Auto,))


def replicate(mesh, tree):
    return jax.device_put(tree, NamedSharding(mesh, P()))


def shard_batch(mesh, x):
    return jax.lax.with_sharding_constraint(x, NamedSharding(mesh, P("data")))


def make_optimizer(cfg, steps_per_epoch):
    schedule = optax.warmup_cosine_decay_schedule(
        init_value=0.0, peak_value=cfg["lr"], warmup_steps=steps_per_epoch // 2,
        decay_steps=max(cfg["epochs"] * steps_per_epoch, steps_per_epoch))
    return optax.adamw(schedule, weight_decay=cfg["weight_decay"])


def cross_entropy(graphdef, params, x, rr, y, shape_keep, dropout_key):
    model = nnx.merge(graphdef, params)
    logits = model(x, rr, shape_keep=shape_keep, dropout_key=dropout_key)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def augment(key, x, cfg):
    """Beats as another recording might show them: a per-beat gain, white noise and a linear
    baseline drift, the same on both channels (channel 1 is the beat minus its record's
    template: what changes the beat changes it too). Sizes are relative to the record's
    median R amplitude (1 after normalisation); 0 switches each off."""
    gain_key, noise_key, drift_key = jax.random.split(key, 3)
    n, length = x.shape[0], x.shape[1]
    gain = 1.0 + cfg["gain"] * jax.random.uniform(gain_key, (n, 1, 1), minval=-1, maxval=1)
    noise = cfg["noise"] * jax.random.normal(noise_key, (n, length, 1))
    ramp = jnp.linspace(-1.0, 1.0, length)[None, :, None]
    drift = cfg["drift"] * jax.random.uniform(drift_key, (n, 1, 1), minval=-1, maxval=1) * ramp
    return (x * gain + noise + drift).astype(x.dtype)


def add_recorded_noise(key, x, bank, cfg):
    """A `recorded_noise` fraction of the beats get a random stretch of a random channel of
    `bank` (recorded_noise.noise_bank: conditioned noise at 0 dB), at an SNR drawn uniformly
    from `recorded_noise_snr_db`, the same on both channels (as `augment`)."""
    pick_key, row_key, start_key, snr_key = jax.random.split(key, 4)
    n, length = x.shape[0], x.shape[1]
    rows = jax.random.randint(row_key, (n,), 0, bank.shape[0])
    starts = jax.random.randint(start_key, (n,), 0, bank.shape[1] - length + 1)
    windows = bank[rows[:, None], starts[:, None] + jnp.arange(length)[None, :]]
    low, high = cfg["recorded_noise_snr_db"]
    snr = jax.random.uniform(snr_key, (n,), minval=low, maxval=high)
    gain = 10.0 ** (-snr / 20.0) * jax.random.bernoulli(pick_key, cfg["recorded_noise"], (n,))
    return (x + (gain[:, None] * windows)[:, :, None]).astype(x.dtype)


def step_augmentation(augment_cfg):
    """The augmentation numbers a train step uses, as a hashable tuple of items (the compiled
    step is cached on it); recorded_noise_sources are the stage's business (the bank)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                        for k, v in (augment_cfg or {}).items()
                        if k != "recorded_noise_sources"))


def white_augmentation(augmentation):
    return any(augmentation.get(k) for k in ("gain", "noise", "drift"))


def make_train_step(graphdef, tx, mesh, shape_dropout, augmentation=None):
    """A jitted step on the batch `data[batch_idx]`, gathered on the device.

    The Python loop over steps stays: XLA:CPU runs convolutions inside a rolled `lax.scan`
    ~20x slower than the same step dispatched alone (measured: 166 vs 3 000 beats/s), and
    dispatch is asynchronous, so the loop costs microseconds per step.
    """

    def train_step(params, opt_state, data, batch_idx, key):
        drop_key, keep_key = jax.random.split(key)
        x, rr, y = (shard_batch(mesh, data[k][batch_idx]) for k in ("x", "rr", "y"))
        if augmentation and white_augmentation(augmentation):
            x = augment(jax.random.fold_in(key, 1), x, augmentation)
        if augmentation and augmentation.get("recorded_noise"):
            x = add_recorded_noise(jax.random.fold_in(key, 2), x, data["noise"], augmentation)
        shape_keep = jax.random.bernoulli(keep_key, 1.0 - shape_dropout, y.shape)
        loss, grads = jax.value_and_grad(cross_entropy, argnums=1)(
            graphdef, params, x, rr, y, shape_keep.astype(x.dtype), drop_key)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return jax.jit(train_step, donate_argnums=(0, 1))


def run_epoch(train_step, params, opt_state, data, batch_size, steps, key):
    """One pass over a fresh permutation of the training beats; returns the mean loss too."""
    perm_key, key = jax.random.split(key)
    order = jax.random.permutation(perm_key, data["y"].shape[0])[: steps * batch_size]
    order = order.reshape(steps, batch_size)
    losses = []
    for i in range(steps):
        params, opt_state, loss = train_step(params, opt_state, data, order[i],
                                             jax.random.fold_in(key, i))
        losses.append(loss)
    return params, opt_state, jnp.stack(losses).mean()


@functools.cache  # one jitted function per model structure: compiled once, not per call
def make_predict(graphdef, mesh):
    @jax.jit
    def predict(params, x, rr):
        model = nnx.merge(graphdef, params)
        return jax.nn.softmax(model(shard_batch(mesh, x), shard_batch(mesh, rr)))

    return predict


def batched(fn, arrays, batch_size):
    """fn over numpy `arrays` (equal length) in fixed-size batches, the last one padded with
    zeros (one compilation), as one numpy array of the first len(arrays[0]) rows."""
    n = len(arrays[0])
    pad = (-n) % batch_size
    arrays = [np.concatenate([a, np.zeros((pad, *a.shape[1:]), a.dtype)]) for a in arrays]
    out = [fn(*(a[i:i + batch_size] for a in arrays)) for i in range(0, n + pad, batch_size)]
    return np.concatenate([np.asarray(o) for o in out])[:n]  # no jit of a concatenate


def predict_probs(model, x, rr, batch_size=4096, mesh=None):
    """Class probabilities [n, classes] for numpy inputs, in fixed-size batches (one compile)."""
    mesh = mesh or data_mesh()
    graphdef, params = nnx.split(model, nnx.Param)
    predict = functools.partial(make_predict(graphdef, mesh), replicate(mesh, params))
    return batched(predict, (x, rr), -(-batch_size // mesh.size) * mesh.size)


@functools.cache  # models of one structure and schedule (CV seeds) share one compiled step
def optimizer_and_step(graphdef, mesh, lr, weight_decay, epochs, steps, shape_dropout,
                       augment_cfg):
    tx = make_optimizer({"lr": lr, "weight_decay": weight_decay, "epochs": epochs}, steps)
    return tx, make_train_step(graphdef, tx, mesh, shape_dropout, dict(augment_cfg))


@dataclasses.dataclass
class Setup:
    """What a training loop needs, on the device: see setup()."""

    mesh: jax.sharding.Mesh
    graphdef: nnx.GraphDef
    params: nnx.State  # replicated over the mesh
    opt_state: optax.OptState
    step: Callable  # make_train_step's jitted step
    data: dict  # the training beats x, rr, y, replicated
    batch_size: int
    steps: int  # per epoch


def setup(model, train, cfg, noise=None):
    """The jitted step, optimizer state and device-resident beats for training `model` on
    `train` (numpy x, rr, y) with the params.yaml train group `cfg`: what fit() and the
    benchmark (bench/) run. `noise`: recorded_noise.noise_bank, needed when
    cfg["augment"]["recorded_noise"] is not 0."""
    mesh = data_mesh()
    batch_size = cfg["batch_size"]
    if batch_size % mesh.size:
        raise EcgError(f"params train.batch_size={batch_size} must be a multiple of the "
                       f"{mesh.size} devices")
    steps = len(train["y"]) // batch_size
    if steps == 0:
        raise EcgError(f"params train.batch_size={batch_size} exceeds the {len(train['y'])} "
                       "training beats")
    graphdef, params = nnx.split(model, nnx.Param)
    augment_cfg = step_augmentation(cfg.get("augment"))
    if dict(augment_cfg).get("recorded_noise") and noise is None:
        raise EcgError("params train.augment.recorded_noise is on: training needs the noise "
                       "bank (recorded_noise.noise_bank)")
    tx, step = optimizer_and_step(graphdef, mesh, cfg["lr"], cfg["weight_decay"], cfg["epochs"],
                                  steps, cfg["shape_dropout"], augment_cfg)
    params = replicate(mesh, params)
    opt_state = replicate(mesh, tx.init(params))  # its step counts too, else step 2 recompiles
    data = {"x": train["x"], "rr": train["rr"], "y": train["y"].astype(np.int32)}
    if dict(augment_cfg).get("recorded_noise"):
        data["noise"] = np.asarray(noise, np.float32)
    data = replicate(mesh, data)
    return Setup(mesh, graphdef, params, opt_state, step, data, batch_size, steps)


def fit(model, train, val, cfg, log=None, on_epoch=None, progress=True, noise=None):
    """Train `model` in place for `cfg["epochs"]` epochs; returns a summary dict.

    With a validation set `val`, early stopping keeps the epoch with the best validation
    macro-F1 (`cfg["patience"]`). With `val=None` the last epoch is kept: the epoch count is
    then a hyperparameter chosen by cross-validation, not a per-run decision on a few
    validation patients (whose score is mostly noise, see docs/experiments.md).
    `train` and `val` are dicts of numpy arrays x, rr, y. `log(epoch, metrics)` and
    `on_epoch(epoch, model)` are called after every epoch. `noise`: see setup().
    """
    from .metrics import macro_f1  # here: scikit-learn costs `ecgcnn predict` 0.4 s to import

    run = setup(model, train, cfg, noise)
    graphdef, params, opt_state, mesh = run.graphdef, run.params, run.opt_state, run.mesh
    key = jax.random.key(cfg["seed"])

    best = {"f1": None, "epoch": 0, "params": None}
    seconds = 0.0
    bar = tqdm(range(1, cfg["epochs"] + 1), desc="train", unit="epoch", disable=not progress)
    for epoch in bar:
        key, epoch_key = jax.random.split(key)
        start = time.perf_counter()
        params, opt_state, loss = run_epoch(run.step, params, opt_state, run.data,
                                            run.batch_size, run.steps, epoch_key)
        loss = float(loss)  # waits for the epoch to finish
        seconds += time.perf_counter() - start
        if not np.isfinite(loss):
            raise EcgError(f"training loss is {loss} at epoch {epoch}; lower params train.lr")
        values = {"train/loss": loss}
        if on_epoch:
            on_epoch(epoch, nnx.merge(graphdef, params))
        if val is None:
            best = {"f1": None, "epoch": epoch, "params": params}
        else:
            val_probs = predict_probs(nnx.merge(graphdef, params), val["x"], val["rr"], mesh=mesh)
            val_loss = -np.log(val_probs[np.arange(len(val["y"])), val["y"]] + 1e-12).mean()
            val_f1 = macro_f1(val["y"], val_probs.argmax(1))
            values.update({"val/loss": float(val_loss), "val/macro_f1": val_f1})
            if best["f1"] is None or val_f1 > best["f1"]:
                best = {"f1": val_f1, "epoch": epoch, "params": jax.device_get(params)}
        bar.set_postfix({k.replace("/", "_"): f"{v:.3f}" for k, v in values.items()})
        if log:
            log(epoch, values)
        if val is not None and epoch - best["epoch"] >= cfg["patience"]:
            break

    nnx.update(model, best["params"])
    return {"epochs_run": epoch, "kept_epoch": best["epoch"],
            "best_val_macro_f1": None if best["f1"] is None else round(best["f1"], 6),
            "train_seconds": round(seconds, 2),
            "train_beats_per_second": round(epoch * run.steps * run.batch_size / seconds, 1)}
