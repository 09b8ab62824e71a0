"""A full and a no-op `dvc repro` in a fresh copy of the repository, each stage timed."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .children import failure, run_child
from .settings import say
from .stages import VENV_BIN, find_mitdb


def shim(log):
    """dvc runs `python stages/x.py ...` from PATH: this `python`, first on PATH, runs each
    through timer.py (`python -m ecgcnn.bench.timer LOG python stages/x.py ...`) in its own
    process, so each stage's seconds and peak RSS land in `log`."""
    python = sys.executable
    return (f"#!{python}\nimport runpy, sys\n"
            f"sys.argv[1:1] = [{str(log)!r}, {python!r}]\n"
            "runpy.run_module('ecgcnn.bench.timer', run_name='__main__', alter_sys=True)\n")


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


def stage_times(log):
    """{stage: {s, peak_rss_mb}} from the shim's log: `python stages/train.py inter_patient`
    is train@inter_patient."""
    per_stage = {}
    for line in log.read_text().splitlines():
        r = json.loads(line)
        _, script, *args = r["cmd"]
        name = Path(script).stem + "".join(f"@{a}" for a in args)
        per_stage[name] = {"s": r["s"], "peak_rss_mb": r["rss_mb"]}
    return per_stage


def bench_repro(work):
    """(values, notes): full_repro_s, noop_repro_s, repro_rss_mb, repro_stages."""
    raw = find_mitdb()
    if raw is None:
        return {}, {"full_repro_s": "no MIT-BIH copy to use as a mirror"}
    repo, bin_dir, log = work / "repo", work / "bin", work / "stages.jsonl"
    try:
        copy_repo(Path.cwd(), repo)
    except (OSError, subprocess.CalledProcessError) as e:
        return {}, {"full_repro_s": f"cannot copy the repository with git: {e}"}
    bin_dir.mkdir()
    (bin_dir / "python").write_text(shim(log))
    (bin_dir / "python").chmod(0o755)
    # The folder holding mitdb/ holds the other databases too (data/raw, ../shared).
    env = {**os.environ, "ECGCNN_MIRROR": str(raw.parent), "MITDB_MIRROR": "",
           "PATH": f"{bin_dir}:{VENV_BIN}:{os.environ.get('PATH', '')}"}
    dvc = str(VENV_BIN / "dvc")
    say("dvc repro from scratch")
    full = run_child([dvc, "repro"], cwd=repo, env=env)
    if full["rc"]:
        return {}, {"full_repro_s": failure("dvc repro", full)}
    noop = run_child([dvc, "repro"], cwd=repo, env=env)
    return {"full_repro_s": full["s"], "noop_repro_s": noop["s"], "repro_rss_mb": full["rss_mb"],
            "repro_stages": stage_times(log)}, {}
