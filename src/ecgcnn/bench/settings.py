"""Sizes of a full and a --tiny run, the configs they use, and progress messages (stderr)."""

import sys
import time

from ..beats import RR_FEATURES as RR_NAMES
from ..download import RECORDS
from ..params import load_params

CHANNELS = 2  # beats.normalise_record: the beat, and the beat minus the record's template
RR_FEATURES = len(RR_NAMES)
FULL = {"batches": (64, 256, 1024), "headline": None, "beats_per_rep": 16384, "reps": 5,
        "matmul_sizes": (1024, 2048, 4096), "records": RECORDS, "growth_beats": None,
        "torch_compile": True}
# On a GPU (jax's default backend): batches that fill it, headline at 4096 (issue 14's target).
GPU = dict(FULL, batches=(1024, 4096, 16384), headline=4096, beats_per_rep=131072,
           matmul_sizes=(4096, 8192))
# --tiny: a small model, and XLA's optimisations off (see __main__), so that compiles stay short.
TINY = {"batches": (32,), "headline": None, "beats_per_rep": 256, "reps": 2,
        "matmul_sizes": (128, 256),
        "records": ("100", "101"), "growth_beats": 512, "torch_compile": False,
        "model": {"filters": 8, "kernel_size": 3, "blocks": 2, "dense": 16, "rr_hidden": 8,
                  "dropout": 0.2, "rhythm_decides_s": True, "shape_channels": [0, 1]}}
START = time.perf_counter()


def say(message):
    print(f"[{time.perf_counter() - START:6.1f} s] {message}", file=sys.stderr, flush=True)


def configs(tiny):
    """(settings, model params, train params): the committed ones unless --tiny."""
    import jax  # here: the extraction child imports this module and must not import jax

    params = load_params()
    settings = TINY if tiny else FULL if jax.default_backend() == "cpu" else GPU
    train_cfg = dict(params["train"], batch_size=32) if tiny else params["train"]
    return settings, settings.get("model", params["model"]), train_cfg


def window_length():
    from ..extract import window_samples  # here: scipy.signal takes seconds to import

    return sum(window_samples(load_params()["extract"]))
