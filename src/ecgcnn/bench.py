"""Benchmarks: `python -m ecgcnn.bench` (= `make bench`) writes bench/results.json and prints
a markdown table for the README. Numbers only: nothing here asserts a timing.

  train step   Flax step of train.py (model, loss, optimizer at params.yaml) vs the same in
               PyTorch (bench_torch.py): steady-state beats/s after compilation, compile time
  machine      analytic FLOPs of a step (checked against XLA's cost analysis), achieved
               GFLOP/s as a percentage of this machine's float32 matmul peak
  stages       extraction of the 48 records, a full and a no-op `dvc repro` in a temporary copy
               of the repo (per-stage seconds and peak RSS), `ecgcnn predict` on one record
  growth       seconds per epoch at 1/4, 1/2 and all of the training beats; inference beats/s

Flags: --tiny (small shapes and few steps, for the test), --skip-repro, --out PATH.
Extraction and training run as child processes so their peak RSS is their own. Run it on a
quiet machine: the load average at the start is recorded next to the results.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from . import beats as beats_module
from .checkpoint import save_model
from .dataset import subset
from .download import RECORDS
from .io import load_arrays, write_json
from .model import build_model
from .params import load_params
from .resample import resample_indices
from .splits import split
from .train import data_mesh, make_optimizer, make_predict, make_train_step, replicate, run_epoch

CHANNELS = 2  # beats.normalise_record: the beat, and the beat minus the record's template
RR_FEATURES = len(beats_module.RR_FEATURES)
FULL = {"batches": (64, 256, 1024), "beats_per_rep": 16384, "reps": 3, "matmul_n": 4096,
        "records": RECORDS, "growth_beats": None, "torch_compile": True}
# --tiny: a small model, and XLA's optimisations off (see main), so that compiles stay short.
TINY = {"batches": (32,), "beats_per_rep": 256, "reps": 2, "matmul_n": 256,
        "records": ("100", "101"), "growth_beats": 512, "torch_compile": False,
        "model": {"filters": 8, "kernel_size": 3, "blocks": 2, "dense": 16, "rr_hidden": 8,
                  "dropout": 0.2, "rhythm_decides_s": True, "shape_channels": [0, 1]}}
PREDICT_RECORD = "100"  # 30 minutes, like every MIT-BIH record
VENV_BIN = Path(sys.executable).parent
START = time.perf_counter()


def say(message):
    print(f"[{time.perf_counter() - START:6.1f} s] {message}", file=sys.stderr, flush=True)


def configs(tiny):
    """(settings, model params, train params): the committed ones unless --tiny."""
    params = load_params()
    settings = TINY if tiny else FULL
    train_cfg = dict(params["train"], batch_size=32) if tiny else params["train"]
    return settings, settings.get("model", params["model"]), train_cfg


def window_length():
    from .extract import window_samples  # here: scipy.signal takes seconds to import

    return sum(window_samples(load_params()["extract"]))


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


def flax_train_step(model_cfg, train_cfg, window, batch, steps, reps):
    """The project's jitted step and epoch loop (run_epoch) on random device-resident beats."""
    mesh = data_mesh()
    graphdef, params = nnx.split(build_model(model_cfg, window, CHANNELS, RR_FEATURES, seed=0),
                                 nnx.Param)
    tx = make_optimizer(train_cfg, steps)
    step = make_train_step(graphdef, tx, mesh, train_cfg["shape_dropout"])
    params = replicate(mesh, params)
    # Replicated like the step's outputs: else step 2 compiles again (optax counts start
    # uncommitted).
    opt_state = replicate(mesh, tx.init(params))
    data = replicate(mesh, random_beats(batch * steps, window))
    key = jax.random.key(0)

    start = time.perf_counter()  # jit reuses this AOT executable: the first call is fast
    compiled = step.lower(params, opt_state, data, jnp.arange(batch), key).compile()
    compile_s = time.perf_counter() - start
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list | tuple) else cost

    seconds = []
    for rep in range(reps + 1):  # the first epoch compiles run_epoch's permutation and slicing
        start = time.perf_counter()
        params, opt_state, loss = run_epoch(step, params, opt_state, data, batch, steps,
                                            jax.random.fold_in(key, rep))
        loss.block_until_ready()
        seconds.append(time.perf_counter() - start)
    return {"beats_per_s": batch * steps / statistics.median(seconds[1:]), "compile_s": compile_s,
            "xla_flops": (cost or {}).get("flops")}


def matmul_peak_gflops(n, reps=5):
    """Best of `reps` jitted float32 n x n matmuls: what this machine's cores reach at best."""
    a, b = jax.random.normal(jax.random.key(1), (2, n, n), jnp.float32)
    dot = jax.jit(jnp.dot)
    dot(a, b).block_until_ready()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        dot(a, b).block_until_ready()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def bench_train_step(settings, model_cfg, train_cfg, window):
    committed = train_cfg["batch_size"]  # the headline numbers are those at this batch
    headline = committed if committed in settings["batches"] else settings["batches"][0]
    flops_per_beat = 3 * forward_flops(model_cfg, window)  # backward ~ 2x forward
    rows, notes = {}, {}
    for batch in settings["batches"]:
        steps = max(settings["beats_per_rep"] // batch, 2)
        say(f"Flax train step, batch {batch}")
        r = flax_train_step(model_cfg, train_cfg, window, batch, steps, settings["reps"])
        rows[batch] = {"steps": steps, "flax_beats_per_s": r["beats_per_s"],
                       "compile_s": r["compile_s"], "flops_per_step_analytic":
                       flops_per_beat * batch, "flops_per_step_xla": r["xla_flops"],
                       "gflops_per_s": flops_per_beat * r["beats_per_s"] / 1e9}
    say("matmul peak")
    peak = matmul_peak_gflops(settings["matmul_n"])

    torch_info = {}
    try:
        from . import bench_torch  # the only place torch gets imported
        torch_info = bench_torch.info()
    except ImportError as e:
        notes["torch_beats_per_s"] = f"torch not installed ({e}); pip install -e '.[bench]'"
    for batch, row in rows.items():
        row["torch_beats_per_s"] = row["ratio"] = row["torch_compile_beats_per_s"] = None
        if not torch_info:
            continue
        args = (model_cfg, train_cfg, window, CHANNELS, RR_FEATURES, batch, row["steps"],
                settings["reps"])
        say(f"PyTorch train step, batch {batch}")
        row["torch_beats_per_s"] = bench_torch.train_throughput(*args)["beats_per_s"]
        row["ratio"] = row["flax_beats_per_s"] / row["torch_beats_per_s"]
    # torch.compile last: it leaves compile workers behind. Information only.
    if torch_info and not settings["torch_compile"]:
        notes["torch_compile_beats_per_s"] = "skipped with --tiny (compiles for minutes)"
    elif torch_info:
        for batch, row in rows.items():
            args = (model_cfg, train_cfg, window, CHANNELS, RR_FEATURES, batch, row["steps"],
                    settings["reps"])
            say(f"torch.compile train step, batch {batch}")
            try:
                r = bench_torch.train_throughput(*args, compile=True)
                row["torch_compile_beats_per_s"] = r["beats_per_s"]
                row["torch_compile_first_step_s"] = r["first_step_s"]
            except Exception as e:  # any failure of torch.compile is only a note
                notes["torch_compile_beats_per_s"] = f"{type(e).__name__}: {str(e)[:300]}"
                break

    head = rows[headline]
    return {"batch": headline, "flax_beats_per_s": head["flax_beats_per_s"],
            "torch_beats_per_s": head["torch_beats_per_s"], "ratio": head["ratio"],
            "torch_compile_beats_per_s": head["torch_compile_beats_per_s"],
            "gflops_per_s": head["gflops_per_s"], "matmul_peak_gflops_per_s": peak,
            "pct_of_peak": 100 * head["gflops_per_s"] / peak, "compile_s": head["compile_s"],
            "flops_per_beat_analytic": flops_per_beat,
            "flops_per_step_analytic": head["flops_per_step_analytic"],
            "flops_per_step_xla": head["flops_per_step_xla"],
            "by_batch": {str(b): r for b, r in rows.items()}, **torch_info, "notes": notes}


# --- child processes -------------------------------------------------------------------------

# Runs argv[2:] and appends {s, rss_mb, rc} as a line to the file argv[1]. Every child starts
# through this small process: a child's ru_maxrss starts at the RSS of the process it was
# spawned from (vfork + exec), so a child of the bench process itself (jax, torch: ~1 GB) or
# of dvc would report at least that much.
TIMER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - start
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"cmd": sys.argv[2:], "s": seconds, "rss_mb": rss_mb, "rc": rc}) + "\\n")
sys.exit(rc)
"""


def run_child(cmd, cwd=None, env=None):
    """Run `cmd` to the end: seconds, exit code, peak RSS (MB) of it and its children, output."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "timer.jsonl"
        out = subprocess.run([sys.executable, "-c", TIMER, str(log), *cmd], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
        result = json.loads(log.read_text()) if log.exists() else {"s": None, "rss_mb": None,
                                                                  "rc": -1}
    return {**result, "out": out.decode(errors="replace")}


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def failure(name, child):
    tail = " | ".join(child["out"].strip().splitlines()[-3:])
    return f"{name} failed (exit {child['rc']}): {tail[-400:]}"


# Child: extract the records, time only the extraction, save the beats for the growth child.
# A code string rather than a function of this module, so that jax is not imported there.
EXTRACT = """
import json, sys, time
from ecgcnn.extract import extract_database
from ecgcnn.io import save_arrays
from ecgcnn.params import load_params
raw, out, records = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.perf_counter()
dataset, _ = extract_database(raw, records, load_params()["extract"], progress=False)
seconds = time.perf_counter() - start
save_arrays(out, **dataset)
print(json.dumps({"extract_s": seconds, "beats": len(dataset["label"])}))
"""


def growth_worker(beats_path, model_dir, tiny):
    """Child: epoch seconds at 1/4, 1/2, 1 of the training beats, then inference at 4096.

    The training beats are those of the inter_patient train stage (split + resample); with
    --tiny, the first beats. Each fraction runs two epochs of train.run_epoch and times the
    second (the first compiles). Also saves the model for the `ecgcnn predict` benchmark.
    """
    params = load_params()
    settings, model_cfg, train_cfg = configs(tiny)
    beats = load_arrays(beats_path)
    if tiny:
        idx = np.arange(min(settings["growth_beats"], len(beats["label"])))
    else:
        sets = split("inter_patient", beats["record"], beats["label"], params["split"])
        idx = resample_indices(sets["train"], beats["label"], **params["resample"])
    train = subset(beats, np.random.default_rng(0).permutation(idx))  # fractions mix classes
    window, batch, mesh = train["x"].shape[1], train_cfg["batch_size"], data_mesh()
    key = jax.random.key(0)

    growth, beats_used = {}, {}
    for fraction in (0.25, 0.5, 1.0):
        n = int(fraction * len(train["y"]))
        steps = n // batch
        model = build_model(model_cfg, window, CHANNELS, RR_FEATURES, seed=0)
        graphdef, state = nnx.split(model, nnx.Param)
        tx = make_optimizer(train_cfg, steps)
        step = make_train_step(graphdef, tx, mesh, train_cfg["shape_dropout"])
        state = replicate(mesh, state)
        opt_state = replicate(mesh, tx.init(state))
        data = replicate(mesh, {k: train[k][:n] for k in ("x", "rr", "y")})
        seconds = []
        for epoch in range(2):  # the first compiles the step, the permutation, the slicing
            start = time.perf_counter()
            state, opt_state, loss = run_epoch(step, state, opt_state, data, batch, steps,
                                               jax.random.fold_in(key, epoch))
            float(loss)
            seconds.append(time.perf_counter() - start)
        growth[str(fraction)] = seconds[1]
        beats_used[str(fraction)] = steps * batch

    # Inference as evaluate runs it (predict_probs' jitted function at batch 4096), warm.
    infer_batch = 4096
    predict = make_predict(graphdef, mesh)
    x = np.resize(train["x"], (max(len(train["y"]), infer_batch), *train["x"].shape[1:]))
    rr = np.resize(train["rr"], (len(x), RR_FEATURES))
    batches = len(x) // infer_batch
    predict(state, x[:infer_batch], rr[:infer_batch]).block_until_ready()
    start = time.perf_counter()
    out = [predict(state, x[i * infer_batch:(i + 1) * infer_batch],
                   rr[i * infer_batch:(i + 1) * infer_batch]) for i in range(batches)]
    jax.block_until_ready(out)
    infer = batches * infer_batch / (time.perf_counter() - start)

    nnx.update(model, jax.device_get(state))
    save_model(model_dir, model, {"model": model_cfg, "extract": params["extract"],
                                  "window": window, "channels": CHANNELS,
                                  "rr_features": RR_FEATURES, "protocol": "bench"})
    print(json.dumps({"growth": growth, "beats": beats_used, "batch": batch,
                      "inference_beats_per_s": infer, "inference_batch": infer_batch}))


def find_mitdb():
    """data/raw/mitdb, else $MITDB_MIRROR, else ../shared/mitdb: the first that has record 100."""
    for path in ("data/raw/mitdb", os.environ.get("MITDB_MIRROR", ""), "../shared/mitdb"):
        if path and (Path(path) / "100.dat").is_file():
            return Path(path).resolve()
    return None


def bench_stages(settings, tiny, work):
    """Extraction, training (growth) and `ecgcnn predict` as child processes."""
    stages = {k: None for k in ("extract_s", "full_repro_s", "noop_repro_s", "predict_s",
                                "predict_detect_s", "extract_peak_rss_mb", "train_peak_rss_mb")}
    notes, growth, inference = {}, {}, {}
    raw = find_mitdb()
    if raw is None:
        notes["extract_s"] = "no MIT-BIH copy (data/raw/mitdb, $MITDB_MIRROR, ../shared/mitdb)"
        return stages, notes, growth, inference
    stages["mitdb"] = str(raw)

    beats = work / "beats.npz"
    say(f"extract {len(settings['records'])} records")
    child = run_child([sys.executable, "-c", EXTRACT, str(raw), str(beats),
                       *settings["records"]])
    if child["rc"]:
        notes["extract_s"] = failure("extract", child)
        return stages, notes, growth, inference
    stages.update(extract_s=last_json(child["out"])["extract_s"], extract_records=len(
        settings["records"]), extract_peak_rss_mb=child["rss_mb"])

    model_dir = work / "model"
    say("training epochs (growth) and inference")
    child = run_child([sys.executable, "-m", "ecgcnn.bench", "_growth", str(beats),
                       str(model_dir), *(["--tiny"] if tiny else [])])
    if child["rc"]:
        notes["train_peak_rss_mb"] = failure("training", child)
        return stages, notes, growth, inference
    result = last_json(child["out"])
    stages["train_peak_rss_mb"] = child["rss_mb"]
    growth = result["growth"]
    inference = {"batch": result["inference_batch"],
                 "beats_per_s": result["inference_beats_per_s"],
                 "growth_beats": result["beats"], "growth_batch": result["batch"]}

    cli = VENV_BIN / "ecgcnn"
    for key, extra in (("predict_s", []), ("predict_detect_s", ["--detect"])):
        if not cli.exists():
            notes[key] = f"{cli} missing: pip install -e . to get the `ecgcnn` command"
            continue
        say(f"ecgcnn predict {' '.join(extra)}")
        child = run_child([str(cli), "predict", str(raw / PREDICT_RECORD), "--model",
                           str(model_dir), "--out", str(work / f"{key}.csv"), *extra])
        if child["rc"]:
            notes[key] = failure("ecgcnn predict", child)
        else:
            stages[key] = child["s"]
            stages[key.removesuffix("_s") + "_peak_rss_mb"] = child["rss_mb"]
    return stages, notes, growth, inference


# --- dvc repro in a copy of the repo ---------------------------------------------------------

def shim(log):
    """dvc runs `python stages/x.py ...` from PATH: this `python`, first on PATH, times each."""
    python = sys.executable
    return f"#!{python}\nimport sys\nsys.argv[1:1] = [{str(log)!r}, {python!r}]\n" + TIMER


def copy_repo(src, dest):
    """A fresh git repository at `dest` with the files git would commit from `src` (tracked
    and untracked, not ignored: no data, models or DVC cache) minus the committed results."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=src, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        if (Path(src) / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(src) / name, dest / name)
    # Without the lock and the results, every stage runs; dvclive wants a commit.
    (dest / "dvc.lock").unlink(missing_ok=True)
    for stale in ("metrics", "plots"):
        shutil.rmtree(dest / stale, ignore_errors=True)
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=bench", "-c",
                                                "user.email=bench@localhost", "commit", "-qm",
                                                "bench"]):
        subprocess.run(["git", *cmd], cwd=dest, capture_output=True, check=True)


def bench_repro(work):
    raw = find_mitdb()
    if raw is None:
        return {}, {"full_repro_s": "no MIT-BIH copy to use as MITDB_MIRROR"}
    repo, bin_dir, log = work / "repo", work / "bin", work / "stages.jsonl"
    try:
        copy_repo(Path.cwd(), repo)
    except (OSError, subprocess.CalledProcessError) as e:
        return {}, {"full_repro_s": f"cannot copy the repository with git: {e}"}
    bin_dir.mkdir()
    (bin_dir / "python").write_text(shim(log))
    (bin_dir / "python").chmod(0o755)
    env = {**os.environ, "MITDB_MIRROR": str(raw),
           "PATH": f"{bin_dir}:{VENV_BIN}:{os.environ.get('PATH', '')}"}
    dvc = str(VENV_BIN / "dvc")
    say("dvc repro from scratch")
    full = run_child([dvc, "repro"], cwd=repo, env=env)
    if full["rc"]:
        return {}, {"full_repro_s": failure("dvc repro", full)}
    noop = run_child([dvc, "repro"], cwd=repo, env=env)
    per_stage = {}
    for line in log.read_text().splitlines():
        r = json.loads(line)
        _, script, *args = r["cmd"]  # python stages/train.py inter_patient: train@inter_patient
        name = Path(script).stem + "".join(f"@{a}" for a in args)
        per_stage[name] = {"s": r["s"], "peak_rss_mb": r["rss_mb"]}
    return {"full_repro_s": full["s"], "noop_repro_s": noop["s"], "repro_rss_mb": full["rss_mb"],
            "repro_stages": per_stage}, {}


# --- report ----------------------------------------------------------------------------------

def fmt(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def markdown(r):
    m, t, s = r["machine"], r["train_step"], r["stages"]
    lines = [f"Machine: {m['cpu_model']}, {m['cores']} cores, jax {m['jax']}"
             + (f", torch {t['torch']} ({t['torch_threads']} threads)" if "torch" in t else "")
             + f"; load average {m['load_avg_1min_at_start']} at start"
             + (" (--tiny)" if r["tiny"] else ""), "",
             "| train step, batch | Flax beats/s | PyTorch beats/s | Flax / PyTorch "
             "| torch.compile beats/s | Flax compile s |", "|---|---|---|---|---|---|"]
    for batch, row in t["by_batch"].items():
        lines.append(f"| {batch} | {fmt(row['flax_beats_per_s'])} | "
                     f"{fmt(row['torch_beats_per_s'])} | {fmt(row['ratio'], 2)} | "
                     f"{fmt(row['torch_compile_beats_per_s'])} | {fmt(row['compile_s'], 1)} |")
    lines += ["", "| measure | value |", "|---|---|",
              f"| FLOPs per beat and train step (analytic; XLA) | "
              f"{t['flops_per_beat_analytic'] / 1e6:.2f} M; "
              + (f"{t['flops_per_step_xla'] / t['batch'] / 1e6:.2f} M |"
                 if t["flops_per_step_xla"] else "– |"),
              f"| achieved at batch {t['batch']} | {fmt(t['gflops_per_s'], 1)} GFLOP/s = "
              f"{fmt(t['pct_of_peak'], 1)} % of the {fmt(t['matmul_peak_gflops_per_s'], 1)} "
              "GFLOP/s float32 matmul peak |"]
    lines += ["", "| stage | seconds | peak RSS MB |", "|---|---|---|"]
    rows = [(f"extract {s.get('extract_records')} records", s["extract_s"],
             s["extract_peak_rss_mb"]),
            ("full `dvc repro`", s["full_repro_s"], s.get("repro_rss_mb")),
            ("no-op `dvc repro`", s["noop_repro_s"], None),
            ("training (growth run, all beats)", None, s["train_peak_rss_mb"]),
            (f"`ecgcnn predict` record {PREDICT_RECORD}", s["predict_s"],
             s.get("predict_peak_rss_mb")),
            ("`ecgcnn predict --detect`", s["predict_detect_s"],
             s.get("predict_detect_peak_rss_mb"))]
    rows += [(f"repro stage {k}", v["s"], v["peak_rss_mb"])
             for k, v in s.get("repro_stages", {}).items()]
    lines += [f"| {label} | {fmt(sec, 1)} | {fmt(rss)} |" for label, sec, rss in rows]
    if r["growth"]:
        lines += ["", "| training beats | beats | epoch s |", "|---|---|---|"]
        for fraction, sec in r["growth"].items():
            lines.append(f"| {fraction} | {fmt(r['inference']['growth_beats'][fraction])} | "
                         f"{fmt(sec, 2)} |")
        lines.append(f"\nInference: {fmt(r['inference']['beats_per_s'])} beats/s at batch "
                     f"{r['inference']['batch']}.")
    notes = {**t["notes"], **s["notes"]}
    lines += ["", "Notes:", *(f"- {k}: {v}" for k, v in notes.items())] if notes else []
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Benchmarks: bench/results.json and a markdown "
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
    if len(sys.argv) > 1 and sys.argv[1] == "_growth":
        growth_worker(sys.argv[2], sys.argv[3], tiny="--tiny" in sys.argv)
    else:
        main()
