"""Time and peak memory of `ecgcnn predict` on a long synthetic record (a Holter's length).

    python bench/long_record.py [--hours 24] [--fs 360] [--detect] [--model DIR]

Writes a record of `hours` at `fs` Hz (one lead, MLII, a beat every ~0.8 s, every 7th a wide
premature V; annotated) into a temporary directory, runs `ecgcnn predict` on it in a child
process and prints its wall time, beats per second and peak RSS. Records longer than
`ecgcnn.chunks.CHUNK_S` are read in chunks: memory should depend on the number of beats, not
on the number of samples.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_minute(fs, seed=0):
    """60 s of Gaussian P-QRS-T beats and their (samples, symbols)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(60 * fs) / fs
    x = 0.01 * rng.standard_normal(t.size)
    peaks, symbols, now = [], [], 0.5
    while now < 59.3:
        premature = len(peaks) % 7 == 6
        waves = ([(-0.3, 0.0, 0.02), (1.3, 0.03, 0.025), (-0.5, 0.3, 0.06)] if premature else
                 [(0.1, -0.2, 0.02), (1.0, 0.0, 0.01), (0.3, 0.3, 0.04)])
        for amp, offset, width in waves:
            x += amp * np.exp(-0.5 * ((t - now - offset) / width) ** 2)
        peaks.append(int(round((now + (0.03 if premature else 0.0)) * fs)))
        symbols.append("V" if premature else "N")
        now += rng.uniform(0.75, 0.9) * (0.65 if len(peaks) % 7 == 6 else 1.0)
    return x, np.array(peaks), symbols


def write_long_record(directory, hours, fs):
    import numpy as np
    import wfdb

    minute, peaks, symbols = one_minute(fs)
    minutes = int(round(hours * 60))
    wfdb.wrsamp("long", fs=fs, units=["mV"], sig_name=["MLII"], fmt=["16"],
                p_signal=np.tile(minute, minutes)[:, None], write_dir=str(directory))
    samples = np.concatenate([peaks + k * 60 * fs for k in range(minutes)])
    wfdb.wrann("long", "atr", samples, symbols * minutes, write_dir=str(directory))
    print(len(samples))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--fs", type=int, default=360)
    parser.add_argument("--detect", action="store_true")
    parser.add_argument("--model", default="models/inter_patient/seed0")
    parser.add_argument("--write", metavar="DIR", help=argparse.SUPPRESS)  # the writer child
    args = parser.parse_args()
    if args.write:
        return write_long_record(args.write, args.hours, args.fs)
    # The record is written by a child, so that this process stays small: the measured child
    # starts as a copy of it.
    with tempfile.TemporaryDirectory() as tmp:
        beats = int(subprocess.run([sys.executable, __file__, "--write", tmp, "--hours",
                                    str(args.hours), "--fs", str(args.fs)], check=True,
                                   capture_output=True, text=True).stdout)
        command = [str(Path(sys.executable).parent / "ecgcnn"), "predict", str(Path(tmp) / "long"),
                   "--model", args.model, "--out", str(Path(tmp) / "beats.csv"),
                   *(["--detect"] if args.detect else [])]
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if status:
            sys.exit(f"ecgcnn predict failed:\n{child.stderr.read().decode()}")
    source = "detected" if args.detect else "annotated"
    print(f"{args.hours:g} h at {args.fs} Hz ({beats} beats, {source}): {seconds:.1f} s, "
          f"{beats / seconds:,.0f} beats/s, peak RSS {usage.ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
