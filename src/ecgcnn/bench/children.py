"""Child processes of the benchmark, each started through timer.py: seconds, peak RSS, output."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def run_child(cmd, cwd=None, env=None):
    """Run `cmd` to the end: seconds, exit code, peak RSS (MB) of it and its children, output."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "timer.jsonl"
        out = subprocess.run([sys.executable, "-m", "ecgcnn.bench.timer", str(log), *cmd],
                             cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT).stdout
        result = json.loads(log.read_text()) if log.exists() else {"s": None, "rss_mb": None,
                                                                  "rc": -1}
    return {**result, "out": out.decode(errors="replace")}


def last_json(text):
    """A child's result: the JSON object on the last line of its output."""
    return json.loads(text.strip().splitlines()[-1])


def failure(name, child):
    tail = " | ".join(child["out"].strip().splitlines()[-3:])
    return f"{name} failed (exit {child['rc']}): {tail[-400:]}"
