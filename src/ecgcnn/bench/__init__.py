"""Benchmarks: `python -m ecgcnn.bench` (= `make bench`) writes bench/results.json and prints
a markdown table for the README (what each number means: docs/bench.md). Numbers only:
nothing here asserts a timing.

  train step   Flax step of train.py (model, loss, optimizer at params.yaml, set up by
               train.setup) vs the same net in PyTorch (torch_net.py): steady-state beats/s
               after compilation, compile time
  machine      analytic FLOPs of a step (checked against XLA's cost analysis), achieved
               GFLOP/s as a percentage of this machine's float32 matmul peak
  stages       extraction of the 48 records, a full and a no-op `dvc repro` in a temporary copy
               of the repo (per-stage seconds and peak RSS), `ecgcnn predict` on one record
  growth       seconds per epoch at 1/4, 1/2 and all of the training beats; inference beats/s

Throughputs are those of the FASTEST of `reps` timed epochs (timeit's convention): noise on a
shared machine only ever slows a run down, so the fastest epoch is the closest to what the
code costs. The medians are stored too, under `..._median`.

Flags: --tiny (small shapes and few steps, for the test), --skip-repro, --out PATH.
Extraction and training run as child processes (extract_child.py, growth.py), each started
through timer.py so that their peak RSS is their own. Run it on a quiet machine: the load
average at the start is recorded next to the results.

This file imports nothing: `python -m ecgcnn.bench.timer` and `-m ecgcnn.bench.extract_child`
import the package first, and must stay small and free of jax.
"""
