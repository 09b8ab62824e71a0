"""Records unlike MIT-BIH's, written here: other rates, lead names, segments, gaps, rhythm-only
annotations, beat codes MIT-BIH never uses; and `ecgcnn score` over a whole directory."""

import json

import numpy as np
import pandas as pd
import pytest
import wfdb
from test_predict import check_frame, found_within, model_dir, synthetic_ecg  # noqa: F401

from ecgcnn import cli
from ecgcnn.aami import CLASSES
from ecgcnn.extract import beats_from_signal
from ecgcnn.filters import valid_stretches
from ecgcnn.params import load_params
from ecgcnn.predict import predict_record, summary
from ecgcnn.records import read_beats, read_signal
from ecgcnn.score import database_records, score_database

EXTRACT = load_params()["extract"]


def write(directory, name, fs=250, seconds=60, sig_names=("MLII", "V1"), symbols=None,
          annotate=True, gap=None, ann_fs=None):
    """A synthetic 2-lead record; `gap` = (start_s, stop_s) of invalid samples (NaN);
    `ann_fs` writes the annotation file at another rate (stated in the file)."""
    directory.mkdir(parents=True, exist_ok=True)
    signal, peaks, syms = synthetic_ecg(seconds, fs)
    if gap:
        signal[int(gap[0] * fs):int(gap[1] * fs)] = np.nan
    wfdb.wrsamp(name, fs=fs, units=["mV", "mV"], sig_name=list(sig_names), p_signal=signal,
                fmt=["16", "16"], write_dir=str(directory))
    syms = symbols(syms) if symbols else syms
    if annotate:
        scale = (ann_fs or fs) / fs
        wfdb.wrann(name, "atr", np.round(peaks * scale).astype(np.int64), syms,
                   fs=ann_fs, write_dir=str(directory))
    return directory / name, peaks, syms


@pytest.mark.parametrize("fs", [128, 250, 257])
def test_other_sampling_rates_are_classified_and_detected(tmp_path, model_dir, fs):  # noqa: F811
    path, peaks, _ = write(tmp_path, f"r{fs}", fs=fs)
    frame = predict_record(path, model_dir)
    check_frame(frame, fs)
    assert len(frame) >= len(peaks) - 2  # all but the beats at the edges
    detected = predict_record(path, model_dir, detect=True)
    assert found_within(peaks, detected["sample"], 0.05, fs) > 0.95
    assert detected.attrs["detection"]["se"] > 0.95


@pytest.mark.parametrize("names,chosen", [(("V1", "II"), "II"), (("ECG II", "V5"), "ECG II"),
                                          (("ml2", "V1"), "ml2"), (("lead_II", "V1"), "lead_II"),
                                          (("V1", "MLII"), "MLII")])
def test_lead_ii_under_other_names_is_chosen_silently(tmp_path, names, chosen, capsys):
    path, _, _ = write(tmp_path, "lead", sig_names=names)
    assert read_signal(path)[2] == chosen
    assert capsys.readouterr().err == ""


def test_without_lead_ii_the_first_signal_is_used_with_one_warning(tmp_path, capsys):
    path, _, _ = write(tmp_path, "v", sig_names=("V1", "V5"))
    assert read_signal(path)[2] == "V1"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: v ") and "'V1'" in err[0]
    assert read_signal(path, "V5")[2] == "V5"  # --lead as before, no warning
    assert capsys.readouterr().err == ""


def test_multi_segment_record_in_physical_units_per_segment(tmp_path):
    fs, n = 250, 3000
    x = np.sin(np.arange(2 * n) / 20.0)
    for i, gain in enumerate((200.0, 1000.0)):  # the segments differ in gain
        wfdb.wrsamp(f"seg{i}", fs=fs, units=["mV"], sig_name=["II"], adc_gain=[gain],
                    baseline=[0], p_signal=x[i * n:(i + 1) * n, None], fmt=["16"],
                    write_dir=str(tmp_path))
    (tmp_path / "multi.hea").write_text(f"multi/2 1 {fs} {2 * n}\nseg0 {n}\nseg1 {n}\n")
    signal, rate, lead = read_signal(tmp_path / "multi")
    assert (rate, lead, len(signal)) == (fs, "II", 2 * n)
    np.testing.assert_allclose(signal, x, atol=1 / 200)  # the coarser segment's resolution


def test_valid_stretches_bridge_short_gaps_and_split_at_long_ones():
    x = np.arange(100, dtype=float)
    x[10:13] = np.nan  # 3 samples: bridged
    x[40:70] = np.nan  # 30 samples: splits
    filled, stretches, bridged = valid_stretches(x, fs=10, max_gap_s=2.0)
    assert stretches == [(0, 40), (70, 100)] and bridged == 3
    np.testing.assert_allclose(filled[10:13], [10, 11, 12])
    assert np.isnan(filled[40:70]).all()


def test_no_rr_interval_and_no_beat_across_a_long_gap(tmp_path, model_dir):  # noqa: F811
    fs = 250
    path, peaks, _ = write(tmp_path, "gap", fs=fs, gap=(20.0, 30.0))
    signal, _, _ = read_signal(path)
    x, rr, kept = beats_from_signal(signal, fs, peaks, EXTRACT)
    in_gap = (peaks >= 20.0 * fs - 0.45 * fs) & (peaks < 30.0 * fs + 0.25 * fs)
    assert not kept[in_gap].any()  # no window touches the gap
    after = peaks >= 30 * fs
    # The beats after the gap get the RR features of a record that starts there.
    _, rr_alone, kept_alone = beats_from_signal(signal[30 * fs:], fs, peaks[after] - 30 * fs,
                                                EXTRACT)
    np.testing.assert_allclose(rr[after[kept]], rr_alone)
    frame = predict_record(path, model_dir)
    assert frame.attrs["gaps"] == 1
    assert not ((frame["time_s"] > 19.5) & (frame["time_s"] < 30.3)).any()
    assert "1 longer gap(s) split the record" in summary(frame)


def test_annotation_file_at_another_rate_is_converted(tmp_path):
    path, peaks, _ = write(tmp_path, "annfs", fs=250, ann_fs=1000)
    samples, _, _ = read_beats(path, fs=250)
    np.testing.assert_array_equal(samples, peaks)


def test_bnr_beats_are_kept_with_their_classes(tmp_path):
    def codes(syms):
        return [("B", "n", "r")[i % 3] if s == "N" and i % 5 == 0 else s
                for i, s in enumerate(syms)]
    path, peaks, syms = write(tmp_path, "bnr", symbols=codes)
    samples, labels, symbols = read_beats(path)
    assert len(samples) == len(peaks)  # no beat dropped: no doubled RR interval
    want = {"B": "N", "n": "N", "r": "V", "N": "N", "V": "V"}
    assert [CLASSES[k] for k in labels] == [want[s] for s in symbols]
    assert {"B", "n", "r"} <= set(symbols)


def rhythm_only(directory, name="af"):
    path, _, _ = write(directory, name, annotate=False)
    wfdb.wrann(name, "atr", np.array([0, 5000]), ["+", "+"], aux_note=["(AFIB", "(N"],
               write_dir=str(directory))
    return path


def test_rhythm_only_annotations_mean_detect_the_beats(tmp_path, model_dir):  # noqa: F811
    path = rhythm_only(tmp_path)
    frame = predict_record(path, model_dir)
    assert frame.attrs["source"] == "detected by wfdb GQRS" and len(frame) > 50
    assert "reference" not in frame and "detection" not in frame.attrs
    assert "af.atr has 0 beat annotation(s)" in summary(frame)
    detected = predict_record(path, model_dir, detect=True)  # scores nothing, no crash
    assert "detection" not in detected.attrs and len(detected) == len(frame)


def test_score_a_directory_reports_a_bad_record_and_scores_the_rest(tmp_path, model_dir,  # noqa: F811
                                                                    capsys):
    db = tmp_path / "db"
    write(db, "a", fs=128)
    write(db, "b", fs=257, sig_names=("ECG II", "V1"))
    write(db, "broken")
    (db / "broken.dat").write_bytes((db / "broken.dat").read_bytes()[:100])  # truncated
    rhythm_only(db, "af")
    write(db, "unannotated", annotate=False)  # not part of the database's scoring
    assert database_records(db) == ["a", "af", "b", "broken"]
    frames, failed = score_database(db, model_dir, progress=False)
    assert sorted(frames) == ["a", "af", "b"] and list(failed) == ["broken"]

    out = tmp_path / "out"
    status = cli.main(["score", str(db), "--model", str(model_dir), "--out", str(out),
                       "--jobs", "1"])
    err = capsys.readouterr().err
    assert status == 1 and "error: record broken skipped" in err
    beats = pd.read_csv(out / "beats.csv")
    summary_json = json.loads((out / "summary.json").read_text())
    assert set(beats["record"]) == {"a", "af", "b"}
    assert summary_json["failed"].keys() == {"broken"}
    cm = np.array(summary_json["confusion"]["matrix"])
    assert cm.sum() == summary_json["scored_beats"] == beats["reference"].notna().sum()
    assert summary_json["scored_beats"] < summary_json["beats"]  # af: detected, not scored
    table = pd.read_csv(out / "per_record.csv")
    assert sorted(table["record"].astype(str)) == ["a", "b"]
    assert table[list(CLASSES)].to_numpy().sum() == cm.sum()
    assert (out / "confusion.png").exists() and (out / "per_record.png").exists()


def test_score_in_parallel_processes_equals_one_process(tmp_path, model_dir):  # noqa: F811
    db = tmp_path / "db"
    for name, fs in (("a", 128), ("b", 250), ("c", 360)):
        write(db, name, fs=fs)
    one, _ = score_database(db, model_dir, detect=True, jobs=1, progress=False)
    two, _ = score_database(db, model_dir, detect=True, jobs=2, progress=False)
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name])
        assert one[name].attrs["detection"] == two[name].attrs["detection"]


@pytest.fixture
def chunked(monkeypatch):
    """Records longer than 20 s read in 20-s chunks (5-s margins): a 60-s record is long."""
    from ecgcnn import chunks
    monkeypatch.setattr(chunks, "CHUNK_S", 20.0)
    monkeypatch.setattr(chunks, "MARGIN_S", 5.0)


@pytest.mark.parametrize("fs", [250, 257, 360])
def test_a_long_record_read_in_chunks_gives_the_whole_record_result(tmp_path, model_dir,  # noqa: F811
                                                                    fs, monkeypatch):
    path, _, _ = write(tmp_path, f"long{fs}", fs=fs, gap=(18.5, 23.0))  # across a chunk edge
    whole = predict_record(path, model_dir)
    from ecgcnn import chunks
    monkeypatch.setattr(chunks, "CHUNK_S", 20.0)
    monkeypatch.setattr(chunks, "MARGIN_S", 5.0)
    parts = predict_record(path, model_dir)
    assert parts.attrs["chunked"] and not whole.attrs["chunked"]
    assert parts.attrs["gaps"] == whole.attrs["gaps"] == 1
    np.testing.assert_array_equal(parts["sample"], whole["sample"])
    probs = [f"p_{c}" for c in CLASSES]
    np.testing.assert_allclose(parts[probs], whole[probs], atol=2e-3)


def test_detection_in_chunks_finds_the_same_beats(tmp_path, model_dir, chunked):  # noqa: F811
    path, peaks, _ = write(tmp_path, "longdet", fs=250, annotate=False)
    frame = predict_record(path, model_dir)
    assert frame.attrs["chunked"]
    assert found_within(peaks, frame["sample"], 0.02, 250) > 0.98
    assert found_within(frame["sample"].to_numpy(), peaks, 0.02, 250) > 0.98
    assert frame["sample"].is_monotonic_increasing and frame["sample"].is_unique


def test_score_of_a_database_without_beat_annotations_scores_nothing(tmp_path, model_dir,  # noqa: F811
                                                                     capsys):
    db = tmp_path / "db"
    rhythm_only(db, "af1")
    rhythm_only(db, "af2")
    out = tmp_path / "out"
    status = cli.main(["score", str(db), "--model", str(model_dir), "--out", str(out),
                       "--jobs", "1"])
    summary_json = json.loads((out / "summary.json").read_text())
    assert status == 0 and summary_json["beats"] > 100 and summary_json["scored_beats"] == 0
    assert "ec57" not in summary_json and not (out / "confusion.png").exists()
    assert "0 with a reference class" in capsys.readouterr().err
