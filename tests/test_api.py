"""The Python API (`ecgcnn.api`): `classify` on arrays is `ecgcnn predict`'s chain, with the
packaged model by default, and a second call on a signal of another length compiles nothing.
"""

import subprocess
import sys

import jax.monitoring
import numpy as np
import pandas as pd
import pytest
from conftest import write_record

from ecgcnn import api
from ecgcnn.default_model import PACKAGED_DIR
from ecgcnn.io import EcgError
from ecgcnn.predict import COLUMNS, predict_record
from ecgcnn.records import read_beats, read_signal

FS = 360
COMPILES = []  # jax compilation events, appended for the whole session
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: COMPILES.append(event) if "compile" in event else None)


def regular_peaks(seconds, fs=FS):
    return list(range(int(0.5 * fs), int((seconds - 0.5) * fs), int(0.8 * fs)))


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    peaks = regular_peaks(30)
    symbols = ["V" if i % 6 == 5 else "N" for i in range(len(peaks))]
    return write_record(tmp_path_factory.mktemp("api"), "rec", peaks, symbols, seconds=30)


def test_classify_is_predicts_chain_and_model(record):
    signal, fs, _ = read_signal(record)
    beats, _, _ = read_beats(record)
    frame = api.classify(signal, fs, beats)
    want = predict_record(record, PACKAGED_DIR)
    # The packaged model carries the quality gate: its two columns, and no reference (none given).
    assert list(frame.columns) == [*COLUMNS, "quality", "noisy"]
    pd.testing.assert_frame_equal(frame, want.drop(columns="reference"))
    assert frame.attrs["source"] == "given"


def test_classify_detects_beats_when_none_are_given(record):
    signal, fs, _ = read_signal(record)
    frame = api.classify(signal, fs, units="mV")
    assert frame.attrs["source"] == "detected by wfdb GQRS"
    beats, _, _ = read_beats(record)
    found = frame["sample"].to_numpy()
    assert len(found) == len(beats)
    assert np.abs(found - beats).max() <= 0.01 * FS


def test_classify_a_recording_read_from_any_file(record):
    frame = api.classify_recording(api.read_recording(record))
    assert frame["reference"].notna().all()  # the .atr's classes came along
    pd.testing.assert_frame_equal(frame, predict_record(record, PACKAGED_DIR))


def test_a_second_call_on_another_length_compiles_nothing(record):
    signal, fs, _ = read_signal(record)
    beats, _, _ = read_beats(record)
    api.classify(signal, fs, beats)
    before = len(COMPILES)
    shorter = api.classify(signal[: 20 * FS], fs, beats[beats < 20 * FS])
    assert len(shorter) > 10 and len(COMPILES) == before, COMPILES[before:]


@pytest.mark.parametrize("args, words", [
    ((np.zeros(1000), 0), "fs=0.0: must be a positive"),
    ((np.zeros((1000, 2)), 360), "one lead, a 1-D array"),
    ((np.zeros(0), 360), "has no samples"),
    ((np.zeros(1000), 360, [10, 2000]), "beat at sample 2000 is outside"),
    ((np.zeros(1000), 360, [10, 10]), "two beats at sample 10"),
    ((np.zeros(1000), 360, None, "no/such/model"), "no/such/model: no trained model here"),
])
def test_bad_arguments_are_clear_errors(args, words):
    with pytest.raises(EcgError, match=words):
        api.classify(*args)


def test_importing_the_api_stays_light():
    """JAX, pandas and wfdb are imported on the first call, not by `from ecgcnn import api`."""
    code = ("import sys; from ecgcnn import api; print(sorted(m for m in ('jax', 'pandas', "
            "'wfdb') if m in sys.modules)); print(callable(api.classify))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[]", "True"]
