"""Reading one WFDB record: the lead the classifier uses and its beat annotations."""

import re
import sys
from pathlib import Path

import numpy as np
import wfdb

from .aami import class_index
from .io import EcgError

PREFERRED_LEAD = "MLII"
# Names other databases give the lead MIT-BIH calls MLII (modified limb lead II), compared
# without case, spaces, dashes, dots or underscores.
LEAD_II_NAMES = {"mlii", "ii", "ml2", "ecgii", "leadii", "ecgleadii", "lii"}


def lead_key(name):
    return re.sub(r"[\s_.\-]", "", str(name)).lower()


def choose_lead(sig_names, lead=None, record="record"):
    """Index of `lead` if given, else MLII or a name for the same lead (II, ML2, ECG II...),
    else the first signal, with one warning line on stderr naming it."""
    if lead is not None:
        if lead not in sig_names:
            raise EcgError(f"lead {lead!r} not in record (it has {', '.join(sig_names)})")
        return sig_names.index(lead)
    if not sig_names:
        raise EcgError("record has no signal")
    if PREFERRED_LEAD in sig_names:
        return sig_names.index(PREFERRED_LEAD)
    for i, name in enumerate(sig_names):
        if lead_key(name) in LEAD_II_NAMES:
            return i
    print(f"warning: {record} has no MLII or lead II signal (it has {', '.join(sig_names)}): "
          f"using its first, {sig_names[0]!r} (choose one with --lead)", file=sys.stderr)
    return 0


def read_header_fs(path):
    """The sampling frequency written in the record's header, checked.

    wfdb's header parser silently reads a negative or garbled frequency as the WFDB
    default of 250 Hz, which would make every RR interval wrong, so the field is checked
    here (a header without the field does mean 250 Hz). A length of 0 samples is an error.
    """
    header = Path(f"{path}.hea")
    if not header.exists():
        raise EcgError(f"{header}: record header not found")
    lines = [line.split("#")[0].split() for line in header.read_text(errors="replace").splitlines()]
    fields = next((f for f in lines if f), [])
    if len(fields) < 2:
        raise EcgError(f"{header}: no record line")
    if len(fields) < 3:
        return 250.0
    text = fields[2].split("/")[0]
    try:
        fs = float(text)
    except ValueError:
        fs = float("nan")
    if not np.isfinite(fs) or fs <= 0:
        raise EcgError(f"{header}: invalid sampling frequency {text!r} (must be a positive "
                       "number of samples per second)")
    if len(fields) > 3 and fields[3] == "0":
        raise EcgError(f"{header}: the record has no samples (length 0)")
    return fs


def read_signal(path, lead=None):
    """One lead of a record in physical units: (signal float64, fs, lead name).

    Invalid samples are NaN. Digital samples are checked against the header's checksums so
    that a corrupt .dat is an error here rather than a silently wrong beat later. A
    multi-segment record is read segment by segment, each in its own gain.
    """
    path = Path(path)
    header_fs = read_header_fs(path)
    try:
        header = wfdb.rdheader(str(path))
        if isinstance(header, wfdb.MultiRecord):
            return read_segments(path, lead)
        rec = wfdb.rdrecord(str(path), physical=False)
        check_samples(path, rec, header_fs)
        i = choose_lead(list(rec.sig_name or []), lead, path.name)
        signal = rec.dac(return_res=64)[:, i]
    except EcgError:
        raise
    except Exception as e:  # wfdb raises many types for malformed files, at any step
        raise EcgError(f"{path}: cannot read record ({type(e).__name__}: {e})") from e
    return signal, float(rec.fs), rec.sig_name[i]


def long_record(path, lead=None, longer_than_s=0.0):
    """(samples, fs, lead name) of a single-segment record longer than `longer_than_s`
    seconds, from its header alone; None for any other record (read it whole)."""
    path = Path(path)
    fs = read_header_fs(path)
    try:
        header = wfdb.rdheader(str(path))
    except Exception as e:
        raise EcgError(f"{path}: cannot read record ({type(e).__name__}: {e})") from e
    if isinstance(header, wfdb.MultiRecord) or not header.sig_len:
        return None
    if header.sig_len <= longer_than_s * fs:
        return None
    i = choose_lead(list(header.sig_name or []), lead, path.name)
    return int(header.sig_len), float(fs), header.sig_name[i]


def read_lead_range(path, lead_name, start, stop):
    """Samples [start, stop) of one lead in physical units (NaN where invalid), for a record
    read piece by piece. No checksum check: the header's checksum covers the whole signal."""
    try:
        rec = wfdb.rdrecord(str(path), sampfrom=int(start), sampto=int(stop), physical=True,
                            channel_names=[lead_name], return_res=64)
    except Exception as e:
        raise EcgError(f"{path}: cannot read samples {start}-{stop} "
                       f"({type(e).__name__}: {e})") from e
    if rec.p_signal is None or rec.p_signal.shape[0] != stop - start:
        raise EcgError(f"{path}.dat: samples {start}-{stop} are not all in the signal file")
    return rec.p_signal[:, 0].astype(np.float64)


def check_samples(path, rec, header_fs):
    """The samples wfdb read are the ones the header describes, unchanged."""
    if rec.d_signal is None or rec.d_signal.shape[0] == 0:
        raise EcgError(f"{path}: record has no samples")
    if rec.sig_len is not None and rec.d_signal.shape[0] != rec.sig_len:
        raise EcgError(f"{path}: header says {rec.sig_len} samples, "
                       f"data has {rec.d_signal.shape[0]}")
    # Only the signals whose header line gives a checksum (the field is optional).
    for got, want in zip(rec.calc_checksum(), rec.checksum or [], strict=False):
        if want is not None and got % 65536 != want % 65536:
            raise EcgError(f"{path}.dat: data does not match the header checksum "
                           "(corrupt signal file)")
    if rec.fs != header_fs:
        raise EcgError(f"{path}.hea: sampling frequency {header_fs} read as {rec.fs}")


def read_segments(path, lead=None):
    """One lead of a multi-segment record in physical units; NaN where a segment lacks it."""
    rec = wfdb.rdrecord(str(path), physical=True, m2s=True, return_res=64)
    if rec.p_signal is None or rec.p_signal.shape[0] == 0:
        raise EcgError(f"{path}: record has no samples")
    i = choose_lead(list(rec.sig_name or []), lead, path.name)
    return rec.p_signal[:, i].astype(np.float64), float(rec.fs), rec.sig_name[i]


def read_annotations(path, extension="atr", fs=None):
    """Every annotation of `path.extension` in file order: (sample indices at the record's
    rate `fs`, symbols). When the file states its own sampling frequency and it differs from
    `fs`, the samples are converted."""
    ann_file = Path(f"{path}.{extension}")
    if not ann_file.exists():
        raise EcgError(f"{ann_file}: annotation file not found")
    try:
        ann = wfdb.rdann(str(path), extension)
        positions = np.asarray(ann.sample, dtype=np.float64)
        if fs is not None and ann.fs and float(ann.fs) != float(fs):
            positions = positions * float(fs) / float(ann.fs)
        samples = np.round(positions).astype(np.int64)
        symbols = np.asarray(ann.symbol, dtype=object).reshape(-1)
        if len(samples) != len(symbols):
            raise ValueError(f"{len(samples)} samples but {len(symbols)} symbols")
    except Exception as e:  # wfdb raises many types for malformed files
        raise EcgError(f"{ann_file}: cannot read annotations ({type(e).__name__}: {e})") from e
    return samples, symbols


def warn(ann_file, what, samples):
    """One warning line on stderr: what was done to the beats at `samples` (first 3 named)."""
    shown = ", ".join(str(s) for s in samples[:3]) + (", ..." if len(samples) > 3 else "")
    many = len(samples) > 1
    print(f"warning: {ann_file}: {len(samples)} beat{'s' if many else ''} {what} (sample"
          f"{'s' if many else ''} {shown})", file=sys.stderr)


def sorted_beats(ann_file, samples, labels, symbols):
    """The beats in time order (stable): a file out of order costs nothing but a warning."""
    late = np.flatnonzero(np.diff(samples) < 0)
    if len(late):
        warn(ann_file, "out of time order in the file: sorted", samples[late + 1])
    order = np.argsort(samples, kind="stable")
    return samples[order], labels[order], symbols[order]


def unique_beats(ann_file, samples, labels, symbols):
    """One beat per sample: the first in the file kept (an RR interval of 0 would give NaN
    features), each extra one dropped with the warning."""
    extra = np.flatnonzero(np.diff(samples) == 0) + 1
    if len(extra):
        warn(ann_file, "on a sample another beat annotation already has: dropped",
             samples[extra])
    keep = np.ones(len(samples), dtype=bool)
    keep[extra] = False
    return samples[keep], labels[keep], symbols[keep]


def beats_inside(ann_file, samples, labels, symbols, length):
    """The beats on a sample of the signal (0 .. length - 1); the others dropped with the
    warning (PhysioNet has a record whose last beat is at sample = signal length)."""
    inside = (samples >= 0) & (samples < length)
    if not inside.all():
        warn(ann_file, f"outside the record's {length} samples: dropped", samples[~inside])
    return samples[inside], labels[inside], symbols[inside]


def read_beats(path, extension="atr", fs=None, length=None):
    """Annotated beats of a record: (sample indices, AAMI class indices, symbols), in order.

    Non-beat annotations are dropped; an unknown symbol is an error naming the file. Samples
    are at the record's rate `fs` (see read_annotations). Quirks of real files cost only the
    beats they touch, each kind with one warning on stderr: beats out of time order are
    sorted, a second beat on one sample is dropped, and so is a beat outside the signal's
    `length` samples (when given).
    """
    ann_file = Path(f"{path}.{extension}")
    all_samples, all_symbols = read_annotations(path, extension, fs)
    labels = [class_index(symbol, where=str(ann_file)) for symbol in all_symbols]
    beat = np.array([label is not None for label in labels], dtype=bool)
    beats = (all_samples[beat], np.asarray([k for k in labels if k is not None], dtype=np.int8),
             np.asarray(all_symbols[beat], dtype=str).reshape(-1))
    beats = unique_beats(ann_file, *sorted_beats(ann_file, *beats))
    return beats_inside(ann_file, *beats, length) if length is not None else beats
