"""The classifier, loss and optimizer of model.py/train.py in PyTorch: a reference point for the
Flax train step (train_step.py). Eager, float32, torch's default threads, the usual
zero_grad/backward/step loop, on the GPU where both torch and JAX run on one, else the CPU.
The same function as the Flax net: load_flax_params copies a Flax model's weights in and
the logits agree (tests/test_bench.py). The only module of the benchmark that imports torch:
torch is an optional extra.
"""

import math
import statistics
import time

import jax
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..pooling import same_padding

POOL_WINDOW, POOL_STRIDE = 5, 2  # model.ResidualBlock's max pool
# The GPU only when JAX's train step runs on one too: a CUDA torch wheel beside a CPU-only jax
# would otherwise compare PyTorch on the GPU with Flax on the CPU.
DEVICE = torch.device("cuda" if torch.cuda.is_available() and jax.default_backend() == "gpu"
                      else "cpu")


def max_pool_same(x):
    """Flax's SAME max pool on x [batch, channels, length]. XLA pads (before, after) =
    (1, 2) for length 126 and (2, 2) for 63; max_pool1d(padding=2) would pad 2 on both sides
    and shift every window by one sample."""
    _, before, after = same_padding(x.shape[-1], POOL_WINDOW, POOL_STRIDE)
    return F.max_pool1d(F.pad(x, (before, after), value=float("-inf")), POOL_WINDOW,
                        POOL_STRIDE)


class ResidualBlock(nn.Module):
    def __init__(self, filters, kernel_size):
        super().__init__()
        self.conv1 = nn.Conv1d(filters, filters, kernel_size, padding="same")
        self.conv2 = nn.Conv1d(filters, filters, kernel_size, padding="same")

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        return max_pool_same(F.relu(x + y))


class BeatClassifier(nn.Module):
    def __init__(self, *, window, channels, rr_features, filters, kernel_size, blocks, dense,
                 rr_hidden, dropout, rhythm_decides_s, shape_channels):
        super().__init__()
        self.shape_channels = list(shape_channels)
        self.stem = nn.Conv1d(len(self.shape_channels), filters, kernel_size, padding="same")
        self.blocks = nn.ModuleList(ResidualBlock(filters, kernel_size) for _ in range(blocks))
        length = window
        for _ in range(blocks):
            length = -(-length // 2)
        self.shape_dense = nn.Linear(filters * length, dense)
        shape_of_class = (0, 0, 1, 2, 3) if rhythm_decides_s else (0, 1, 2, 3, 4)
        self.register_buffer("shape_of_class", torch.tensor(shape_of_class))
        self.shape_out = nn.Linear(dense, max(shape_of_class) + 1)
        self.rr_dense = nn.Linear(rr_features, rr_hidden)
        self.rr_out = nn.Linear(rr_hidden, 5)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, rr, shape_keep):
        """x [batch, channels, window] (PyTorch's layout), rr [batch, k], shape_keep [batch]."""
        h = F.relu(self.stem(x[:, self.shape_channels]))
        for block in self.blocks:
            h = block(h)
        h = self.dropout(F.relu(self.shape_dense(h.flatten(1))))
        shape_logits = self.shape_out(h)[:, self.shape_of_class] * shape_keep[:, None]
        return shape_logits + self.rr_out(F.relu(self.rr_dense(rr)))


def load_flax_params(torch_model, flax_model):
    """Copy the weights of a Flax model.BeatClassifier into `torch_model` (same config)."""

    device = next(torch_model.parameters()).device

    def value(param):
        return torch.from_numpy(np.array(param[...], np.float32)).to(device)

    def conv(dest, src):  # Flax kernel [k, in, out], torch [out, in, k]
        dest.weight.data = value(src.kernel).permute(2, 1, 0).contiguous()
        dest.bias.data = value(src.bias)

    def linear(dest, src, weight=None):  # Flax kernel [in, out], torch [out, in]
        dest.weight.data = (value(src.kernel).T if weight is None else weight).contiguous()
        dest.bias.data = value(src.bias)

    conv(torch_model.stem, flax_model.stem)
    for dest, src in zip(torch_model.blocks, flax_model.blocks, strict=True):
        conv(dest.conv1, src.conv1)
        conv(dest.conv2, src.conv2)
    # Flax flattens h [batch, length, channels] length-major, torch [batch, channels, length]
    # channel-major: row l * C + c of the Flax kernel is column c * L + l of torch's weight.
    channels = torch_model.stem.out_channels
    kernel = value(flax_model.shape_dense.kernel)
    length = kernel.shape[0] // channels
    linear(torch_model.shape_dense, flax_model.shape_dense,
           kernel.reshape(length, channels, -1).permute(2, 1, 0).reshape(-1, length * channels))
    for name in ("shape_out", "rr_dense", "rr_out"):
        linear(getattr(torch_model, name), getattr(flax_model, name))
    return torch_model


def warmup_cosine(train_cfg, steps_per_epoch):
    """optax.warmup_cosine_decay_schedule as train.make_optimizer sets it, as an lr factor."""
    warmup = steps_per_epoch // 2
    decay = max(train_cfg["epochs"] * steps_per_epoch, steps_per_epoch)

    def factor(step):
        if step < warmup:
            return step / warmup
        t = min(step - warmup, decay - warmup) / max(decay - warmup, 1)
        return 0.5 * (1 + math.cos(math.pi * t))

    return factor


def train_throughput(model_cfg, train_cfg, window, channels, rr_features, batch, steps, reps,
                     compile=False):
    """Beats/s of the fastest and of the median of `reps` epochs of `steps` steps at `batch`
    on random data, and the time of the first step (torch.compile compiles there)."""
    torch.manual_seed(0)
    n = batch * steps
    x = torch.randn(n, channels, window, device=DEVICE)
    rr = torch.randn(n, rr_features, device=DEVICE)
    y = torch.randint(0, 5, (n,), device=DEVICE)
    model = BeatClassifier(window=window, channels=channels, rr_features=rr_features,
                           **model_cfg).to(DEVICE)
    opt = torch.optim.AdamW(model.parameters(), lr=train_cfg["lr"],
                            weight_decay=train_cfg["weight_decay"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(train_cfg, steps))
    forward = torch.compile(model) if compile else model
    keep_p = torch.full((batch,), 1.0 - train_cfg["shape_dropout"], device=DEVICE)

    def step(idx):
        loss = F.cross_entropy(forward(x[idx], rr[idx], torch.bernoulli(keep_p)), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        return loss

    model.train()
    start = time.perf_counter()
    step(torch.arange(batch, device=DEVICE))
    synchronize()
    first_step_s = time.perf_counter() - start
    seconds = []
    for _ in range(reps):
        start = time.perf_counter()
        for idx in torch.randperm(n, device=DEVICE).view(steps, batch):
            step(idx)
        synchronize()  # CUDA runs asynchronously, like JAX: wait before reading the clock
        seconds.append(time.perf_counter() - start)
    return {"beats_per_s": n / min(seconds), "beats_per_s_median": n / statistics.median(seconds),
            "first_step_s": first_step_s}


def synchronize():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def info():
    return {"torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "torch_device": str(DEVICE)}
