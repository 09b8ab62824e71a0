"""`python -m ecgcnn.export RECORD OUT.edf|OUT.csv`: a WFDB record in another format, the
same samples (to try the readers on a real file, and for the tests).

EDF+: every signal's digital samples unchanged (physical range from the record's gain and
baseline), its annotations as EDF+ annotations (the WFDB symbol as text); EDF holds whole
data records only, so a record is cut to whole seconds. CSV: a `time (s)` column and every
signal in physical units, named `NAME (UNITS)`, no annotations.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .io import EcgError, atomic_path

EDF_DIGITAL = (-32768, 32767)


def write_edf(record, out, annotations="atr"):
    """The record as EDF+ (whole seconds of it); returns the samples written per signal."""
    import edfio
    import wfdb

    rec = wfdb.rdrecord(str(record), physical=False)
    fs = int(rec.fs)
    if fs != rec.fs:
        raise EcgError(f"{record}: {rec.fs} Hz is not a whole number of samples per second")
    n = rec.sig_len // fs * fs
    signals = [edfio.EdfSignal.from_digital(
        rec.d_signal[:n, i].astype(np.int16), fs, label=name, physical_dimension=units,
        digital_range=EDF_DIGITAL,
        physical_range=tuple((d - rec.baseline[i]) / rec.adc_gain[i] for d in EDF_DIGITAL))
        for i, (name, units) in enumerate(zip(rec.sig_name, rec.units, strict=True))]
    ann = wfdb.rdann(str(record), annotations)
    notes = [edfio.EdfAnnotation(s / fs, None, sym) for s, sym in
             zip(ann.sample, ann.symbol, strict=True) if s < n]
    with atomic_path(out) as tmp:
        edfio.Edf(signals, annotations=notes, data_record_duration=1).write(tmp)
    return n


def write_csv(record, out):
    """The record as CSV: time (s), then each signal in physical units."""
    import wfdb

    rec = wfdb.rdrecord(str(record), return_res=64)
    frame = pd.DataFrame({"time (s)": np.arange(rec.sig_len) / rec.fs})
    for i, (name, units) in enumerate(zip(rec.sig_name, rec.units, strict=True)):
        frame[f"{name} ({units})"] = rec.p_signal[:, i]
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)
    return rec.sig_len


def export(record, out):
    writer = {".edf": write_edf, ".csv": write_csv}.get(Path(out).suffix.lower())
    if writer is None:
        raise EcgError(f"{out}: write .edf or .csv")
    print(f"wrote {out} ({writer(record, out)} samples per signal)", file=sys.stderr)


def main(argv=None):
    from .cli import exit_status

    record, out = (sys.argv[1:] if argv is None else argv)[:2]
    return exit_status(lambda: export(record, out))


if __name__ == "__main__":
    sys.exit(main())
