"""A real MIT-BIH record written as EDF+ and as CSV (`ecgcnn.export`) gives the same beats
and classes as the WFDB record, through `ecgcnn predict`.

Five minutes of record 100 (EDF holds whole seconds only), written back as a WFDB record
with the same digital samples: that is the reference the two exports are compared with.
"""

import pandas as pd
import pytest
import wfdb
from conftest import SHARED_MITDB

from ecgcnn.cli import main
from ecgcnn.export import write_csv, write_edf

SECONDS = 300
PROBS = ["p_N", "p_S", "p_V", "p_F", "p_Q"]
pytestmark = pytest.mark.skipif(not (SHARED_MITDB / "100.hea").exists(),
                                reason="../shared/mitdb/100 not available")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("formats")
    rec = wfdb.rdrecord(str(SHARED_MITDB / "100"), sampto=SECONDS * 360, physical=False)
    wfdb.wrsamp("100", fs=rec.fs, units=rec.units, sig_name=rec.sig_name, d_signal=rec.d_signal,
                fmt=rec.fmt, adc_gain=rec.adc_gain, baseline=rec.baseline, write_dir=str(d))
    ann = wfdb.rdann(str(SHARED_MITDB / "100"), "atr", sampto=SECONDS * 360 - 1)
    wfdb.wrann("100", "atr", ann.sample, ann.symbol, write_dir=str(d))
    assert write_edf(d / "100", d / "100.edf") == SECONDS * 360  # nothing cut
    write_csv(d / "100", d / "100.csv")
    return d


def predict(path, out, *extra):
    assert main(["predict", str(path), "--out", str(out), *extra]) == 0
    return pd.read_csv(out)


def assert_same_beats(got, want):
    """Same beats, classes and probabilities (to the CSV's 6 decimals: the samples are the
    same numbers, so is everything computed from them)."""
    assert len(want) > 300
    columns = ["sample", "time_s", "predicted", *PROBS]
    pd.testing.assert_frame_equal(got[columns], want[columns])


def test_edf_plus_gives_the_wfdb_records_beats_classes_and_references(files):
    wfdb_beats = predict(files / "100", files / "w.csv")
    edf_beats = predict(files / "100.edf", files / "e.csv")
    assert_same_beats(edf_beats, wfdb_beats)
    assert edf_beats["reference"].tolist() == wfdb_beats["reference"].tolist()
    assert set(wfdb_beats["reference"]) == {"N", "S"}  # 100's first minutes: N and A beats


def test_csv_and_edf_detected_beats_are_the_wfdb_records(files):
    wfdb_beats = predict(files / "100", files / "wd.csv", "--detect")
    assert_same_beats(predict(files / "100.csv", files / "c.csv"), wfdb_beats)
    assert_same_beats(predict(files / "100.edf", files / "ed.csv", "--detect"), wfdb_beats)
