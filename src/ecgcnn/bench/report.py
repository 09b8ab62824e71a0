"""The markdown tables `python -m ecgcnn.bench` prints (for the README)."""

from .stages import PREDICT_RECORD


def fmt(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def train_step_table(r):
    m, t = r["machine"], r["train_step"]
    lines = [f"Machine: {m['cpu_model']}, {m['cores']} cores, jax {m['jax']} on "
             f"{', '.join(m['jax_devices'])}"
             + (f", torch {t['torch']} on {t.get('torch_device', 'cpu')} "
                f"({t['torch_threads']} threads)" if "torch" in t else "")
             + f"; load average {m['load_avg_1min_at_start']} at start"
             + (" (--tiny)" if r["tiny"] else "") + ". Beats/s of the fastest of "
             f"{t['reps']} epochs (medians in the JSON).", "",
             "| train step, batch | Flax beats/s | PyTorch beats/s | Flax / PyTorch "
             "| torch.compile beats/s | Flax compile s |", "|---|---|---|---|---|---|"]
    for batch, row in t["by_batch"].items():
        lines.append(f"| {batch} | {fmt(row['flax_beats_per_s'])} | "
                     f"{fmt(row['torch_beats_per_s'])} | {fmt(row['ratio'], 2)} | "
                     f"{fmt(row['torch_compile_beats_per_s'])} | {fmt(row['compile_s'], 1)} |")
    by_n = ", ".join(f"{n}: {fmt(g, 1)}" for n, g in t["matmul_gflops_by_n"].items())
    lines += ["", "| measure | value |", "|---|---|",
              f"| FLOPs per beat and train step (analytic; XLA) | "
              f"{t['flops_per_beat_analytic'] / 1e6:.2f} M; "
              + (f"{t['flops_per_step_xla'] / t['batch'] / 1e6:.2f} M |"
                 if t["flops_per_step_xla"] else "– |"),
              f"| achieved at batch {t['batch']} | {fmt(t['gflops_per_s'], 1)} GFLOP/s = "
              f"{fmt(t['pct_of_peak'], 1)} % of the {fmt(t['matmul_peak_gflops_per_s'], 1)} "
              f"GFLOP/s float32 matmul peak (GFLOP/s by n: {by_n}) |"]
    return lines


def stages_table(r):
    s = r["stages"]
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
    return ["| stage | seconds | peak RSS MB |", "|---|---|---|",
            *(f"| {label} | {fmt(sec, 1)} | {fmt(rss)} |" for label, sec, rss in rows)]


def growth_table(r):
    if not r["growth"]:
        return []
    lines = ["| training beats | beats | epoch s |", "|---|---|---|"]
    for fraction, sec in r["growth"].items():
        lines.append(f"| {fraction} | {fmt(r['inference']['growth_beats'][fraction])} | "
                     f"{fmt(sec, 2)} |")
    return [*lines, "", f"Inference: {fmt(r['inference']['beats_per_s'])} beats/s at batch "
            f"{r['inference']['batch']}."]


def markdown(r):
    notes = {**r["train_step"]["notes"], **r["stages"]["notes"]}
    lines = [*train_step_table(r), "", *stages_table(r)]
    growth = growth_table(r)
    lines += ["", *growth] if growth else []
    lines += ["", "Notes:", *(f"- {k}: {v}" for k, v in notes.items())] if notes else []
    return "\n".join(lines)
