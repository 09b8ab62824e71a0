import pytest
from wfdb.io import annotation as wfdb_annotation

from ecgcnn.aami import CLASSES, NON_BEAT, SYMBOL_TO_CLASS, class_index
from ecgcnn.io import EcgError

EXPECTED = {"N": "N", "L": "N", "R": "N", "e": "N", "j": "N", "B": "N", "n": "N",
            "A": "S", "a": "S", "J": "S", "S": "S", "V": "V", "E": "V", "r": "V", "F": "F",
            "/": "Q", "f": "Q", "Q": "Q"}
# wfdb marks these as QRS complexes; here they are not beats (see aami.py's docstring).
QRS_NOT_BEATS = {"!", "?"}


@pytest.mark.parametrize("symbol,cls", sorted(EXPECTED.items()))
def test_every_beat_symbol_maps_to_its_aami_class(symbol, cls):
    assert CLASSES[class_index(symbol)] == cls


def test_mapping_has_exactly_the_design_symbols():
    assert SYMBOL_TO_CLASS == EXPECTED


@pytest.mark.parametrize("symbol", list("+~!\"x|[]"))
def test_non_beat_annotations_are_dropped(symbol):
    assert class_index(symbol) is None


def test_beat_and_non_beat_sets_are_disjoint():
    assert not set(SYMBOL_TO_CLASS) & NON_BEAT


def test_unknown_symbol_is_an_error_naming_where():
    with pytest.raises(EcgError, match=r"rec\.atr.*'%'"):
        class_index("%", where="rec.atr")


def wfdb_table():
    table = wfdb_annotation.ann_label_table
    return [(int(store), symbol) for store, symbol in zip(table.label_store, table.symbol,
                                                           strict=True) if symbol.strip()]


@pytest.mark.parametrize("store,symbol", wfdb_table())
def test_every_wfdb_code_is_a_beat_class_or_not_a_beat(store, symbol):
    """Walks wfdb's whole annotation table: no code is unknown, and a code is a beat exactly
    when wfdb calls it a QRS complex (but for the two documented exceptions)."""
    label = class_index(symbol)
    is_qrs = bool(wfdb_annotation.is_qrs[store]) and symbol not in QRS_NOT_BEATS
    assert (label is not None) == is_qrs


def test_codes_mitbih_never_uses_follow_wfdb_aami_map():
    # WFDB lib/ecgmap.h map2: BBB -> NORMAL, SVESC -> NORMAL, RONT -> PVC
    assert [CLASSES[class_index(s)] for s in "Bnr"] == ["N", "N", "V"]
