"""`python -m ecgcnn.bench [--tiny] [--skip-repro] [--out PATH]`: see __init__.py."""

import argparse
import os
import platform
import tempfile
from pathlib import Path

import jax

from ..io import write_json
from .report import markdown
from .repro import bench_repro
from .settings import configs, say, window_length
from .stages import bench_stages
from .train_step import bench_train_step


def machine():
    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "cpu_model": cpu, "platform": platform.platform(),
            "python": platform.python_version(), "jax": jax.__version__,
            "jax_devices": [str(d) for d in jax.devices()],
            "load_avg_1min_at_start": round(os.getloadavg()[0], 2)}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m ecgcnn.bench",
                                 description="Benchmarks: bench/results.json and a markdown "
                                 "table for the README (see docs/bench.md)")
    ap.add_argument("--tiny", action="store_true", help="small shapes and few steps (tests)")
    ap.add_argument("--skip-repro", action="store_true", help="no dvc repro in a repo copy")
    ap.add_argument("--out", default="bench/results.json", help="default: %(default)s")
    args = ap.parse_args(argv)
    settings, model_cfg, train_cfg = configs(args.tiny)
    if args.tiny:  # numbers mean nothing with --tiny: compile in half the time, here and in
        os.environ["JAX_DISABLE_MOST_OPTIMIZATIONS"] = "1"  # the child processes
        jax.config.update("jax_disable_most_optimizations", True)
    window = window_length()
    results = {"machine": machine(), "tiny": args.tiny, "model": model_cfg, "train": train_cfg}

    results["train_step"] = bench_train_step(settings, model_cfg, train_cfg, window)
    with tempfile.TemporaryDirectory(prefix="ecgcnn-bench-") as work:
        stages, notes, results["growth"], results["inference"] = bench_stages(
            settings, args.tiny, Path(work))
        if args.skip_repro or args.tiny:
            notes.update(full_repro_s="skipped (--skip-repro or --tiny)",
                         noop_repro_s="skipped (--skip-repro or --tiny)")
        else:
            repro, repro_notes = bench_repro(Path(work))
            stages.update(repro)
            notes.update(repro_notes)
    results["stages"] = {**stages, "notes": notes}
    results["machine"]["load_avg_1min_at_end"] = round(os.getloadavg()[0], 2)
    write_json(args.out, results)
    print(markdown(results))
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
