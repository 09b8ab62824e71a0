"""Reading one WFDB record: the lead the classifier uses and its beat annotations."""

from pathlib import Path

import numpy as np
import wfdb

from .aami import class_index
from .io import EcgError

PREFERRED_LEAD = "MLII"


def choose_lead(sig_names, lead=None):
    """Index of `lead` if given, else MLII where the record has it, else the first lead."""
    if lead is not None:
        if lead not in sig_names:
            raise EcgError(f"lead {lead!r} not in record (it has {', '.join(sig_names)})")
        return sig_names.index(lead)
    if not sig_names:
        raise EcgError("record has no signal")
    return sig_names.index(PREFERRED_LEAD) if PREFERRED_LEAD in sig_names else 0


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

    Digital samples are checked against the header's checksums so that a corrupt .dat is
    an error here rather than a silently wrong beat later.
    """
    path = Path(path)
    header_fs = read_header_fs(path)
    try:
        rec = wfdb.rdrecord(str(path), physical=False)
        check_samples(path, rec, header_fs)
        i = choose_lead(list(rec.sig_name or []), lead)
        signal = rec.dac(return_res=64)[:, i]
    except EcgError:
        raise
    except Exception as e:  # wfdb raises many types for malformed files, at any step
        raise EcgError(f"{path}: cannot read record ({type(e).__name__}: {e})") from e
    return signal, float(rec.fs), rec.sig_name[i]


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


def read_beats(path, extension="atr", length=None):
    """Annotated beats of a record: (sample indices, AAMI class indices, symbols).

    Non-beat annotations are dropped; an unknown symbol is an error naming the record. Beats
    must come in order, one per sample, inside the signal's `length` samples when given: a
    damaged annotation file would otherwise give RR intervals of 0 (NaN features).
    """
    path = Path(path)
    ann_file = Path(f"{path}.{extension}")
    if not ann_file.exists():
        raise EcgError(f"{ann_file}: annotation file not found")
    try:
        ann = wfdb.rdann(str(path), extension)
        pairs = list(zip(ann.sample, ann.symbol, strict=True))
    except Exception as e:  # wfdb raises many types for malformed files
        raise EcgError(f"{ann_file}: cannot read annotations ({type(e).__name__}: {e})") from e
    samples, labels, symbols = [], [], []
    for sample, symbol in pairs:
        label = class_index(symbol, where=str(ann_file))
        if label is not None:
            samples.append(sample)
            labels.append(label)
            symbols.append(symbol)
    samples = np.asarray(samples, dtype=np.int64)
    back = np.flatnonzero(np.diff(samples) <= 0)
    if len(back):
        raise EcgError(f"{ann_file}: beat at sample {samples[back[0] + 1]} follows one at "
                       f"{samples[back[0]]} (beats must be in order, one per sample)")
    if length is not None and len(samples) and (samples[0] < 0 or samples[-1] >= length):
        outside = samples[0] if samples[0] < 0 else samples[-1]
        raise EcgError(f"{ann_file}: beat at sample {outside} is outside the record's "
                       f"{length} samples")
    return samples, np.asarray(labels, dtype=np.int8), np.asarray(symbols)
