"""AAMI EC57 heartbeat classes from MIT-BIH annotation symbols."""

import numpy as np

from .io import EcgError

CLASSES = ("N", "S", "V", "F", "Q")

SYMBOL_TO_CLASS = {
    **dict.fromkeys("NLRej", "N"),
    **dict.fromkeys("AaJS", "S"),
    **dict.fromkeys("VE", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}

# Every other WFDB annotation code: rhythm changes, noise, flutter waves, P/T marks, comments...
NON_BEAT = set("+~!\"x|[]ptu`'^=@sT*D()?nB ")


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
