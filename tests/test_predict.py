"""`ecgcnn predict`: beat positions, the CSV, the summary, the figure and the bad inputs.

A tiny model is trained once per session on random beats (it classifies badly; what is
tested is the plumbing, not the accuracy). Records are written here with wfdb.wrsamp and
wfdb.wrann, plus one real MIT-BIH record from ../shared/mitdb when it is there.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb
from conftest import SHARED_MITDB

from ecgcnn.aami import CLASSES
from ecgcnn.beats import RR_FEATURES
from ecgcnn.checkpoint import save_model
from ecgcnn.cli import main
from ecgcnn.detection import detect_beats
from ecgcnn.extract import window_samples
from ecgcnn.model import build_model
from ecgcnn.params import load_params
from ecgcnn.predict import COLUMNS, predict_record
from ecgcnn.readers import lead_units
from ecgcnn.records import read_beats, read_signal
from ecgcnn.train import fit

ROOT = Path(__file__).resolve().parents[1]

REAL = SHARED_MITDB / "100"
needs_mitdb = pytest.mark.skipif(not REAL.with_suffix(".hea").exists(),
                                 reason="../shared/mitdb/100 not available")
TINY = {"filters": 4, "kernel_size": 5, "blocks": 1, "dense": 8, "rr_hidden": 4,
        "dropout": 0.0, "rhythm_decides_s": True,
           "shape_channels": [0, 1]}
FS = 250  # the synthetic records are not at MIT-BIH's 360 Hz: predict has to resample


def found_within(reference, detected, seconds, fs):
    """Fraction of `reference` beats with a detected beat within `seconds`."""
    detected = np.sort(np.asarray(detected))
    right = np.clip(np.searchsorted(detected, reference), 0, len(detected) - 1)
    left = np.clip(right - 1, 0, len(detected) - 1)
    gap = np.minimum(np.abs(detected[left] - reference), np.abs(detected[right] - reference))
    return float(np.mean(gap <= seconds * fs))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A tiny model trained for one epoch on 320 random beats, saved like training does."""
    extract = load_params(ROOT / "params.yaml")["extract"]
    before, after = window_samples(extract)
    rng = np.random.default_rng(0)

    def beats(n):
        return {"x": rng.normal(size=(n, before + after, 2)).astype(np.float32),
                "rr": rng.normal(size=(n, len(RR_FEATURES))).astype(np.float32),
                "y": rng.integers(0, len(CLASSES), n).astype(np.int32)}

    model = build_model(TINY, before + after, 2, len(RR_FEATURES), seed=0)
    cfg = {"lr": 1e-3, "weight_decay": 1e-4, "batch_size": 64, "epochs": 1, "patience": 1,
           "shape_dropout": 0.3, "seed": 0}
    fit(model, beats(320), beats(64), cfg, progress=False)
    path = tmp_path_factory.mktemp("models") / "tiny"
    save_model(path, model, {"model": TINY, "extract": extract, "window": before + after,
                             "channels": 2, "rr_features": len(RR_FEATURES), "protocol": "test"})
    return path


def synthetic_ecg(seconds=60, fs=FS, seed=0):
    """Two leads (MLII, V1) of Gaussian P-QRS-T beats, every 7th beat a wide premature V.

    Returns (signal [n, 2], R-peak samples, beat symbols).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    x = 0.05 * np.sin(2 * np.pi * 0.3 * t) + 0.01 * rng.normal(size=t.size)
    peaks, symbols, now = [], [], 0.6
    while now < seconds - 0.6:
        premature = len(peaks) % 7 == 6
        waves = ([(-0.3, 0.0, 0.02), (1.4, 0.03, 0.025), (-0.5, 0.3, 0.06)] if premature else
                 [(0.1, -0.2, 0.02), (-0.1, -0.025, 0.008), (1.0, 0.0, 0.01),
                  (-0.2, 0.025, 0.008), (0.3, 0.3, 0.04)])
        for amp, offset, width in waves:
            x += amp * np.exp(-0.5 * ((t - now - offset) / width) ** 2)
        peak = int(round(now * fs)) + (int(round(0.03 * fs)) if premature else 0)
        peaks.append(peak)
        symbols.append("V" if premature else "N")
        now += rng.uniform(0.75, 0.9) * (0.65 if len(peaks) % 7 == 6 else 1.0)
    return np.stack([x, 0.5 * x], axis=1), np.array(peaks), symbols


def write_record(directory, name="syn", seconds=60, annotate=True, fs=FS):
    directory.mkdir(parents=True, exist_ok=True)
    signal, peaks, symbols = synthetic_ecg(seconds, fs)
    wfdb.wrsamp(name, fs=fs, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=signal,
                fmt=["16", "16"], write_dir=str(directory))
    if annotate:
        # A rhythm annotation ('+') among the beats: not a beat, must not become a row.
        samples = np.concatenate([[5], peaks])
        wfdb.wrann(name, "atr", samples, ["+", *symbols], aux_note=["(N", *[""] * len(peaks)],
                   write_dir=str(directory))
    return directory / name, peaks, symbols


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    return write_record(tmp_path_factory.mktemp("records"))


def check_frame(frame, fs):
    assert list(frame.columns[:len(COLUMNS)]) == list(COLUMNS)
    assert frame["sample"].is_monotonic_increasing
    assert np.allclose(frame["time_s"], frame["sample"] / fs, atol=1e-6)
    assert set(frame["predicted"]) <= set(CLASSES)
    probs = frame[[f"p_{c}" for c in CLASSES]].to_numpy()
    assert np.allclose(probs.sum(1), 1.0, atol=1e-4)
    assert (frame["predicted"] == np.asarray(CLASSES)[probs.argmax(1)]).all()


def test_detection_finds_the_synthetic_beats(record):
    path, peaks, _ = record
    signal, fs, lead = read_signal(path)
    assert (fs, lead) == (FS, "MLII")
    detected = detect_beats(signal, fs)
    assert found_within(peaks, detected, 0.15, fs) == 1.0
    assert len(detected) == len(peaks)
    # Refined onto the R peak, not just somewhere in the QRS: the N beats within 8 ms.
    assert found_within(peaks, detected, 0.008, fs) >= 0.8


@pytest.mark.parametrize("scale, units", [(1000, "uV"), (1e-3, "V"), (400, "adu")])
def test_detection_does_not_depend_on_the_units(tmp_path, record, scale, units):
    path, peaks, _ = record
    signal, fs, _ = read_signal(path)
    wfdb.wrsamp("scaled", fs=FS, units=[units], sig_name=["MLII"], fmt=["32"],
                p_signal=signal[:, None] * scale, write_dir=str(tmp_path))
    signal, fs, _ = read_signal(tmp_path / "scaled")
    assert lead_units(tmp_path / "scaled", "MLII") == units
    detected = detect_beats(signal, fs, units)
    assert found_within(peaks, detected, 0.15, fs) == 1.0
    assert len(detected) == len(peaks)


@needs_mitdb
def test_detection_on_a_real_record_ignoring_its_annotations():
    signal, fs, _ = read_signal(REAL)
    reference, _, _ = read_beats(REAL)
    detected = detect_beats(signal, fs)
    assert found_within(reference, detected, 0.15, fs) >= 0.99  # sensitivity
    assert found_within(detected, reference, 0.15, fs) >= 0.99  # positive predictivity


def test_predict_with_annotations(record, model_dir):
    path, peaks, symbols = record
    frame = predict_record(path, model_dir)
    check_frame(frame, FS)
    assert list(frame.columns) == [*COLUMNS, "reference"]
    # Every annotated beat whose window fits in the record; the '+' is not a beat.
    # (the synthetic beats are all 0.6 s or more from the record's ends: all have a window).
    assert frame["sample"].tolist() == peaks.tolist()
    assert frame["reference"].tolist() == symbols  # N and V are also the AAMI class names
    assert frame.attrs["source"] == "from annotations syn.atr"


def test_detection_when_there_are_no_annotations(tmp_path, model_dir):
    path, peaks, _ = write_record(tmp_path, annotate=False)
    frame = predict_record(path, model_dir)
    check_frame(frame, FS)
    # no reference without annotations; detected beats say whether they lie in detected VF
    assert list(frame.columns) == [*COLUMNS, "vf_detected"] and not frame["vf_detected"].any()
    assert found_within(peaks[2:-2], frame["sample"], 0.15, FS) == 1.0
    assert frame.attrs["source"] == "detected by wfdb GQRS"


def test_detect_flag_keeps_annotations_as_reference(record, model_dir):
    path, _, _ = record
    frame = predict_record(path, model_dir, detect=True)
    check_frame(frame, FS)
    assert frame.attrs["source"] == "detected by wfdb GQRS"
    assert frame.attrs["detection"]["se"] == 1.0
    assert frame["reference"].notna().all()


@needs_mitdb
def test_cli_on_a_real_record_with_detection_and_plot(tmp_path, model_dir, capsys):
    out, png = tmp_path / "out" / "beats.csv", tmp_path / "stretch.png"
    rc = main(["predict", str(REAL), "--model", str(model_dir), "--out", str(out), "--detect",
               "--plot", str(png)])
    assert rc == 0
    err = capsys.readouterr().err
    assert "detected by wfdb GQRS" in err and "accuracy" in err and "Se" in err
    frame = pd.read_csv(out)
    assert list(frame.columns) == [*COLUMNS, "vf_detected", "reference"]
    assert not frame["vf_detected"].any()  # a real record without flutter: no VF found
    reference, _, _ = read_beats(REAL)
    assert found_within(reference, frame["sample"], 0.15, 360) >= 0.99
    assert png.stat().st_size > 10_000
    assert sorted(p.name for p in out.parent.iterdir()) == ["beats.csv"]


def test_console_script_and_exit_codes(tmp_path, record, model_dir):
    path, _, _ = record
    script = Path(sys.executable).with_name("ecgcnn")
    out = tmp_path / "beats.csv"
    ok = subprocess.run([script, "predict", path, "--model", model_dir, "--out", out],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "predicted: N" in ok.stderr and out.exists()
    bad = subprocess.run([script, "predict", tmp_path / "nothing", "--model", model_dir,
                          "--out", tmp_path / "bad.csv"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1].startswith("error: ")
    assert not (tmp_path / "bad.csv").exists()


def bad_header(directory, fs_field):
    path, _, _ = write_record(directory, name="badfs")
    header = path.with_suffix(".hea")
    first, rest = header.read_text().split("\n", 1)
    fields = first.split()
    fields[2] = fs_field
    header.write_text(" ".join(fields) + "\n" + rest)
    return path


def empty_record(directory):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "empty.hea").write_text("empty 1 360 0\nempty.dat 16 200 16 0 0 0 0 MLII\n")
    (directory / "empty.dat").write_bytes(b"")
    return directory / "empty"


def flat_record(directory):
    directory.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp("flat", fs=360, units=["mV"], sig_name=["MLII"], fmt=["16"],
                p_signal=np.full((360 * 20, 1), 0.1), write_dir=str(directory))
    return directory / "flat"


def config_only_model(directory, model_dir):
    (directory / "no_params").mkdir(parents=True)
    shutil.copy(model_dir / "config.json", directory / "no_params")
    return directory / "no_params"


def other_shape_model(directory, model_dir):
    shutil.copytree(model_dir, directory / "other")
    config_file = directory / "other" / "config.json"
    config = json.loads(config_file.read_text())
    config["model"]["filters"] = 8
    config_file.write_text(json.dumps(config))
    return directory / "other"


BAD_INPUTS = {
    # name: (record, model, extra args, expected words in the message)
    "missing record": (lambda d, rec, m: d / "nope", None, [], "record header not found"),
    "missing checkpoint": (None, config_only_model, [], "no trained model here"),
    "other model shape": (None, other_shape_model, [], "does not match the model"),
    "fs 0": (lambda d, rec, m: bad_header(d, "0"), None, [], "invalid sampling frequency '0'"),
    "fs negative": (lambda d, rec, m: bad_header(d, "-360"), None, [],
                    "invalid sampling frequency '-360'"),
    "no such lead": (None, None, ["--lead", "V5"], "lead 'V5' not in record"),
    "empty record": (lambda d, rec, m: empty_record(d), None, [], "no samples"),
    "no beats": (lambda d, rec, m: flat_record(d), None, [], "QRS detection found 0 beat"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_one_clear_error_and_writes_nothing(case, tmp_path, record, model_dir,
                                                         capsys):
    make_record, make_model, extra, words = BAD_INPUTS[case]
    path = make_record(tmp_path / "rec", record[0], model_dir) if make_record else record[0]
    model = make_model(tmp_path / "model", model_dir) if make_model else model_dir
    out = tmp_path / "out" / "beats.csv"
    rc = main(["predict", str(path), "--model", str(model), "--out", str(out),
               "--plot", str(tmp_path / "out" / "plot.png"), *extra])
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and words in err[0], err
    assert not out.parent.exists() or not any(out.parent.iterdir())
