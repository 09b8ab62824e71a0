"""Damaged WFDB files: extraction and `ecgcnn predict` give a correct result or one clear error.

Hypothesis truncates, overwrites, inserts, deletes and garbles bytes (and header fields) of
one small synthetic record's .hea, .dat and .atr. Whatever it does:

- extraction (`extract.extract_record`) returns a well-formed result, the same as the
  undamaged record's when the damage was to the signal file (its checksums must catch the
  rest), or raises EcgError naming the record; never another exception;
- `ecgcnn predict` (in-process `cli.main`, beats from the annotations or detected) exits 0
  with a complete CSV, or 1 with one `error:` line on stderr (after a `warning:` line when the
  damage renamed the MLII lead) and no file written.

CI runs the examples below (derandomized: the same cases every run). To hunt for more:
FUZZ_EXAMPLES=5000 FUZZ_RANDOM=1 pytest tests/test_fuzz_records.py
"""

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import EXTRACT_CFG, write_record
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from ecgcnn.beats import RR_FEATURES
from ecgcnn.checkpoint import save_model
from ecgcnn.cli import main
from ecgcnn.extract import extract_record, window_samples
from ecgcnn.io import EcgError
from ecgcnn.model import build_model
from ecgcnn.predict import COLUMNS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 0))
FUZZ = settings(deadline=None, database=None, derandomize=not os.environ.get("FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
NAME = "rec"
FILES = ("hea", "dat", "atr")
# Header fields worth putting anywhere: numbers out of range, not numbers, format codes.
TOKENS = ["0", "-1", "-360", "1e9", "nan", "inf", "abc", "", "360/0", "0/0", "16", "80", "8",
          "212x", "311", "99999999999999999999", "2", "MLII", "#", "+", "1:2", "\x00", "ü"]
TINY = {"filters": 2, "kernel_size": 3, "blocks": 1, "dense": 4, "rr_hidden": 4, "dropout": 0.0,
        "rhythm_decides_s": True, "shape_channels": [0, 1]}


class Original(tuple):
    def __repr__(self):  # hypothesis prints its arguments with a failing example
        return "original"


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """The undamaged record's files (bytes) and its extraction."""
    directory = tmp_path_factory.mktemp("record")
    fs, seconds = 360, 12
    rng = np.random.default_rng(0)
    peaks = np.cumsum(rng.integers(int(0.6 * fs), int(1.0 * fs), 20))
    peaks = [int(p) for p in peaks if p < seconds * fs - 20]
    symbols = [rng.choice(["N", "N", "N", "V", "A"]) for _ in peaks]
    path = write_record(directory, NAME, peaks, symbols, fs=fs, seconds=seconds,
                        extra_ann=[(5, "+")])
    files = {ext: Path(f"{path}.{ext}").read_bytes() for ext in FILES}
    return Original((files, extract_record(path, EXTRACT_CFG)))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An untrained tiny model saved as training saves one: predict's plumbing is tested."""
    before, after = window_samples(EXTRACT_CFG)
    model = build_model(TINY, before + after, 2, len(RR_FEATURES), seed=0)
    path = tmp_path_factory.mktemp("model") / "tiny"
    save_model(path, model, {"model": TINY, "extract": EXTRACT_CFG, "window": before + after,
                             "channels": 2, "rr_features": len(RR_FEATURES)})
    return path


@st.composite
def damages(draw):
    """(file extension, what to do, where (0..1), bytes, length, header token)."""
    return (draw(st.sampled_from(FILES)),
            draw(st.sampled_from(("truncate", "overwrite", "insert", "delete", "token"))),
            draw(st.floats(0, 1)), draw(st.binary(min_size=1, max_size=8)),
            draw(st.integers(1, 64)), draw(st.sampled_from(TOKENS) | st.text(max_size=6)))


def damaged(data, damage):
    _, kind, where, junk, length, token = damage
    at = int(where * len(data))
    if kind == "truncate":
        return data[:at]
    if kind == "overwrite":
        return data[:at] + junk + data[at + len(junk):]
    if kind == "insert":
        return data[:at] + junk + data[at:]
    if kind == "delete":
        return data[:at] + data[at + length:]
    # token: one whitespace-separated field replaced (binary files: bytes as latin-1 text)
    fields = data.decode("latin-1").split(" ")
    fields[int(where * (len(fields) - 1))] = token
    return " ".join(fields).encode("utf-8", "surrogateescape")


def write_damaged(directory, files, damage):
    for ext, data in files.items():
        Path(directory, f"{NAME}.{ext}").write_bytes(
            damaged(data, damage) if ext == damage[0] else data)
    return Path(directory) / NAME


def check_extraction(result, original, damage):
    part, dropped = result
    n = len(part["label"])
    before, after = window_samples(EXTRACT_CFG)
    assert part["x"].shape == (n, before + after, 2) and part["rr"].shape == (n, len(RR_FEATURES))
    assert all(len(part[k]) == n for k in ("symbol", "record", "sample"))
    assert np.isfinite(part["x"]).all() and np.isfinite(part["rr"]).all()
    assert ((part["label"] >= 0) & (part["label"] < 5)).all()
    if damage[0] == "dat":  # the signal's checksums let no changed sample through
        want, want_dropped = original
        assert dropped == want_dropped
        for key, value in want.items():
            np.testing.assert_array_equal(part[key], value, err_msg=key)


def outcome(damage, message=None):
    """A short name of what happened, for --hypothesis-show-statistics."""
    if message is None:
        return f"{damage[0]} {damage[1]}: result"
    words = [w for w in message.split() if NAME not in w and not w.startswith("/")]
    return f"{damage[0]} {damage[1]}: error {' '.join(words[:4])}"


# The cases that found bugs (fixed), kept whatever hypothesis draws.
@settings(FUZZ, max_examples=EXAMPLES or 300)
@given(damage=damages())
@example(damage=("hea", "truncate", 0.75, b"\0", 1, ""))  # a signal line without checksum
@example(damage=("hea", "token", 0.65625, b"\0", 1, "0"))  # format 0: KeyError in wfdb
@example(damage=("hea", "token", 0.125, b"\0", 1, "99999999999999999999"))  # fs: ValueError
@example(damage=("atr", "overwrite", 0.0, b"\0\5\0\xec\0\x80", 1, ""))  # beats out of order: NaN
def test_damaged_record_extracts_correctly_or_fails_clearly(original, damage):
    files, extracted = original
    with tempfile.TemporaryDirectory() as directory:
        path = write_damaged(directory, files, damage)
        try:
            result = extract_record(path, EXTRACT_CFG)
        except EcgError as e:
            assert str(e).startswith(f"record {NAME}: "), e
            assert "\n" not in str(e)
            event(outcome(damage, str(e)))
            return
        check_extraction(result, extracted, damage)
        event(outcome(damage))


@settings(FUZZ, max_examples=EXAMPLES or 100)
@given(damage=damages(), detect=st.booleans())
@example(damage=("atr", "truncate", 0.0, b"\0", 1, ""), detect=True)  # no beat: IndexError
def test_damaged_record_predicts_completely_or_fails_with_one_line(original, model_dir, damage,
                                                                   detect):
    files, _ = original
    with tempfile.TemporaryDirectory() as directory:
        path = write_damaged(directory, files, damage)
        out = Path(directory) / "out" / "beats.csv"
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["predict", str(path), "--model", str(model_dir), "--out", str(out),
                         *(["--detect"] if detect else [])])
        if code == 0:
            frame = pd.read_csv(out)
            assert list(frame.columns[:len(COLUMNS)]) == list(COLUMNS) and len(frame) > 0
            assert frame[list(COLUMNS[3:])].notna().all().all()
            event(outcome(damage))
        else:
            # One error line, last; before it at most a warning (a record without MLII).
            lines = err.getvalue().splitlines()
            assert code == 1 and lines[-1].startswith("error: "), lines
            assert all(line.startswith("warning: ") for line in lines[:-1]), lines
            assert not out.parent.exists()  # nothing written, not even the directory
            event(outcome(damage, lines[-1].removeprefix("error: ")))


def test_a_garbled_header_is_one_error_line_from_the_console(original, model_dir, tmp_path):
    files, _ = original
    garbled = {**files, "hea": files["hea"].replace(b" 360 ", b" abc ", 1)}  # its frequency
    path = write_damaged(tmp_path, garbled, ("none",))
    script = Path(sys.executable).parent / "ecgcnn"
    result = subprocess.run([script, "predict", path, "--model", model_dir, "--out",
                             tmp_path / "out.csv"], capture_output=True, text=True,
                            env={**os.environ, "JAX_PLATFORMS": "cpu"})  # no GPU warning
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {path}.hea: invalid sampling frequency 'abc' (must be a positive number of "
        "samples per second)"]
    assert not (tmp_path / "out.csv").exists()


def test_an_error_is_one_line_whatever_the_library_said():
    wrapped = EcgError("rec: cannot read record (ValueError: cannot resize this array: it is "
                       "referenced\nby another object in this way.\nUse the np.resize function)")
    assert str(wrapped) == ("rec: cannot read record (ValueError: cannot resize this array: it "
                            "is referenced by another object in this way. Use the np.resize "
                            "function)")
