"""Any supported recording -> one lead in physical units, its rate and its annotated beats.

The format is told by the file's suffix: `.edf` / `.bdf` (EDF, EDF+, BDF: `edf_reader`),
`.csv` / `.tsv` / `.txt` (`csv_reader`), `.npy` (a NumPy array); anything else is a WFDB
record (a `.hea` header and its signal). Whatever the format, the result is a `Recording`
and everything after it is the same chain (`predict.classify_recording`).
"""

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .io import EcgError

EDF_SUFFIXES = (".edf", ".bdf")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
NPY_SUFFIXES = (".npy",)
MAX_ABS = 1e15  # a sample larger than this in any unit (nV included) is not a signal


@dataclasses.dataclass
class Recording:
    """One lead of a recording, as the classifier needs it."""

    name: str  # the file or record name, for the summary and error messages
    fs: float
    lead: str
    units: str | None  # physical units; None: unknown (scaled for the QRS detector)
    samples: int
    signal: np.ndarray | None = None  # float64, NaN where invalid; None: read in pieces
    read_range: Callable | None = None  # (start, stop) -> samples, when `signal` is None
    beats: np.ndarray | None = None  # annotated beat samples, sorted
    labels: np.ndarray | None = None  # their AAMI class indices
    annotations: str | None = None  # where the annotated beats come from
    note: str | None = None  # a remark for the summary
    # Annotated VF episodes [k, 2] (episodes.py; none for formats without WFDB annotations).
    episodes: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2), np.int64))
    flutter_waves: int = 0  # `!` waves inside them
    episode_file: str | None = None  # the annotation file marking them

    def part(self, start, stop):
        """Samples [start, stop) of the lead."""
        if self.signal is not None:
            return self.signal[start:stop]
        return self.read_range(start, stop)


def record_path(record, annotations="atr"):
    """A record path without the extension people often type (100.hea, 100.dat, 100.atr)."""
    path = Path(record)
    if path.suffix in (".hea", ".dat", f".{annotations}"):
        path = path.with_suffix("")
    return path


def file_kind(path):
    """'edf', 'csv', 'npy' or 'wfdb', from the suffix."""
    suffix = Path(path).suffix.lower()
    for kind, suffixes in (("edf", EDF_SUFFIXES), ("csv", CSV_SUFFIXES), ("npy", NPY_SUFFIXES)):
        if suffix in suffixes:
            return kind
    return "wfdb"


def check_exists(path, annotations="atr"):
    """A missing file (or a bad WFDB header) is reported before any model is loaded."""
    from .records import read_header_fs

    if file_kind(path) == "wfdb":
        read_header_fs(record_path(path, annotations))
    elif not Path(path).is_file():
        raise EcgError(f"{path}: file not found")


def read_recording(path, lead=None, fs=None, annotations="atr", chunk_s=None):
    """The `Recording` of any supported file.

    `lead`: a signal name (WFDB or EDF signal, CSV column header) or a column number
    (1 = the file's first column); by default MLII or lead II, else the first signal.
    `fs`: the sampling frequency in Hz, needed for a CSV file without a time column and for
    `.npy`; where the file states its own, a different `fs` is an error. `annotations`: the
    WFDB annotation extension. `chunk_s`: a WFDB record longer than this is read in pieces.
    """
    from .csv_reader import read_csv
    from .edf_reader import read_edf

    check_exists(path, annotations)
    kind = file_kind(path)
    if kind == "wfdb":
        recording = read_wfdb(record_path(path, annotations), lead, annotations, chunk_s)
    else:
        recording = {"edf": read_edf, "csv": read_csv, "npy": read_npy}[kind](Path(path), lead, fs)
    check_fs(path, recording.fs, fs)
    return recording


def check_fs(path, stated, given):
    """A sampling frequency given by the user must agree with the file's own."""
    if given is None:
        return
    if not np.isfinite(given) or given <= 0:
        raise EcgError(f"--fs {given}: must be a positive number of samples per second")
    if abs(given - stated) > 0.005 * stated:
        raise EcgError(f"{path}: the file's sampling frequency is {stated:g} Hz, not the "
                       f"{given:g} Hz given")


def given_fs(path, fs, why):
    """The user's sampling frequency for a file that does not state its own."""
    if fs is None:
        raise EcgError(f"{path}: {why}: give its sampling frequency (--fs, or fs= in Python)")
    check_fs(path, fs, fs)
    return float(fs)


def lead_index(names, lead, path):
    """Index in `names` of `lead`: a name, or a column number (1 = first) as int or text;
    None picks as for WFDB records (MLII or lead II, else the first, with a warning) unless
    there is one signal only."""
    from .records import choose_lead

    if lead is None and len(names) == 1:
        return 0
    if lead is not None and str(lead) not in names and re.fullmatch(r"\d+", str(lead)):
        number = int(lead)
        if not 1 <= number <= len(names):
            raise EcgError(f"{path}: no column {number} (it has {len(names)}: "
                           f"{', '.join(names)})")
        return number - 1
    try:
        return choose_lead(list(names), None if lead is None else str(lead), Path(path).name)
    except EcgError as e:
        raise EcgError(f"{path}: {e}") from e


def physical_signal(values, path):
    """A lead as float64 (NaN and infinities are invalid samples); checked non-empty and
    within MAX_ABS."""
    try:
        signal = np.array(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as e:
        raise EcgError(f"{path}: the signal is not numbers ({type(e).__name__}: {e})") from e
    if len(signal) == 0:
        raise EcgError(f"{path}: the recording has no samples")
    signal[~np.isfinite(signal)] = np.nan
    huge = np.flatnonzero(np.abs(np.nan_to_num(signal)) > MAX_ABS)
    if len(huge):  # garbage samples, which would overflow the filters' float32 windows
        raise EcgError(f"{path}: sample {huge[0]} is {signal[huge[0]]:g}, beyond any physical "
                       f"value (|value| > {MAX_ABS:g})")
    return signal


def checked_beats(onsets, labels, length, where):
    """Annotated beats as (sorted samples, classes); one per sample, all inside the signal."""
    try:
        onsets = np.asarray(onsets, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as e:
        raise EcgError(f"{where}: beat positions must be numbers ({e})") from e
    if not np.isfinite(onsets).all():
        raise EcgError(f"{where}: a beat position is not a number")
    samples = np.round(onsets).astype(np.int64)
    order = np.argsort(samples, kind="stable")
    samples, labels = samples[order], np.asarray(labels, dtype=np.int8)[order]
    same = np.flatnonzero(np.diff(samples) == 0)
    if len(same):
        raise EcgError(f"{where}: two beats at sample {samples[same[0]]} (one beat per sample)")
    outside = samples[(samples < 0) | (samples >= length)]
    if len(outside):
        raise EcgError(f"{where}: beat at sample {outside[0]} is outside the recording's "
                       f"{length} samples")
    return samples, labels


def read_npy(path, lead=None, fs=None):
    """A .npy array: one lead [samples] or several [samples, leads], picked by number."""
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except Exception as e:  # numpy raises several types for a damaged header
        raise EcgError(f"{path}: not a NumPy array file ({type(e).__name__}: {e})") from e
    if array.ndim not in (1, 2) or array.dtype.kind not in "biuf":
        raise EcgError(f"{path}: a {array.ndim}-D array of {array.dtype} (expected numbers, "
                       "[samples] or [samples, leads])")
    if array.ndim == 2 and array.shape[0] < array.shape[1]:
        raise EcgError(f"{path}: shape {array.shape} has fewer samples than leads (expected "
                       "[samples, leads]: transpose it)")
    rate = given_fs(path, fs, "a .npy file has no sampling frequency")
    columns = array.reshape(len(array), -1)
    names = [str(i + 1) for i in range(columns.shape[1])]
    i = lead_index(names, lead, path)
    signal = physical_signal(columns[:, i], path)
    return Recording(name=path.name, fs=rate, lead=names[i], units=None,
                     samples=len(signal), signal=signal)


def lead_units(path, lead_name):
    """The physical units of one signal of a WFDB record ('mV' by default)."""
    import wfdb

    header = wfdb.rdheader(str(path))
    return (header.units or ["mV"] * header.n_sig)[header.sig_name.index(lead_name)] or "mV"


def read_wfdb(path, lead=None, annotations="atr", chunk_s=None):
    """A WFDB record: its lead whole, or (longer than `chunk_s`) a reader of its pieces; the
    beats of `path.<annotations>` when that file has any."""
    from .episodes import read_episodes
    from .records import long_record, read_beats, read_lead_range, read_signal

    long = long_record(path, lead, chunk_s) if chunk_s else None  # None: read whole
    if long is None:
        signal, fs, lead_name = read_signal(path, lead)
        n, read_range = len(signal), None
    else:
        (n, fs, lead_name), signal = long, None

        def read_range(a, b):
            return read_lead_range(path, lead_name, a, b)

    recording = Recording(name=path.name, fs=fs, lead=lead_name, units=lead_units(path, lead_name),
                          samples=n, signal=signal, read_range=read_range)
    ann_file = Path(f"{path}.{annotations}")
    if ann_file.exists():
        recording.episodes, recording.flutter_waves = read_episodes(path, annotations, fs, n)
        recording.episode_file = ann_file.name
        samples, labels, _ = read_beats(path, annotations, fs, n)
        order = np.argsort(samples, kind="stable")
        if len(samples) >= 2:
            recording.beats, recording.labels = samples[order], labels[order]
            recording.annotations = ann_file.name
        else:
            recording.note = (f"{ann_file.name} has {len(samples)} beat annotation(s) (rhythm "
                              "or other annotations only?): beats detected, not scored")
    return recording
