"""Start-up times of `ecgcnn predict` and of the Python API, printed (not a test).

    python bench/startup.py [MITDB_DIR]      # default: $MITDB_MIRROR, else data/raw/mitdb

1. `ecgcnn predict` on the 30-minute record 100 (packaged model), whole command, as WFDB,
   EDF+ and CSV (written by `ecgcnn.export` first): median of 3 runs, wall and CPU seconds.
2. In one process: `api.classify` on record 100, then on a new signal of another length
   (record 101, its first 25 minutes), with its annotated beats and with GQRS detection.
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 3


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_seconds(args):
    """Median (wall, CPU) seconds of a command: CPU time tells a busy machine's wall time
    apart from the command's own work."""
    times = []
    for _ in range(RUNS):
        start, cpu = time.perf_counter(), children_cpu()
        subprocess.run(args, check=True, capture_output=True)
        times.append((time.perf_counter() - start, children_cpu() - cpu))
    return statistics.median(t for t, _ in times), statistics.median(c for _, c in times)


def cli_times(mitdb, tmp):
    from ecgcnn.export import write_csv, write_edf

    write_edf(mitdb / "100", tmp / "100.edf")
    write_csv(mitdb / "100", tmp / "100.csv")
    script = Path(sys.executable).with_name("ecgcnn")
    for label, path in (("WFDB", mitdb / "100"), ("EDF+", tmp / "100.edf"),
                        ("CSV", tmp / "100.csv")):
        wall, cpu = command_seconds([script, "predict", path, "--out", tmp / "beats.csv"])
        print(f"ecgcnn predict 100 ({label}, whole command, median of {RUNS}): {wall:.2f} s "
              f"(CPU {cpu:.2f} s)")


def api_times(mitdb):
    from ecgcnn import api
    from ecgcnn.records import read_beats, read_signal

    first, fs, _ = read_signal(mitdb / "100")
    beats, _, _ = read_beats(mitdb / "100")
    other, _, _ = read_signal(mitdb / "101")
    other = other[: int(25 * 60 * fs)]
    other_beats, _, _ = read_beats(mitdb / "101")
    other_beats = other_beats[other_beats < len(other)]
    for label, call in (
            ("first call, 100 with its beats (loads and compiles)",
             lambda: api.classify(first, fs, beats)),
            ("second call, 101 (25 min) with its beats",
             lambda: api.classify(other, fs, other_beats)),
            ("third call, 101 (25 min), beats detected by GQRS",
             lambda: api.classify(other, fs, units="mV"))):
        start, cpu = time.perf_counter(), time.process_time()
        frame = call()
        print(f"api.classify {label}: {time.perf_counter() - start:.2f} s "
              f"(CPU {time.process_time() - cpu:.2f} s, {len(frame)} beats)")


def main():
    default = os.environ.get("MITDB_MIRROR") or "data/raw/mitdb"
    mitdb = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    with tempfile.TemporaryDirectory() as tmp:
        cli_times(mitdb, Path(tmp))
    api_times(mitdb)


if __name__ == "__main__":
    main()
