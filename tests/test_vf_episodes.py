"""Ventricular flutter / fibrillation episodes (`[` ... `]`, `!` waves) are episodes, not beats:
flagged in predict's CSV and summary, left out of score's statistics as bxb does."""

import json

import numpy as np
import pandas as pd
import pytest
import wfdb
from test_any_database import write
from test_predict import model_dir  # noqa: F401

from ecgcnn import cli
from ecgcnn.episodes import episodes_of, inside, read_episodes
from ecgcnn.predict import plot_stretch, predict_file, predict_record, summary
from ecgcnn.score import all_beats, score_database, summarise

FS = 250
ONSET_S, END_S = 20.0, 30.0


@pytest.mark.parametrize("symbols,want", [
    ("N[!!]N", [(1, 4)]),
    ("[N]N[N]", [(0, 2), (4, 6)]),
    ("N[N[N]N", [(1, 5)]),  # a second onset inside an episode changes nothing
    ("N]N[N]", [(3, 5)]),  # an end outside one neither
    ("N[NN", [(1, 99)]),  # never closed: to the record's end
    ("NNN", []),
])
def test_episodes_run_from_onset_to_end_as_bxb_reads_them(symbols, want):
    samples = np.arange(len(symbols))
    got = episodes_of(samples, list(symbols), length=100)
    assert got.shape == (len(want), 2) and got.tolist() == [list(w) for w in want]


def test_inside_includes_both_ends():
    mask = inside([9, 10, 15, 20, 21], np.array([[10, 20]]))
    assert mask.tolist() == [False, True, True, True, False]


def with_episode(directory, name="vf", beats_inside=True, fs=FS):
    """A synthetic record with a VF episode from ONSET_S to END_S marked `[`, `!` ..., `]`;
    its beats inside the episode stay annotated when `beats_inside`."""
    path, peaks, syms = write(directory, name, fs=fs)
    onset, end = int(ONSET_S * fs), int(END_S * fs)
    keep = beats_inside | (peaks < onset) | (peaks > end)
    waves = np.arange(onset + 50, end - 50, int(0.2 * fs))
    samples = np.concatenate([peaks[keep], [onset, end], waves])
    symbols = [*np.asarray(syms)[keep], "[", "]", *["!"] * len(waves)]
    order = np.argsort(samples, kind="stable")
    wfdb.wrann(name, "atr", samples[order], [symbols[i] for i in order],
               write_dir=str(directory))
    return path, peaks, (peaks >= onset) & (peaks <= end), len(waves)


def test_read_episodes_counts_the_flutter_waves(tmp_path):
    path, _, _, waves = with_episode(tmp_path)
    episodes, n = read_episodes(path, fs=FS, length=60 * FS)
    assert episodes.tolist() == [[ONSET_S * FS, END_S * FS]] and n == waves


def test_predict_flags_annotated_beats_inside_and_scores_the_others(tmp_path,
                                                                    model_dir):  # noqa: F811
    path, peaks, in_vf, _ = with_episode(tmp_path)
    recording, frame = predict_file(path, model_dir)
    flagged = frame["vf_episode"].to_numpy()
    np.testing.assert_array_equal(flagged, in_vf[np.isin(peaks, frame["sample"])])
    assert flagged.sum() > 5 and frame["reference"].notna().all()  # classified, flagged
    text = summary(frame)
    assert "1 ventricular flutter/fibrillation episode(s) marked in vf.atr" in text
    assert "0:20.0-0:30.0" in text
    assert f"{flagged.sum()} beat(s) inside flagged" in text
    assert f"over {(~flagged).sum()} beats with a reference class" in text
    fig = plot_stretch(recording, frame, start_s=15.0, seconds=10.0)
    shaded = [p for p in fig.axes[0].patches if p.get_label() == "VF episode (annotated)"]
    assert len(shaded) == 1 and shaded[0].get_x() == pytest.approx(ONSET_S)


def test_detected_beats_inside_are_flagged_and_not_counted(tmp_path, model_dir):  # noqa: F811
    path, peaks, in_vf, _ = with_episode(tmp_path, beats_inside=False)
    frame = predict_record(path, model_dir, detect=True)
    t = frame["time_s"]
    np.testing.assert_array_equal(frame["vf_episode"], (t >= ONSET_S) & (t <= END_S))
    d = frame.attrs["detection"]
    assert d["reference_beats"] == (~in_vf).sum()
    assert d["detected"] == (~frame["vf_episode"]).sum() + frame.attrs["edge_dropped"]
    assert d["se"] > 0.95 and d["ppv"] > 0.95  # the beats detected in VF are not extras


def test_rhythm_only_file_with_an_episode_flags_detected_beats(tmp_path, model_dir):  # noqa: F811
    path, _, _ = write(tmp_path, "r", fs=FS, annotate=False)
    wfdb.wrann("r", "atr", np.array([0, int(ONSET_S * FS), int(END_S * FS)]),
               ["+", "[", "]"], aux_note=["(N", "", ""], write_dir=str(tmp_path))
    frame = predict_record(path, model_dir)
    assert frame.attrs["source"] == "detected by wfdb GQRS"
    assert frame["vf_episode"].sum() > 5
    assert "1 ventricular flutter/fibrillation episode(s) marked in r.atr" in summary(frame)


def test_score_leaves_vf_beats_out_and_says_so(tmp_path, model_dir, capsys):  # noqa: F811
    db = tmp_path / "db"
    with_episode(db, "vf")
    write(db, "clean", fs=FS)
    frames, _ = score_database(db, model_dir, progress=False)
    beats = all_beats(frames)
    result = summarise(beats, frames, {}, model_dir)
    inside_vf = int(frames["vf"]["vf_episode"].sum())
    assert result["vf_episodes"] == {"records": {"vf": [[ONSET_S * FS, END_S * FS]]},
                                     "episodes": 1, "beats_excluded": inside_vf}
    assert result["scored_beats"] == len(beats) - inside_vf
    out = tmp_path / "out"
    assert cli.main(["score", str(db), "--model", str(model_dir), "--out", str(out),
                     "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert f"{inside_vf} beats inside 1 reference-marked VF episode(s)" in err
    assert "counted as bxb counts them" not in err  # beats from annotations: all paired
    table = pd.read_csv(out / "per_record.csv")
    assert table[["N", "S", "V", "F", "Q"]].to_numpy().sum() == result["scored_beats"]
    assert json.loads((out / "summary.json").read_text())["vf_episodes"]["beats_excluded"] == \
        inside_vf
