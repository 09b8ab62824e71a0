"""AAMI EC57 heartbeat classes from WFDB annotation symbols.

The beat codes follow ANSI/AAMI EC57 (de Chazal et al. 2004 for MIT-BIH) and, for the codes
MIT-BIH never uses, WFDB's own AAMI mapping (`map2` in WFDB's lib/ecgmap.h, which `bxb`
applies): `B` (bundle branch block beat, unspecified) and `n` (supraventricular escape beat)
are N, like the other escape beats `e` and `j`; `r` (R-on-T PVC) is V. `!` (ventricular
flutter wave) and `?` (learning) are not beats here: flutter waves are not QRS complexes a
beat classifier is asked about, as in de Chazal's protocol.
"""

import numpy as np

from .io import EcgError

CLASSES = ("N", "S", "V", "F", "Q")

SYMBOL_TO_CLASS = {
    **dict.fromkeys("NLRejBn", "N"),
    **dict.fromkeys("AaJS", "S"),
    **dict.fromkeys("VEr", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}

# Every other WFDB annotation code: rhythm changes, noise, flutter waves, P/T marks, comments...
NON_BEAT = set("+~!\"x|[]ptu`'^=@sT*D()? ")


def class_index(symbol, where="annotation"):
    """Index of the AAMI class of a beat symbol, or None for a non-beat annotation."""
    if symbol in SYMBOL_TO_CLASS:
        return CLASSES.index(SYMBOL_TO_CLASS[symbol])
    if symbol in NON_BEAT:
        return None
    raise EcgError(f"{where}: unknown annotation symbol {symbol!r}")


def class_counts(labels):
    """{class: number of beats} for an array of class indices."""
    counts = np.bincount(labels, minlength=len(CLASSES))
    return {c: int(n) for c, n in zip(CLASSES, counts, strict=True)}
