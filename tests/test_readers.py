"""The EDF, CSV and .npy readers: lead, units, rate and beats as for WFDB records, and each
reader's bad files as one `error:` line from `ecgcnn predict` with nothing written.

Files are written here: EDF+ / BDF with edfio, CSV with plain text, .npy with numpy.
"""

import edfio
import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_ecg

from ecgcnn.aami import CLASSES
from ecgcnn.cli import main
from ecgcnn.io import EcgError
from ecgcnn.readers import read_recording

FS = 250
PEAKS = list(range(100, 20 * FS - 100, int(0.8 * FS)))
SYMBOLS = ["V" if i % 5 == 3 else "N" for i in range(len(PEAKS))]


def lead_ii(n=20 * FS):
    return synthetic_ecg(n, FS, PEAKS)


def write_edf(path, signals, notes=(), bdf=False):
    """`signals`: [(label, physical values, units)] at FS; `notes`: [(seconds, text)]."""
    kind = (edfio.BdfSignal, edfio.Bdf) if bdf else (edfio.EdfSignal, edfio.Edf)
    edf = kind[1]([kind[0](x, FS, label=label, physical_dimension=units,
                           physical_range=(-5000, 5000))
                   for label, x, units in signals],
                  annotations=[edfio.EdfAnnotation(t, None, text) for t, text in notes])
    edf.write(path)
    return path


def beat_notes():
    return [(p / FS, s) for p, s in zip(PEAKS, SYMBOLS, strict=True)]


@pytest.fixture
def edf_file(tmp_path):
    """EDF+ with V1 before lead II (in uV), beats and non-beat annotations."""
    x = lead_ii() * 1000
    notes = [*beat_notes(), (0.5, "+"), (1.0, "(AFIB"), (3.3, "Lights off")]
    return write_edf(tmp_path / "rec.edf", [("ECG V1", 0.5 * x, "uV"), ("ECG II", x, "uV")],
                     notes)


def test_edf_lead_ii_units_rate_and_beat_annotations(edf_file):
    rec = read_recording(edf_file)
    assert (rec.lead, rec.units, rec.fs, rec.samples) == ("ECG II", "uV", FS, 20 * FS)
    # 16 bits over +-5000 uV: within half a step of what was written.
    assert np.abs(rec.signal - lead_ii() * 1000).max() <= 10000 / 65535
    assert rec.beats.tolist() == PEAKS  # '+', '(AFIB' and free text are not beats
    assert [CLASSES[i] for i in rec.labels] == SYMBOLS
    assert rec.annotations == "rec.edf"


def test_edf_lead_by_name_and_by_number(edf_file):
    assert read_recording(edf_file, lead="ECG V1").lead == "ECG V1"
    assert read_recording(edf_file, lead=1).lead == "ECG V1"
    assert read_recording(edf_file, lead="2").lead == "ECG II"


def test_edf_without_beat_annotations_and_bdf(tmp_path):
    plain = read_recording(write_edf(tmp_path / "a.edf", [("ECG", lead_ii(), "mV")]))
    assert plain.beats is None and plain.units == "mV"
    bdf = read_recording(write_edf(tmp_path / "b.bdf", [("II", lead_ii(), "mV")],
                                   beat_notes(), bdf=True))
    assert np.abs(bdf.signal - lead_ii()).max() <= 10000 / 2**24  # 24 bits over +-5000 mV
    assert bdf.beats.tolist() == PEAKS


def test_predict_an_edf_file_with_its_plot(edf_file, tmp_path, capsys):
    out, png = tmp_path / "beats.csv", tmp_path / "stretch.png"
    assert main(["predict", str(edf_file), "--out", str(out), "--plot", str(png)]) == 0
    frame = pd.read_csv(out)
    assert frame["sample"].tolist() == PEAKS and frame["reference"].tolist() == SYMBOLS
    assert "rec.edf: lead ECG II, 250 Hz" in capsys.readouterr().err
    assert png.stat().st_size > 10_000


def write_text(path, text):
    path.write_text(text)
    return path


def write_bytes(path, data):
    path.write_bytes(data)
    return path


def csv_text(header, rows, sep=","):
    return "\n".join([*header, *(sep.join(r) for r in rows)]) + "\n"


def test_csv_time_column_in_ms_and_units_in_the_names(tmp_path):
    x = lead_ii().tolist()
    rows = [(f"{i * 4}", f"{i}", f"{0.5 * v!r}", f"{v!r}") for i, v in enumerate(x)]
    path = write_text(tmp_path / "r.csv",
                      csv_text(["time (ms),sample,V1 (mV),MLII (mV)"], rows))
    rec = read_recording(path)
    assert (rec.lead, rec.units, rec.fs) == ("MLII", "mV", FS)
    np.testing.assert_array_equal(rec.signal, x)
    assert rec.beats is None
    assert read_recording(path, lead=3).lead == "V1"  # file column numbers, 1 = time


def test_csv_physionet_export_with_quotes_units_line_and_minutes(tmp_path):
    x = lead_ii()
    rows = [(f"'{int(i / FS // 60)}:{i / FS % 60:06.3f}'", f"{v:.3f}") for i, v in
            enumerate(x)]
    path = write_text(tmp_path / "p.csv", csv_text(["'Elapsed time','ECG'",
                                                    "'hh:mm:ss.mmm','mV'"], rows))
    rec = read_recording(path)
    assert (rec.lead, rec.units, rec.fs) == ("ECG", "mV", FS)
    np.testing.assert_allclose(rec.signal, x, atol=5e-4)


def test_csv_written_by_pandas_from_a_wfdb_record(tmp_path):
    """wfdb.Record.to_dataframe() has a timedelta index, written without a name."""
    x = lead_ii()
    frame = pd.DataFrame({"MLII": x}, index=pd.to_timedelta(np.arange(len(x)) / FS, unit="s"))
    frame.to_csv(tmp_path / "w.csv")
    rec = read_recording(tmp_path / "w.csv")
    assert (rec.lead, rec.fs, rec.units) == ("MLII", FS, None)
    np.testing.assert_array_equal(rec.signal, x)


def test_csv_without_header_or_time_needs_fs_and_keeps_gaps(tmp_path):
    x = lead_ii().tolist()
    lines = [f"{v!r};{2 * v!r}" for v in x]
    lines[500] = ";1.0"  # an empty cell: an invalid sample, as in WFDB
    path = write_text(tmp_path / "n.txt", "\n".join(lines) + "\n")
    rec = read_recording(path, fs=FS, lead=2)
    assert (rec.lead, rec.fs, rec.units) == ("2", FS, None)
    first = read_recording(path, fs=FS, lead="1").signal
    assert np.isnan(first[500]) and np.isfinite(np.delete(first, 500)).all()


def test_npy_one_lead_or_a_column_of_several(tmp_path):
    x = lead_ii()
    np.save(tmp_path / "one.npy", x.astype(np.float32))
    np.save(tmp_path / "two.npy", np.stack([x, 2 * x], axis=1))
    one = read_recording(tmp_path / "one.npy", fs=FS)
    np.testing.assert_allclose(one.signal, x, rtol=1e-6)
    assert (one.fs, one.units, one.lead) == (FS, None, "1")
    np.testing.assert_array_equal(read_recording(tmp_path / "two.npy", fs=FS, lead=2).signal,
                                  2 * x)


def test_a_given_fs_must_agree_with_the_file(edf_file):
    assert read_recording(edf_file, fs=FS).fs == FS
    with pytest.raises(EcgError, match="sampling frequency is 250 Hz, not the 360 Hz given"):
        read_recording(edf_file, fs=360)


def bad_csv(d, rows):
    return write_text(d / "bad.csv", csv_text(["time,MLII"], rows))


def good_rows(n=5000):
    return [(f"{i / FS!r}", "0.1") for i in range(n)]


def truncated_edf(d):
    path = write_edf(d / "t.edf", [("ECG II", lead_ii(), "mV")])
    data = path.read_bytes()
    path.write_bytes(data[:-1000])
    return path


def annotation_only_edf(d):
    edfio.Edf([], annotations=[edfio.EdfAnnotation(1.0, None, "N")]).write(d / "a.edf")
    return d / "a.edf"


def uneven_csv(d):
    rows = good_rows()
    del rows[1000]  # one sample missing: the time jumps
    return bad_csv(d, rows)


def not_increasing_csv(d):
    rows = good_rows()
    rows[10] = rows[9]
    return bad_csv(d, rows)


def text_in_signal_csv(d):
    rows = good_rows()
    rows[42] = (rows[42][0], "abc")
    return bad_csv(d, rows)


def save_npy(d, array, name="x.npy"):
    np.save(d / name, array, allow_pickle=True)
    return d / name


BAD_FILES = {
    # name: (make the file in directory d, extra args, words in the message)
    "missing edf": (lambda d: d / "none.edf", [], "none.edf: file not found"),
    "not an edf": (lambda d: write_text(d / "x.edf", "hello " * 100), [], "not a valid EDF"),
    "truncated edf": (truncated_edf, [], "t.edf: "),
    "annotation-only edf": (annotation_only_edf, [], "a.edf: no signal"),
    "edf lead missing": (lambda d: write_edf(d / "l.edf", [("ECG II", lead_ii(), "mV")]),
                         ["--lead", "V5"], "lead 'V5' not in record"),
    "edf fs disagrees": (lambda d: write_edf(d / "f.edf", [("ECG II", lead_ii(), "mV")]),
                         ["--fs", "360"], "not the 360 Hz given"),
    "csv without time or fs": (lambda d: write_text(d / "c.csv", "MLII\n1\n2\n"), [],
                               "no time column: give its sampling frequency"),
    "csv text in signal": (text_in_signal_csv, [], "data row 43: 'abc' is not a number"),
    "csv uneven time": (uneven_csv, [], "not evenly spaced"),
    "csv time not increasing": (not_increasing_csv, [], "time does not increase at data row 11"),
    "csv column number": (lambda d: bad_csv(d, good_rows()), ["--lead", "3"], "no column 3"),
    "csv time column as lead": (lambda d: bad_csv(d, good_rows()), ["--lead", "1"],
                                "is a time or sample column"),
    "csv empty": (lambda d: write_text(d / "e.csv", ""), [], "e.csv: empty"),
    "csv header only": (lambda d: write_text(d / "h.csv", "time,MLII\n"), [], "no samples"),
    "csv binary": (lambda d: write_bytes(d / "b.csv", b"\xff\xfe\x00\x81" * 100), [],
                   "not a text file"),
    "npy without fs": (lambda d: save_npy(d, lead_ii()), [], "give its sampling frequency"),
    "npy 3-D": (lambda d: save_npy(d, np.zeros((100, 2, 2))), ["--fs", "250"], "3-D array"),
    "npy pickled objects": (lambda d: save_npy(d, np.array([{"a": 1}], dtype=object)),
                            ["--fs", "250"], "not a NumPy array file"),
    "npy leads first": (lambda d: save_npy(d, np.zeros((2, 5000))), ["--fs", "250"],
                        "transpose it"),
    "npy garbage values": (lambda d: save_npy(d, np.full(5000, 1e300)), ["--fs", "250"],
                           "sample 0 is 1e+300, beyond any physical value"),
    "npy flat": (lambda d: save_npy(d, np.full(20 * FS, 0.1)), ["--fs", "250"],
                 "QRS detection found 0 beat"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_is_one_error_line_naming_it_and_writes_nothing(case, tmp_path, capsys):
    make, extra, words = BAD_FILES[case]
    (tmp_path / "in").mkdir()
    path = make(tmp_path / "in")
    out = tmp_path / "out" / "beats.csv"
    rc = main(["predict", str(path), "--out", str(out), "--plot", str(tmp_path / "out" / "p.png"),
               *extra])
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and words in err[0], err
    assert path.name in err[0]
    assert not out.parent.exists()
