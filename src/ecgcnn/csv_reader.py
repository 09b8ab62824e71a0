"""Signals in delimited text: CSV, TSV, or one number per line.

The delimiter is the most frequent of `, ; tab` in the first line. The first line is a
header unless all its fields are numbers (then the columns are named 1, 2, ...). A second
header line of units, as PhysioNet's exports have ('mV', 'sec'), is read when none of its
fields is a number; otherwise a column's units are in its name: `MLII (mV)`, `ECG [uV]`.
Quotes around fields are dropped.

A time column gives the sampling frequency: one named time, t, s, sec, seconds, timestamp
or elapsed time (in seconds, or milliseconds when its units are ms), or whose values are
durations such as `0:00:01.250` or `0 days 00:00:00.002777` (what pandas writes for
`wfdb.Record.to_dataframe()`). Without one, the frequency must be given. A sample-number
column (`sample`, `sample #`, `index`) is not a signal. Empty cells are invalid samples.
"""

import csv
import re

import numpy as np
import pandas as pd

from .io import EcgError
from .readers import Recording, given_fs, lead_index, physical_signal

DELIMITERS = (",", ";", "\t")
TIME_NAMES = {"time", "t", "s", "sec", "secs", "seconds", "timestamp", "elapsed time",
              "time_s", "time_ms"}
SAMPLE_NAMES = {"sample", "sample #", "sample#", "samples", "sample number", "index"}
UNITS_IN_NAME = re.compile(r"^(.*?)\s*[(\[]\s*([^)\]]*?)\s*[)\]]$")  # "MLII (mV)"
MINUTES_SECONDS = re.compile(r"^\d+:\d+(\.\d*)?$")  # m:ss.fff, as PhysioNet writes it


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def clean(field):
    return field.strip().strip("'\"").strip()


def first_lines(path, n=2):
    """The first `n` lines of a text file (fewer when it is shorter)."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            return [line.rstrip("\r\n") for _, line in zip(range(n), f, strict=False)]
    except UnicodeDecodeError as e:
        raise EcgError(f"{path}: not a text file ({e})") from e


def layout(path):
    """(delimiter, column names, units from a units line or None, header lines)."""
    lines = first_lines(path)
    if not lines or not lines[0].strip():
        raise EcgError(f"{path}: empty, or its first line is blank")
    sep = max(DELIMITERS, key=lines[0].count)
    sep = sep if lines[0].count(sep) else ","

    def fields(line):
        return [clean(f) for f in next(csv.reader([line], delimiter=sep))]

    first = fields(lines[0])
    if all(is_number(f) for f in first):
        return sep, [str(i + 1) for i in range(len(first))], None, 0
    second = fields(lines[1]) if len(lines) > 1 else []
    if len(second) == len(first) and not any(is_number(f) for f in second if f):
        return sep, first, second, 2
    return sep, first, None, 1


def split_units(name):
    """('MLII', 'mV') from 'MLII (mV)'; (name, None) without units."""
    match = UNITS_IN_NAME.match(name)
    return (match.group(1), match.group(2) or None) if match else (name, None)


def read_table(path, sep, names, skip):
    try:
        return pd.read_csv(path, sep=sep, header=None, names=list(range(len(names))),
                           skiprows=skip, skipinitialspace=True, low_memory=False,
                           encoding="utf-8-sig")
    except Exception as e:  # pandas' parser errors name the line
        raise EcgError(f"{path}: cannot read it as a table ({type(e).__name__}: {e})") from e


def as_durations(values):
    """Seconds of duration strings ('0:00:01.250', '1:02.5', '0 days 00:00:00.25'), or None
    when they are not durations."""
    text = values.astype(str).str.strip().str.strip("'\"")
    text = text.where(~text.str.match(MINUTES_SECONDS), "0:" + text)
    try:
        return pd.to_timedelta(text).dt.total_seconds().to_numpy()
    except (ValueError, TypeError):
        return None


def time_seconds(column, name, units):
    """A column's values as seconds if it is a time column, else None."""
    if column.dtype.kind in "iuf":
        if name.lower() not in TIME_NAMES:
            return None
        scale = 1e-3 if (units or "").lower() == "ms" or name.lower() == "time_ms" else 1.0
        return column.to_numpy(np.float64) * scale
    return as_durations(column)


def fs_from_time(path, seconds):
    """The sampling frequency of evenly spaced times (each within half a sample)."""
    if len(seconds) < 2 or not np.isfinite(seconds).all():
        raise EcgError(f"{path}: the time column needs at least two times, all numbers")
    steps = np.diff(seconds)
    if (steps <= 0).any():
        row = int(np.flatnonzero(steps <= 0)[0]) + 2
        raise EcgError(f"{path}: time does not increase at data row {row}")
    fs = (len(seconds) - 1) / (seconds[-1] - seconds[0])
    off = np.abs(seconds - seconds[0] - np.arange(len(seconds)) / fs)
    if off.max() > 0.5 / fs:
        row = int(off.argmax()) + 1
        raise EcgError(f"{path}: the times are not evenly spaced (data row {row} is "
                       f"{off.max() * fs:.1f} samples off a {fs:.6g} Hz grid)")
    return float(f"{fs:.6g}")


def numbers(path, column, name):
    """A signal column as floats: empty cells NaN, any other text an error."""
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise EcgError(f"{path}: column {name!r}, data row {row}: {column[bad].iloc[0]!r} "
                       "is not a number")
    return physical_signal(values.to_numpy(np.float64), path)


def column_roles(table, names, units):
    """(time column index or None, its seconds, indices of the signal columns)."""
    time_col, seconds, signals = None, None, []
    for i, name in enumerate(names):
        if name.lower() in SAMPLE_NAMES:
            continue
        found = time_seconds(table[i], name, units[i]) if time_col is None else None
        if found is not None:
            time_col, seconds = i, found
        else:
            signals.append(i)
    return time_col, seconds, signals


def pick_column(path, names, signals, lead):
    """The signal column: `lead` as a name among the signals or a file column number."""
    if lead is not None and str(lead) not in names and str(lead).isdigit():
        i = lead_index(names, lead, path)
        if i not in signals:
            raise EcgError(f"{path}: column {lead} ({names[i]!r}) is a time or sample column")
        return i
    return signals[lead_index([names[i] for i in signals], lead, path)]


def read_csv(path, lead=None, fs=None):
    """The `Recording` of a delimited text file."""
    sep, header, units_line, skip = layout(path)
    names, units = zip(*(split_units(h) for h in header), strict=True)
    units = list(units_line or units)
    table = read_table(path, sep, header, skip)
    if len(table) == 0:
        raise EcgError(f"{path}: the recording has no samples")
    time_col, seconds, signals = column_roles(table, names, units)
    if not signals:
        raise EcgError(f"{path}: no signal column (columns: {', '.join(names)})")
    i = pick_column(path, list(names), signals, lead)
    rate = (fs_from_time(path, seconds) if time_col is not None
            else given_fs(path, fs, "the file has no time column"))
    signal = numbers(path, table[i], names[i])
    return Recording(name=path.name, fs=rate, lead=names[i], units=units[i] or None,
                     samples=len(signal), signal=signal)
