import shutil

import numpy as np
import pytest
import wfdb
from conftest import EXTRACT_CFG, write_record

from ecgcnn.beats import RR_FEATURES, cut_windows, normalise_record, rr_features
from ecgcnn.extract import extract_database, extract_record, rr_width, stretch_rr
from ecgcnn.io import EcgError
from ecgcnn.records import read_beats, read_signal


def test_windows_crossing_record_edges_are_dropped_and_counted():
    x = np.arange(100.0)
    windows, kept = cut_windows(x, [5, 10, 50, 90, 91], before=10, after=10)
    assert kept.tolist() == [False, True, True, True, False]
    assert windows.shape == (3, 20)
    assert windows[0, 10] == 10 and windows[1, 0] == 40  # centred: R peak at index `before`


def test_extract_record_drops_edge_beats_and_non_beats(regular_record):
    ann = wfdb.rdann(str(regular_record), "atr")
    n_beats = sum(s not in "+~" for s in ann.symbol)
    part, dropped = extract_record(regular_record, EXTRACT_CFG)
    assert dropped == 2  # the first and the last beat are too close to the edges
    assert len(part["label"]) == n_beats - 2
    assert part["x"].shape == (n_beats - 2, 126, 2)
    assert set(part["symbol"]) == {"N", "A", "V"}
    assert (part["record"] == "rec").all()
    # channel 1 is the beat minus the record's median beat: ~0 for a typical beat
    normal = part["x"][part["symbol"] == "N"]
    assert np.abs(normal[:, :, 1]).mean() < 0.1 * np.abs(normal[:, :, 0]).mean()


RR = {"local_beats": 10, "context_beats": 301, "irregularity_beats": 15}
IRREGULARITY = RR_FEATURES.index("irregularity")


def test_rr_features_are_zero_for_a_regular_rhythm_and_flag_a_premature_beat():
    t = np.arange(30) * 0.8
    assert np.allclose(rr_features(t, **RR), 0, atol=1e-6)
    t[15] -= 0.3  # premature beat: short before, long after
    f = rr_features(t, **RR)
    prev_local, next_local, next_prev = f[15, 0], f[15, 1], f[15, 5]
    assert prev_local < -0.3 and next_local > 0.2 and next_prev > 0.5
    # one premature beat in a regular rhythm is not an irregular rhythm
    assert np.abs(f[:, IRREGULARITY]).max() < 1e-6
    # the same rhythm at another heart rate gives the same features (ratios)
    assert np.allclose(rr_features(t * 1.5, **RR), f, atol=1e-6)


def test_irregularity_is_high_in_atrial_fibrillation_like_rhythm_only():
    rng = np.random.default_rng(0)
    sinus = np.cumsum(np.full(200, 0.8))
    fibrillation = sinus[-1] + np.cumsum(rng.uniform(0.4, 1.2, 200))
    f = rr_features(np.concatenate([sinus, fibrillation]), **RR)
    assert np.abs(f[20:180, IRREGULARITY]).max() < 1e-6
    assert f[220:380, IRREGULARITY].min() > 1.5


def test_context_ignores_a_long_pause_and_the_length_of_the_record():
    rng = np.random.default_rng(1)
    rr = np.linspace(0.7, 0.9, 1200) + 0.02 * rng.standard_normal(1200)  # a drifting rate
    t = np.cumsum(rr)
    with_gap = np.concatenate([t, t[-1] + 100 + t])  # a 100-s gap, as in record 207
    f, g = rr_features(t, **RR), rr_features(with_gap, **RR)
    assert np.allclose(f[:600], g[:600], atol=1e-6)  # a record mean RR would move by 5 %
    # a 10-minute excerpt describes its beats as the whole record does (record-wide
    # statistics would differ: the excerpt's mean rate is not the record's)
    excerpt = rr_features(t[200:900], **RR)
    assert np.allclose(excerpt[150:550], f[350:750], atol=1e-5)


def test_normalisation_removes_record_gain():
    rng = np.random.default_rng(0)
    windows = rng.standard_normal((50, 126)).astype(np.float32)
    windows[:, 45] += 5
    a, b = normalise_record(windows, 45), normalise_record(3.0 * windows, 45)
    assert np.allclose(a, b, atol=1e-5)


def test_mlii_is_chosen_even_when_not_the_first_lead(tmp_path):
    path = write_record(tmp_path, "swap", [500, 800], ["N", "N"], sig_names=("V1", "MLII"))
    _, _, lead = read_signal(path)
    assert lead == "MLII"
    path = write_record(tmp_path, "nomlii", [500, 800], ["N", "N"], sig_names=("V5", "V2"))
    assert read_signal(path)[2] == "V5"


def test_read_beats_maps_classes(regular_record):
    samples, labels, symbols = read_beats(regular_record)
    assert len(samples) == len(labels) == len(symbols)
    assert "+" not in symbols and labels[symbols == "V"][0] == 2


def test_missing_annotation_file_names_the_record(regular_record):
    regular_record.with_suffix(".atr").unlink()
    with pytest.raises(EcgError, match=r"record rec: .*rec\.atr.*not found"):
        extract_record(regular_record, EXTRACT_CFG)


def test_corrupt_signal_file_is_detected_by_checksum(regular_record):
    dat = regular_record.with_suffix(".dat")
    data = bytearray(dat.read_bytes())
    data[3000:3010] = bytes(10)
    dat.write_bytes(bytes(data))
    with pytest.raises(EcgError, match=r"record rec: .*checksum"):
        extract_record(regular_record, EXTRACT_CFG)


def test_header_that_does_not_match_its_data(regular_record):
    hea = regular_record.with_suffix(".hea")
    fields = hea.read_text().split("\n")
    first = fields[0].split()
    first[3] = str(int(first[3]) * 2)  # claim twice as many samples as the .dat holds
    fields[0] = " ".join(first)
    hea.write_text("\n".join(fields))
    with pytest.raises(EcgError, match=r"record rec"):
        extract_record(regular_record, EXTRACT_CFG)


def test_unknown_annotation_symbol_names_the_record(regular_record, monkeypatch):
    # Every code wfdb knows is mapped; pretend '~' is not, as an unknown code would be.
    from ecgcnn import aami
    monkeypatch.setattr(aami, "NON_BEAT", aami.NON_BEAT - {"~"})
    with pytest.raises(EcgError, match=r"record rec: .*rec\.atr: unknown annotation symbol '~'"):
        extract_record(regular_record, EXTRACT_CFG)


@pytest.mark.parametrize("before,after", [(0.0, 0.0), (0.25, -0.1), (-0.1, 0.45)])
def test_bad_window_params_are_named(regular_record, before, after):
    cfg = {**EXTRACT_CFG, "window_before_s": before, "window_after_s": after}
    with pytest.raises(EcgError, match="extract.window_before_s"):
        extract_record(regular_record, cfg)


def test_extract_database_concatenates_records(tmp_path, regular_record):
    shutil.copy(regular_record.with_suffix(".hea"), tmp_path / "rec2.hea")
    (tmp_path / "rec2.hea").write_text(
        regular_record.with_suffix(".hea").read_text().replace("rec", "rec2"))
    shutil.copy(regular_record.with_suffix(".dat"), tmp_path / "rec2.dat")
    shutil.copy(regular_record.with_suffix(".atr"), tmp_path / "rec2.atr")
    dataset, dropped = extract_database(tmp_path, ["rec", "rec2"], EXTRACT_CFG, progress=False)
    assert dropped == 4
    assert sorted(set(dataset["record"])) == ["rec", "rec2"]
    assert len(dataset["x"]) == len(dataset["rr"]) == len(dataset["sample"])


def test_whole_record_normalisation_is_the_record_median():
    rng = np.random.default_rng(1)
    windows = rng.standard_normal((40, 126)).astype(np.float32)
    windows[:, 45] += 4
    x = normalise_record(windows, 45)
    scale = np.median(np.abs(windows[:, 45]))
    np.testing.assert_allclose(x[..., 0], windows / scale, rtol=1e-6)
    np.testing.assert_allclose(x[..., 1], windows / scale - np.median(windows / scale, axis=0),
                               atol=1e-6)
    np.testing.assert_array_equal(normalise_record(windows, 45, 301), x)  # fewer beats than that


def test_bounded_context_gives_an_excerpt_the_same_inputs_as_the_whole_record():
    """A beat classified in a 10-minute excerpt gets (nearly) the inputs it gets in the whole
    record, however long: its scale and template come from the beats around it."""
    rng = np.random.default_rng(2)
    n = 3000  # ~40 min of beats, whose amplitude drifts slowly (electrode, posture)
    gain = 1 + 0.5 * np.sin(np.arange(n) / 400)
    windows = (rng.standard_normal((n, 60)) * 0.1 + np.hanning(60)).astype(np.float32)
    windows *= gain[:, None].astype(np.float32)
    whole = normalise_record(windows, 30, 301)
    lo, hi = 1000, 1750  # an excerpt of 750 beats (~10 min)
    excerpt = normalise_record(windows[lo:hi], 30, 301)
    inner = slice(200, 550)  # beats whose 301-beat context lies inside the excerpt
    assert np.abs(excerpt[inner] - whole[lo:hi][inner]).max() < 0.05
    # The record-wide normalisation does not have this property: the drift shows.
    record_wide = normalise_record(windows, 30)[lo:hi][inner]
    assert np.abs(normalise_record(windows[lo:hi], 30)[inner] - record_wide).max() > 0.1


def test_rr_neighbours_add_the_neighbouring_beats_features_within_the_stretch():
    peaks = np.cumsum(np.r_[0, np.full(20, 360), 200, np.full(20, 360)])  # one premature beat
    own = stretch_rr(peaks, 360, EXTRACT_CFG)
    both = stretch_rr(peaks, 360, {**EXTRACT_CFG, "rr_neighbours": 2})
    k = len(RR_FEATURES)
    assert own.shape == (len(peaks), k) and both.shape == (len(peaks), 5 * k)
    np.testing.assert_array_equal(both[:, :k], own)
    np.testing.assert_array_equal(both[5, k:2 * k], own[3])  # offset -2
    np.testing.assert_array_equal(both[5, 4 * k:], own[7])  # offset +2
    assert not both[0, k:3 * k].any() and not both[-1, 3 * k:].any()  # past the ends: zeros
    assert rr_width({"rr_neighbours": 2}) == 5 * k


def test_mean_context_is_pulled_up_by_a_pause_the_median_is_not():
    t = np.cumsum(np.r_[0, np.full(30, 0.8), 6.0, np.full(30, 0.8)])
    median = rr_features(t, 10, 61, 15)
    mean = rr_features(t, 10, 61, 15, context_stat="mean")
    prev_over_context = RR_FEATURES.index("prev/context")
    assert abs(median[10, prev_over_context]) < 1e-6  # a regular beat: 0 against the median
    assert mean[10, prev_over_context] < -0.05  # early against a mean the pause pulled up


def test_upright_turns_an_inverted_lead_over():
    rng = np.random.default_rng(0)
    beat = np.exp(-0.5 * ((np.arange(40) - 10) / 2.0) ** 2)
    windows = np.stack([-beat + 0.01 * rng.standard_normal(40) for _ in range(30)])
    kept = normalise_record(windows, 10, None)
    turned = normalise_record(windows, 10, None, upright=True)
    assert kept[0, 10, 0] < 0 < turned[0, 10, 0]
    np.testing.assert_allclose(turned, -kept)
