"""The train step: Flax (train.setup + train.run_epoch) vs PyTorch (torch_net.py) in beats/s,
analytic FLOPs, and the float32 matmul peak the achieved GFLOP/s is compared with."""

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from .. import train
from ..model import build_model
from .settings import CHANNELS, RR_FEATURES, say


def random_beats(n, window, seed=0):
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((n, window, CHANNELS), dtype=np.float32),
            "rr": rng.standard_normal((n, RR_FEATURES), dtype=np.float32),
            "y": rng.integers(0, 5, n).astype(np.int32)}


def forward_flops(model_cfg, window):
    """FLOPs (2 per multiply-add) of one beat's forward pass: convolutions and dense layers.

    Biases, ReLUs, pooling and the optimizer are left out: they are a few percent at most.
    """
    f, k = model_cfg["filters"], model_cfg["kernel_size"]
    flops, length = 2 * window * k * len(model_cfg["shape_channels"]) * f, window  # stem
    for _ in range(model_cfg["blocks"]):
        flops += 2 * 2 * length * k * f * f  # two convs per block
        length = -(-length // 2)  # SAME pooling, stride 2
    shape_logits = 4 if model_cfg["rhythm_decides_s"] else 5
    dense = model_cfg["dense"] * (f * length + shape_logits)
    rr = model_cfg["rr_hidden"] * (RR_FEATURES + 5)
    return flops + 2 * (dense + rr)


def throughput(beats, seconds):
    """Beats/s of the fastest epoch (noise only ever slows one down) and of the median one."""
    return {"beats_per_s": beats / min(seconds),
            "beats_per_s_median": beats / statistics.median(seconds)}


def timed_epochs(run, epochs, key):
    """Seconds of each of `epochs` epochs of train.run_epoch from a train.setup `run`, and the
    trained parameters."""
    params, opt_state, seconds = run.params, run.opt_state, []
    for epoch in range(epochs):
        start = time.perf_counter()
        params, opt_state, loss = train.run_epoch(run.step, params, opt_state, run.data,
                                                  run.batch_size, run.steps,
                                                  jax.random.fold_in(key, epoch))
        loss.block_until_ready()
        seconds.append(time.perf_counter() - start)
    return seconds, params


def flax_train_step(model_cfg, train_cfg, window, batch, steps, reps):
    """The project's jitted step and epoch loop (train.setup, train.run_epoch, as fit() runs
    them) on `batch * steps` random beats: beats/s, compile seconds, XLA's FLOP count."""
    model = build_model(model_cfg, window, CHANNELS, RR_FEATURES, seed=0)
    run = train.setup(model, random_beats(batch * steps, window), dict(train_cfg,
                                                                        batch_size=batch))
    key = jax.random.key(0)

    start = time.perf_counter()  # jit reuses this AOT executable: the first call is fast
    compiled = run.step.lower(run.params, run.opt_state, run.data, jnp.arange(batch),
                              key).compile()
    compile_s = time.perf_counter() - start
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list | tuple) else cost
    scratch = getattr(compiled.memory_analysis(), "temp_size_in_bytes", None)

    # The first epoch also compiles run_epoch's permutation and slicing: not counted.
    seconds, _ = timed_epochs(run, reps + 1, key)
    # On a GPU, the device's peak so far includes what XLA's autotuner took while compiling.
    # A running peak of this process: right per batch because the batches grow.
    stats = jax.devices()[0].memory_stats() or {}
    return {**throughput(batch * run.steps, seconds[1:]), "compile_s": compile_s,
            "xla_flops": (cost or {}).get("flops"), "scratch_mb": scratch and scratch / 2**20,
            "device_peak_mb": stats.get("peak_bytes_in_use", 0) / 2**20 or None}


def matmul_gflops(n, reps=10):
    """Best of `reps` jitted float32 n x n matmuls, GFLOP/s."""
    a, b = jax.random.normal(jax.random.key(1), (2, n, n), jnp.float32)
    dot = jax.jit(jnp.dot)
    dot(a, b).block_until_ready()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        dot(a, b).block_until_ready()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def matmul_peak(sizes):
    """What this machine's cores reach at best: the best size's GFLOP/s, and every size's (the
    largest is not the fastest on a small CPU: 4096 x 4096 spills out of its caches)."""
    by_n = {str(n): matmul_gflops(n) for n in sizes}
    return max(by_n.values()), by_n


def torch_rows(rows, settings, model_cfg, train_cfg, window, compile, notes):
    """Fill the torch (or torch.compile) columns of `rows`; a torch.compile failure is a note."""
    from . import torch_net  # the only module that imports torch

    prefix = "torch_compile" if compile else "torch"
    for batch, row in rows.items():
        say(f"{'torch.compile' if compile else 'PyTorch'} train step, batch {batch}")
        try:
            r = torch_net.train_throughput(model_cfg, train_cfg, window, CHANNELS, RR_FEATURES,
                                           batch, row["steps"], settings["reps"],
                                           compile=compile)
        except Exception as e:  # torch.compile is information only: any failure is a note
            if not compile:
                raise
            notes["torch_compile_beats_per_s"] = f"{type(e).__name__}: {str(e)[:300]}"
            return
        row[f"{prefix}_beats_per_s"] = r["beats_per_s"]
        row[f"{prefix}_beats_per_s_median"] = r["beats_per_s_median"]
        if compile:
            row["torch_compile_first_step_s"] = r["first_step_s"]
        else:
            row["ratio"] = row["flax_beats_per_s"] / row["torch_beats_per_s"]


def bench_train_step(settings, model_cfg, train_cfg, window):
    # The headline numbers are those at the committed batch (or the GPU's headline batch).
    headline = settings["headline"] or train_cfg["batch_size"]
    headline = headline if headline in settings["batches"] else settings["batches"][0]
    flops_per_beat = 3 * forward_flops(model_cfg, window)  # backward ~ 2x forward
    rows, notes = {}, {}
    for batch in settings["batches"]:
        steps = max(settings["beats_per_rep"] // batch, 2)
        say(f"Flax train step, batch {batch}")
        r = flax_train_step(model_cfg, train_cfg, window, batch, steps, settings["reps"])
        rows[batch] = {"steps": steps, "flax_beats_per_s": r["beats_per_s"],
                       "flax_beats_per_s_median": r["beats_per_s_median"],
                       "compile_s": r["compile_s"], "scratch_mb": r["scratch_mb"],
                       "device_peak_mb": r["device_peak_mb"], "flops_per_step_analytic":
                       flops_per_beat * batch, "flops_per_step_xla": r["xla_flops"],
                       "gflops_per_s": flops_per_beat * r["beats_per_s"] / 1e9,
                       "torch_beats_per_s": None, "torch_beats_per_s_median": None,
                       "ratio": None, "torch_compile_beats_per_s": None,
                       "torch_compile_beats_per_s_median": None}
    say("matmul peak")
    peak, peak_by_n = matmul_peak(settings["matmul_sizes"])

    torch_info = {}
    try:
        from . import torch_net
        torch_info = torch_net.info()
    except ImportError as e:
        notes["torch_beats_per_s"] = f"torch not installed ({e}); pip install -e '.[bench]'"
    if torch_info:
        torch_rows(rows, settings, model_cfg, train_cfg, window, False, notes)
    # torch.compile last: it leaves compile workers behind. Information only.
    if torch_info and not settings["torch_compile"]:
        notes["torch_compile_beats_per_s"] = "skipped with --tiny (compiles for minutes)"
    elif torch_info:
        torch_rows(rows, settings, model_cfg, train_cfg, window, True, notes)

    head = rows[headline]
    same_as_row = ("flax_beats_per_s", "flax_beats_per_s_median", "torch_beats_per_s",
                   "torch_beats_per_s_median", "ratio", "torch_compile_beats_per_s",
                   "torch_compile_beats_per_s_median", "gflops_per_s", "compile_s",
                   "flops_per_step_analytic", "flops_per_step_xla")
    return {"batch": headline, "reps": settings["reps"], **{k: head[k] for k in same_as_row},
            "matmul_peak_gflops_per_s": peak, "matmul_gflops_by_n": peak_by_n,
            "pct_of_peak": 100 * head["gflops_per_s"] / peak,
            "flops_per_beat_analytic": flops_per_beat,
            "by_batch": {str(b): r for b, r in rows.items()}, **torch_info, "notes": notes}
