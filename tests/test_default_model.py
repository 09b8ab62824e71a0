"""The model packaged with ecgcnn is the committed run's, byte for byte, and the default.

dvc.lock records DVC's hash of `models/<PROTOCOL>/seed<SEED>`; the packaged copy must hash
the same, so a retrain that changes the model fails here until `python -m
ecgcnn.package_model` refreshes the copy.
"""

import hashlib
import json
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import write_record

from ecgcnn import package_model
from ecgcnn.cli import main
from ecgcnn.default_model import PACKAGED_DIR, PROTOCOL, SEED, trained_dir
from ecgcnn.io import EcgError
from ecgcnn.package_model import dvc_dir_hash, locked_hash, package

ROOT = Path(__file__).resolve().parents[1]
OUT = f"models/{PROTOCOL}/seed{SEED}"


def test_the_packaged_model_is_the_one_dvc_lock_records():
    assert sorted(p.name for p in PACKAGED_DIR.iterdir()) == ["config.json", "params.msgpack"]
    assert dvc_dir_hash(PACKAGED_DIR) == locked_hash(ROOT / "dvc.lock", OUT)
    assert json.loads((PACKAGED_DIR / "config.json").read_text())["protocol"] == PROTOCOL


def test_the_hash_is_dvc_3s_directory_hash(tmp_path):
    """md5 of the JSON list of {md5, relpath}, sorted by path, plus '.dir'."""
    (tmp_path / "sub").mkdir()
    files = {"b.bin": b"\x00\x01", "a.json": b"{}\n", "sub/c.txt": b"line\r\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    entries = [{"md5": hashlib.md5(files[n]).hexdigest(), "relpath": n} for n in sorted(files)]
    want = hashlib.md5(json.dumps(entries, sort_keys=True).encode()).hexdigest() + ".dir"
    assert dvc_dir_hash(tmp_path) == want


def test_a_retrained_model_does_not_pass_for_the_packaged_one(tmp_path):
    copy = shutil.copytree(PACKAGED_DIR, tmp_path / "model")
    params = copy / "params.msgpack"
    data = bytearray(params.read_bytes())
    data[-1] ^= 1  # one bit of one weight
    params.write_bytes(bytes(data))
    assert dvc_dir_hash(copy) != locked_hash(ROOT / "dvc.lock", OUT)


def fake_repository(root, model_from):
    shutil.copytree(model_from, trained_dir(root))
    lock = {"stages": {"train": {"outs": [{"path": OUT, "md5": dvc_dir_hash(model_from)}]}}}
    (root / "dvc.lock").write_text(yaml.safe_dump(lock))


def test_package_model_copies_the_locked_model_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setattr(package_model, "PACKAGED_DIR", tmp_path / "pkg")
    monkeypatch.setattr(package_model, "ADAPT_FILE", tmp_path / "adapt.json")
    monkeypatch.setattr(package_model, "AVERAGING_FILE", tmp_path / "averaging.json")
    fake_repository(tmp_path, PACKAGED_DIR)
    params = (ROOT / "params.yaml").read_text()
    assert "  neighbours: 20 " in params
    (tmp_path / "params.yaml").write_text(params.replace("steps: 50", "steps: 51").replace(
        "  neighbours: 20 ", "  neighbours: 7 "))
    assert package(tmp_path) == dvc_dir_hash(PACKAGED_DIR)
    assert json.loads((tmp_path / "adapt.json").read_text())["steps"] == 51  # its params' adapt
    assert json.loads((tmp_path / "averaging.json").read_text())["neighbours"] == 7
    for name in ("config.json", "params.msgpack"):
        assert (tmp_path / "pkg" / name).read_bytes() == (PACKAGED_DIR / name).read_bytes()
    # Retrained, but dvc.lock not updated: refused, the packaged copy left as it was.
    (trained_dir(tmp_path) / "config.json").write_text("{}")
    with pytest.raises(EcgError, match="but dvc.lock records"):
        package(tmp_path)
    assert dvc_dir_hash(tmp_path / "pkg") == dvc_dir_hash(PACKAGED_DIR)
    shutil.rmtree(trained_dir(tmp_path))
    with pytest.raises(EcgError, match="no trained model"):
        package(tmp_path)


def test_the_package_data_holds_the_model():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["ecgcnn"]
    package_dir = PACKAGED_DIR.parent
    shipped = {p for pattern in patterns for p in package_dir.glob(pattern)}
    assert set(PACKAGED_DIR.iterdir()) <= shipped


def test_predict_and_score_default_to_the_packaged_model(tmp_path, monkeypatch, capsys):
    peaks = list(range(180, 19 * 360, 300))
    (tmp_path / "db").mkdir()
    write_record(tmp_path / "db", "rec", peaks, ["N"] * len(peaks))
    monkeypatch.chdir(tmp_path)  # no models/ here
    record = str(tmp_path / "db" / "rec")
    assert main(["predict", record, "--out", "default.csv"]) == 0
    assert main(["predict", record, "--out", "given.csv", "--model", str(PACKAGED_DIR)]) == 0
    assert Path("default.csv").read_bytes() == Path("given.csv").read_bytes()
    assert main(["score", str(tmp_path / "db"), "--jobs", "1", "--out", "score"]) == 0
    assert json.loads(Path("score/summary.json").read_text())["model"] == str(PACKAGED_DIR)
    assert "model directory written by training (default: the model packaged" in \
        parser_help()


def parser_help():
    from ecgcnn.cli import parser

    return " ".join(parser()._subparsers._group_actions[0].choices["predict"]
                    .format_help().split())
