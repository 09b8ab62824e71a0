"""Extraction, training (growth) and `ecgcnn predict`, each a child process (children.py)."""

import os
import sys
from pathlib import Path

from .children import failure, last_json, run_child
from .settings import say

PREDICT_RECORD = "100"  # 30 minutes, like every MIT-BIH record
VENV_BIN = Path(sys.executable).parent
STAGE_KEYS = ("extract_s", "full_repro_s", "noop_repro_s", "predict_s", "predict_detect_s",
              "extract_peak_rss_mb", "train_peak_rss_mb")


def find_mitdb():
    """data/raw/mitdb, else $MITDB_MIRROR, else ../shared/mitdb: the first that has record 100."""
    for path in ("data/raw/mitdb", os.environ.get("MITDB_MIRROR", ""), "../shared/mitdb"):
        if path and (Path(path) / "100.dat").is_file():
            return Path(path).resolve()
    return None


def extract(stages, notes, raw, records, beats):
    say(f"extract {len(records)} records")
    child = run_child([sys.executable, "-m", "ecgcnn.bench.extract_child", str(raw), str(beats),
                       *records])
    if child["rc"]:
        notes["extract_s"] = failure("extract", child)
        return False
    stages.update(extract_s=last_json(child["out"])["extract_s"], extract_records=len(records),
                  extract_peak_rss_mb=child["rss_mb"])
    return True


def growth(stages, notes, beats, model_dir, tiny):
    """(growth, inference) of the growth child; empty if it failed."""
    say("training epochs (growth) and inference")
    child = run_child([sys.executable, "-m", "ecgcnn.bench.growth", str(beats), str(model_dir),
                       *(["--tiny"] if tiny else [])])
    if child["rc"]:
        notes["train_peak_rss_mb"] = failure("training", child)
        return {}, {}
    result = last_json(child["out"])
    stages["train_peak_rss_mb"] = child["rss_mb"]
    return result["growth"], {"batch": result["inference_batch"],
                              "beats_per_s": result["inference_beats_per_s"],
                              "growth_beats": result["beats"], "growth_batch": result["batch"]}


def predict(stages, notes, raw, model_dir, work):
    """The whole `ecgcnn predict` command (start-up, model loading, compilation included)."""
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


def not_measured(reason, *keys):
    """Notes for the measures that need what is missing (a failure's own note stays)."""
    return {key: f"not measured: {reason}" for key in keys}


def bench_stages(settings, tiny, work):
    """(stages, notes, growth, inference); a value that could not be measured is None, with
    the reason in notes under its key."""
    stages, notes = dict.fromkeys(STAGE_KEYS), {}
    later = ("extract_peak_rss_mb", "train_peak_rss_mb", "predict_s", "predict_detect_s")
    raw = find_mitdb()
    if raw is None:
        notes["extract_s"] = "no MIT-BIH copy (data/raw/mitdb, $MITDB_MIRROR, ../shared/mitdb)"
        return stages, not_measured("no MIT-BIH copy", *later) | notes, {}, {}
    stages["mitdb"] = str(raw)
    beats, model_dir = work / "beats.npz", work / "model"
    if not extract(stages, notes, raw, settings["records"], beats):
        return stages, not_measured("extraction failed", *later) | notes, {}, {}
    growth_s, inference = growth(stages, notes, beats, model_dir, tiny)
    if not growth_s:
        return stages, not_measured("training failed", *later[2:]) | notes, {}, {}
    predict(stages, notes, raw, model_dir, work)
    return stages, notes, growth_s, inference
