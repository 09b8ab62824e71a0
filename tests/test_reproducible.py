"""Same code, same params, same machine, two processes: bit-identical models and scores."""

import hashlib
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import hashlib, sys
import numpy as np
sys.path.insert(0, {tests!r})
from test_model_train import TRAIN, new_model, toy_data
from ecgcnn.checkpoint import save_model
from ecgcnn.train import fit, predict_probs
model = new_model(seed=1)
fit(model, toy_data(256, seed=0), None, {{**TRAIN, "seed": 1}}, progress=False)
probs = predict_probs(model, *(toy_data(64, seed=1)[k] for k in ("x", "rr")))
save_model({out!r}, model, {{"model": {{}}, "extract": {{}}}})
print(hashlib.sha256(probs.tobytes()).hexdigest())
"""


def tree_digest(directory):
    """sha256 over every file's relative path and bytes, as DVC hashes a directory output."""
    h = hashlib.sha256()
    for path in sorted(Path(directory).rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(directory)).encode() + path.read_bytes())
    return h.hexdigest()


def test_training_twice_in_two_processes_gives_identical_predictions_and_model_files(tmp_path):
    digests = []
    for run in ("a", "b"):
        code = SCRIPT.format(tests=str(Path(__file__).parent), out=str(tmp_path / run))
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        digests.append((result.stdout.split()[-1], tree_digest(tmp_path / run)))
    assert digests[0][0] == digests[1][0], "predictions differ between two identical runs"
    assert digests[0][1] == digests[1][1], "model files differ: dvc.lock would change"
