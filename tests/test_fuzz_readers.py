"""Damaged EDF+, CSV and .npy files: `ecgcnn predict` gives a complete CSV or one clear error.

The damages are test_fuzz_records' (truncate, overwrite, insert, delete bytes, replace a
space-separated field) applied to one small file of each format. Whatever they do,
`ecgcnn predict` (in-process `cli.main`, the packaged model) exits 0 with a complete CSV,
or 1 with one `error:` line naming the file (after at most `warning:` lines) and nothing
written; never a traceback nor a numpy warning. EDF has no checksum: damaged samples
classify as they are.

More cases: FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1 pytest tests/test_fuzz_readers.py
"""

import contextlib
import io
import tempfile
from pathlib import Path

import edfio
import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_ecg
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from test_fuzz_records import EXAMPLES, FUZZ, damaged, damages, outcome

from ecgcnn.cli import main
from ecgcnn.predict import COLUMNS

FS = 360
SECONDS = 12
# A numpy warning would be a line on stderr that is not `error:`: a failure here.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


class Originals(dict):
    def __repr__(self):  # hypothesis prints its arguments with a failing example
        return "originals"


@pytest.fixture(scope="module")
def originals():
    """{suffix: bytes} of one small recording in each format."""
    rng = np.random.default_rng(0)
    peaks = np.cumsum(rng.integers(int(0.6 * FS), int(1.0 * FS), 18))
    peaks = peaks[peaks < (SECONDS - 0.5) * FS]
    x = synthetic_ecg(SECONDS * FS, FS, peaks)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "rec.edf"
        edfio.Edf([edfio.EdfSignal(x, FS, label="ECG II", physical_dimension="mV"),
                   edfio.EdfSignal(0.5 * x, FS, label="V1", physical_dimension="mV")],
                  annotations=[edfio.EdfAnnotation(p / FS, None, "NNNVA"[i % 5])
                               for i, p in enumerate(peaks)]).write(path)
        edf = path.read_bytes()
        np.save(Path(d) / "rec.npy", x)
        npy = (Path(d) / "rec.npy").read_bytes()
    rows = "".join(f"{i / FS!r},{float(v)!r}\n" for i, v in enumerate(x))
    return Originals({".edf": edf, ".csv": f"time,MLII (mV)\n{rows}".encode(), ".npy": npy})


def check_predict(data, suffix, detect, kind="none"):
    """Predict a file of `data`; asserts the outcome and returns its name for statistics."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"rec{suffix}"
        path.write_bytes(data)
        out = Path(d) / "out" / "beats.csv"
        extra = [*(["--fs", str(FS)] if suffix == ".npy" else []),
                 *(["--detect"] if detect else [])]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["predict", str(path), "--out", str(out), *extra])
        if code == 0:
            frame = pd.read_csv(out)
            assert list(frame.columns[:len(COLUMNS)]) == list(COLUMNS) and len(frame) > 0
            assert frame[list(COLUMNS[3:])].notna().all().all()
            return outcome((suffix, kind))
        lines = err.getvalue().splitlines()
        assert code == 1 and lines[-1].startswith("error: ") and path.name in lines[-1], lines
        assert all(line.startswith("warning: ") for line in lines[:-1]), lines
        assert not out.parent.exists()
        return outcome((suffix, kind), lines[-1].removeprefix("error: "))


@pytest.mark.parametrize("suffix", [".edf", ".csv", ".npy"])
def test_the_undamaged_files_predict(originals, suffix):
    assert check_predict(originals[suffix], suffix, False).endswith("result")


@settings(FUZZ, max_examples=EXAMPLES or 40)
@given(damage=damages(), detect=st.booleans())
@example(damage=("edf", "truncate", 0.9, b"\0", 1, ""), detect=False)  # edfio only warns
@example(damage=("edf", "insert", 0.5, b"\0\0\0", 1, ""), detect=False)  # one record too many
def test_damaged_edf_predicts_completely_or_fails_with_one_line(originals, damage, detect):
    event(check_predict(damaged(originals[".edf"], damage), ".edf", detect, damage[1]))


@settings(FUZZ, max_examples=EXAMPLES or 40)
@given(damage=damages(), detect=st.booleans())
def test_damaged_csv_predicts_completely_or_fails_with_one_line(originals, damage, detect):
    event(check_predict(damaged(originals[".csv"], damage), ".csv", detect, damage[1]))


@settings(FUZZ, max_examples=EXAMPLES or 20)
@given(damage=damages())
@example(damage=("npy", "insert", 0.25, b"\0", 1, ""))  # samples ~1e300: NaN probabilities
def test_damaged_npy_predicts_completely_or_fails_with_one_line(originals, damage):
    event(check_predict(damaged(originals[".npy"], damage), ".npy", False, damage[1]))
