import pytest

from ecgcnn.aami import CLASSES, NON_BEAT, SYMBOL_TO_CLASS, class_index
from ecgcnn.io import EcgError

EXPECTED = {"N": "N", "L": "N", "R": "N", "e": "N", "j": "N", "A": "S", "a": "S", "J": "S",
            "S": "S", "V": "V", "E": "V", "F": "F", "/": "Q", "f": "Q", "Q": "Q"}


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
