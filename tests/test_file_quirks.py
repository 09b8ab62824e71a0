"""Quirks of real files cost only what they touch: an annotation file's odd beats one warning
each; header fields WFDB allows to be left out or zero are read as WFDB reads them.

The annotation files are written byte by byte (WFDB's MIT format: a 16-bit word per
annotation, type in the top 6 bits, time step in the low 10, SKIP for larger or negative
steps), since wfdb.wrann refuses samples out of order.
"""

import struct

import numpy as np
import pytest
from conftest import write_record
from test_predict import model_dir  # noqa: F401

from ecgcnn.cli import main
from ecgcnn.records import read_beats, read_signal

FS, SECONDS = 360, 20
LENGTH = FS * SECONDS
CODES = {"N": 1, "V": 5, "+": 14, "[": 38, "!": 31, "]": 39}
SKIP = 59


def ann_bytes(samples, symbols):
    """An MIT-format annotation file holding `samples` in the order given."""
    out, previous = b"", 0
    for sample, symbol in zip(samples, symbols, strict=True):
        step = int(sample) - previous
        if not 0 <= step < 1024:  # SKIP: a 32-bit step, high word first
            out += struct.pack("<HHH", SKIP << 10, (step >> 16) & 0xFFFF, step & 0xFFFF)
            step = 0
        out += struct.pack("<H", (CODES[symbol] << 10) | step)
        previous = int(sample)
    return out + b"\0\0"


@pytest.fixture
def quirky(tmp_path):
    """A 20-s record at 72 bpm; write_atr(samples, symbols) replaces its annotation file."""
    peaks = list(range(200, LENGTH - 200, int(0.83 * FS)))
    path = write_record(tmp_path, "q", peaks, ["N"] * len(peaks), fs=FS, seconds=SECONDS)

    def write_atr(samples, symbols=None):
        path.with_suffix(".atr").write_bytes(ann_bytes(samples, symbols or ["N"] * len(samples)))
        return path
    return path, np.array(peaks), write_atr


def one_warning(capsys, *words):
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: "), lines
    assert all(w in lines[0] for w in words), lines
    return lines[0]


@pytest.mark.parametrize("outside", [[LENGTH], [LENGTH, LENGTH + 500], [-5]])
def test_a_beat_outside_the_signal_is_dropped_with_one_warning(quirky, capsys, outside):
    path, peaks, write_atr = quirky
    samples = sorted([*peaks, *outside])
    write_atr(samples)
    got, labels, symbols = read_beats(path, fs=FS, length=LENGTH)
    np.testing.assert_array_equal(got, peaks)
    assert len(labels) == len(symbols) == len(peaks)
    line = one_warning(capsys, "q.atr", f"{len(outside)} beat", f"{LENGTH} samples: dropped",
                       str(outside[0]))
    assert "outside" in line
    read_beats(path, fs=FS)  # without a length nothing is outside
    assert capsys.readouterr().err == ""


def test_a_second_beat_on_one_sample_is_dropped_the_first_kept(quirky, capsys):
    path, peaks, write_atr = quirky
    samples = sorted([*peaks, peaks[3], peaks[7]])
    symbols = ["N"] * len(samples)
    symbols[4] = "V"  # the second annotation on peaks[3]
    write_atr(samples, symbols)
    got, labels, got_symbols = read_beats(path, fs=FS, length=LENGTH)
    np.testing.assert_array_equal(got, peaks)
    assert list(got_symbols) == ["N"] * len(peaks)  # the first in the file kept
    one_warning(capsys, "2 beats on a sample another beat", str(peaks[3]), str(peaks[7]))


def test_beats_out_of_time_order_are_sorted(quirky, capsys):
    path, peaks, write_atr = quirky
    samples = list(peaks)
    samples[5], samples[6] = samples[6], samples[5]
    symbols = ["N"] * len(samples)
    symbols[5] = "V"  # the beat at peaks[6] is a V
    write_atr(samples, symbols)
    got, _, got_symbols = read_beats(path, fs=FS, length=LENGTH)
    np.testing.assert_array_equal(got, peaks)
    assert got_symbols[6] == "V" and got_symbols[5] == "N"
    one_warning(capsys, "1 beat out of time order", str(peaks[5]))


def test_predict_keeps_the_record_when_its_last_beat_is_past_the_end(quirky, model_dir,  # noqa: F811
                                                                     tmp_path, capsys):
    path, peaks, write_atr = quirky
    write_atr([*peaks, LENGTH])
    out = tmp_path / "beats.csv"
    assert main(["predict", str(path), "--model", str(model_dir), "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("warning: ") and f"sample {LENGTH})" in err[0]
    assert not any(line.startswith("warning: ") for line in err[1:])
    assert f"{len(peaks)} beats from annotations" in "\n".join(err)


def rewrite_header(path, edit):
    header = path.with_suffix(".hea")
    lines = header.read_text().splitlines()
    header.write_text("\n".join(edit(lines)) + "\n")


def test_a_header_without_the_sample_count_is_read_whole(quirky, capsys):
    path, _, _ = quirky
    signal = read_signal(path)[0]
    rewrite_header(path, lambda lines: [" ".join(lines[0].split()[:3]), *lines[1:]])
    np.testing.assert_array_equal(read_signal(path)[0], signal)
    assert capsys.readouterr().err == ""


def with_gain(line, gain):
    fields = line.split()
    fields[2] = gain + fields[2][len(fields[2].split("(")[0].split("/")[0]):]
    return " ".join(fields)


def test_an_adc_gain_of_zero_means_wfdb_s_default_200(quirky):
    path, _, _ = quirky
    rewrite_header(path, lambda lines: [lines[0], *(with_gain(x, "200") for x in lines[1:])])
    at_200 = read_signal(path)[0]
    rewrite_header(path, lambda lines: [lines[0], *(with_gain(x, "0") for x in lines[1:])])
    assert path.with_suffix(".hea").read_text().splitlines()[1].split()[2].startswith("0")
    np.testing.assert_array_equal(read_signal(path)[0], at_200)
