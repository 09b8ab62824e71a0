"""Noisy copies of training records (noisy.py): the noise where nstdb puts it, at the SNR nst
means, em never where the stress test adds it, detections labelled, copies only train."""

import numpy as np
import pytest
import wfdb
from test_any_database import write
from test_params import PARAMS, error_of, with_value

from ecgcnn import noisy as nz
from ecgcnn.cv import fold_sets
from ecgcnn.dataset import with_noisy
from ecgcnn.io import EcgError
from ecgcnn.noise_stress import noisy_stretches
from ecgcnn.recorded_noise import NST_RATIO, sigamp_rms
from ecgcnn.splits import split_records

FS = 360
NSTDB_SAMPLES = 650_000  # 30:05 at 360 Hz
CFG = {"sources": ["bw", "ma", "em"], "snr_db": [24.0, 18.0, 12.0, 6.0], "stretch_s": 10.0,
       "copies": 2, "seed": 0, "rr_intact": False,
       "records": None}


def overlap(a, b):
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def test_em_parts_never_touch_a_stretch_the_stress_test_adds_nor_each_other():
    test = [(a / FS, b / FS) for a, b in noisy_stretches(NSTDB_SAMPLES, FS)]
    train, cv = nz.EM_PARTS["em"], nz.EM_PARTS["em_cv"]
    assert sum(b - a for a, b in train) == 720 and cv == [(0.0, 300.0)]
    for part in train + cv:
        assert all(overlap(part, t) == 0 for t in test), part
    assert all(overlap(p, q) == 0 for p in train for q in cv)
    # and together with the test's stretches they are all of em but its last 5 s
    covered = sum(b - a for a, b in train + cv) + sum(b - a for a, b in test)
    assert covered == pytest.approx(NSTDB_SAMPLES / FS)


def test_two_copies_put_every_stretch_in_noise_exactly_once():
    n = 1000 * FS + 17
    first, second = nz.stretches(n, FS, 120, 0), nz.stretches(n, FS, 120, 1)
    mask = np.zeros(n, int)
    for a, b in first + second:
        mask[a:b] += 1
    assert (mask == 1).all()
    assert first[0] == (0, 120 * FS) and second[0] == (120 * FS, 240 * FS)


def test_noise_is_added_in_its_stretches_only_at_the_snr_nst_means():
    rng = np.random.default_rng(1)
    pieces = [("em:a", rng.normal(size=60 * FS), FS), ("bw:a", rng.normal(size=60 * FS), FS)]
    pieces = [(n, s / sigamp_rms(s, FS), fs) for n, s, fs in pieces]
    signal, amplitude = np.zeros(100 * FS), 2.0
    noisy, plan = nz.noisy_copy(signal, FS, amplitude, pieces, CFG, 1, rng)
    assert [a for a, _, _, _ in plan] == [10 * FS, 30 * FS, 50 * FS, 70 * FS, 90 * FS]
    assert sorted(snr for _, _, snr, _ in plan[:4]) == sorted(CFG["snr_db"])
    outside = np.ones(len(signal), bool)
    for a, b, snr, _ in plan:
        outside[a:b] = False
        expected = amplitude * NST_RATIO * 10 ** (-snr / 20)
        assert sigamp_rms(noisy[a:b], FS) == pytest.approx(expected, rel=0.05)
    assert (noisy[outside] == 0).all()


def test_a_detection_takes_its_paired_beats_class_and_an_unpaired_one_is_q():
    reference, labels = np.array([100, 400, 700]), np.array([0, 2, 1], np.int8)
    peaks = np.array([90, 250, 405, 420, 1000])
    classes, matched = nz.detected_classes(peaks, reference, labels, tolerance=54)
    assert classes.tolist() == [0, nz.Q, 2, nz.Q, nz.Q]  # 420: 400 is already 405's
    assert matched.tolist() == [0, -1, 1, -1, -1]


def test_qrs_amplitude_is_the_trimmed_peak_to_peak_of_normal_beats():
    signal = np.zeros(10_000)
    samples = np.arange(100, 9900, 300)
    for i, s in enumerate(samples):
        signal[s] = 3.0 if i % 2 else 1.0  # V beats (odd) are not measured
    labels = np.where(np.arange(len(samples)) % 2, 2, 0)
    assert nz.qrs_amplitude(signal, FS, samples, labels) == pytest.approx(1.0)
    with pytest.raises(EcgError, match="no normal beat"):
        nz.qrs_amplitude(signal, FS, samples, np.full(len(samples), 2))


@pytest.fixture(scope="module")
def noise_dir(tmp_path_factory):
    """bw, ma, em noise records long enough for every em part (30:05, two channels)."""
    directory = tmp_path_factory.mktemp("nstdb")
    rng = np.random.default_rng(0)
    for name in ("bw", "ma", "em"):
        wfdb.wrsamp(name, fs=FS, units=["mV", "mV"], sig_name=["noise1", "noise2"],
                    p_signal=0.2 * rng.normal(size=(NSTDB_SAMPLES, 2)), fmt=["16", "16"],
                    adc_gain=[2000.0, 2000.0], baseline=[0, 0], write_dir=str(directory))
    return directory


def test_em_pieces_are_its_allowed_parts_only(noise_dir):
    pieces = nz.noise_pieces(noise_dir, ["em", "bw"])
    em = [p for p in pieces if p[0].startswith("em:")]
    assert len(em) == 12 and all(len(s) == 120 * FS for _, s, _ in em)
    assert {p[0] for p in pieces if p[0].startswith("bw:")} == {"bw:noise1:0-1805.56s",
                                                                 "bw:noise2:0-1805.56s"}
    assert all(sigamp_rms(s, FS) == pytest.approx(1.0) for _, s, _ in pieces)
    assert len(nz.noise_pieces(noise_dir, ["em_cv"])) == 2
    with pytest.raises(EcgError, match="unknown noise source x"):
        nz.noise_pieces(noise_dir, ["x"])


def test_record_copies_hold_noisy_real_beats_and_noise_detections_as_q(tmp_path, noise_dir):
    path, peaks, symbols = write(tmp_path, "syn", fs=250, seconds=80)
    cfg = {**CFG, "snr_db": [0.0]}  # loud: the detector finds beats in the noise
    beats = nz.record_beats(path, None, PARAMS["extract"], nz.noise_pieces(noise_dir,
                                                                              ["bw", "ma"]), cfg)
    n = len(beats["label"])
    assert n and beats["x"].shape[0] == beats["rr"].shape[0] == n
    assert (beats["snr"] == 0).all()
    # two copies: noise from 0 s in the first, from 10 s in the second
    assert ((beats["sample"] // (10 * 250)) % 2 == 0).sum() > 0
    assert ((beats["sample"] // (10 * 250)) % 2 == 1).sum() > 0
    real = beats["label"] != nz.Q
    assert set(beats["symbol"][real]) <= {"N", "V"} and (beats["symbol"][~real] == "").all()
    near = np.abs(beats["sample"][real, None] - peaks[None]).min(1)
    assert (near <= 0.15 * 250).all()
    assert (~real).sum() > 0, "0 dB noise should make GQRS find beats that are not there"
    again = nz.record_beats(path, None, PARAMS["extract"], nz.noise_pieces(noise_dir,
                                                                              ["bw", "ma"]), cfg)
    assert np.array_equal(again["x"], beats["x"])  # seeded by the record's name


def test_training_copies_skip_test_and_paced_records():
    copies = nz.training_copies(PARAMS["databases"], None, raw_root="data/raw")
    names = {p.name for _, _, p in copies}
    assert len(names) == 61 and not names & {"100", "232", "102", "217"}
    assert {d for d, _, _ in copies} == {"mitdb", "svdb"}
    assert [p.name for _, _, p in nz.training_copies(PARAMS["databases"], [101, "803"])] == \
        ["101", "803"]
    with pytest.raises(EcgError, match="noisy.records: 999 are not training records"):
        nz.training_copies(PARAMS["databases"], ["999"])


def test_params_refuse_copies_of_test_records_and_a_beats_split_with_copies():
    assert "DS2 records ['100']" in error_of(with_value(("noisy", "records"), ["100", "101"]))
    params = with_value(("protocols", "intra_patient", "split", "noisy"), True)
    assert "records method only" in error_of(params)
    assert "noisy.sources" in error_of(with_value(("noisy", "sources"), ["em_cv"]))


def test_noisy_copies_train_and_never_validate_or_test():
    beats = {"x": np.zeros((4, 3, 2)), "rr": np.zeros((4, 7)), "label": np.zeros(4, np.int8),
             "symbol": np.full(4, "N"), "record": np.array(["101", "100", "106", "101"]),
             "sample": np.arange(4), "database": np.full(4, "mitdb")}
    copies = {**{k: v[[0, 2]] for k, v in beats.items()}}
    both = with_noisy(beats, copies)
    assert both["noisy"].tolist() == [False] * 4 + [True] * 2
    assert np.array_equal(both["x"][:4], beats["x"])  # indices into beats keep their meaning
    sets = split_records(both["record"], both["database"], ["106"], [], both["noisy"])
    assert sets["train"].tolist() == [0, 3, 4] and sets["val"].tolist() == [2]
    assert sets["test"].tolist() == [1]
    training = np.isin(both["record"], ["101", "106"])
    fold = fold_sets(both["record"], [["101"], ["106"]], 0, training, both["noisy"])
    assert fold["test"].tolist() == [0, 3] and fold["train"].tolist() == [2, 5]


def test_rr_is_intact_only_between_the_neighbouring_reference_beats():
    # detections paired with reference beats 0 1 2, an extra one, 3 4, then 6 (5 missed), 7
    matched = np.array([0, 1, 2, -1, 3, 4, 6, 7])
    assert nz.intact_neighbours(matched).tolist() == [False, True, False, False, False, False,
                                                      False, False]
    assert nz.intact_neighbours(np.arange(4)).tolist() == [False, True, True, False]


def test_rr_intact_copies_drop_n_and_s_beats_whose_rr_an_extra_detection_broke(tmp_path,
                                                                                noise_dir):
    path, _, _ = write(tmp_path, "syn", fs=250, seconds=80)
    pieces = nz.noise_pieces(noise_dir, ["bw", "ma"])
    cfg = {**CFG, "snr_db": [0.0], "copies": 1}
    every = nz.record_beats(path, None, PARAMS["extract"], pieces, cfg)
    intact = nz.record_beats(path, None, PARAMS["extract"], pieces, {**cfg, "rr_intact": True})
    kept = np.isin(every["sample"], intact["sample"])
    assert 0 < kept.sum() < len(kept)
    dropped = every["label"][~kept]
    assert set(dropped.tolist()) <= {0, 1}  # only N and S beats go; V and Q all stay
    assert np.array_equal(np.sort(every["sample"][every["label"] >= 2]),
                          np.sort(intact["sample"][intact["label"] >= 2]))


def test_the_cv_noise_goes_where_nstdb_puts_it_and_clean_is_the_record_itself():
    from ecgcnn.noise_cv import CLEAN, nstdb_like

    rng = np.random.default_rng(0)
    pieces = [("em_cv:a", rng.normal(size=300 * FS), FS)]
    signal = np.sin(np.arange(1000 * FS) / FS)
    assert np.array_equal(nstdb_like(signal, FS, 1.0, pieces, CLEAN, rng), signal)
    noisy = nstdb_like(signal, FS, 1.0, pieces, 12.0, rng)
    added = noisy - signal
    mask = np.zeros(len(signal), bool)
    for a, b in noisy_stretches(len(signal), FS):
        mask[a:b] = True
    assert mask[300 * FS] and not mask[299 * FS] and not mask[420 * FS]  # 5:00 on, 7:00 off
    assert (added[~mask] == 0).all() and (added[mask] != 0).all()


def test_noise_cv_scores_the_chosen_held_out_records_and_names_any_other(tmp_path):
    from ecgcnn.noise_cv import fold_jobs

    for record in ("101", "106"):
        (tmp_path / "mitdb").mkdir(exist_ok=True)
        (tmp_path / "mitdb" / f"{record}.hea").write_text("")
    folds, databases = [["101"], ["106", "803"]], {"mitdb": {"lead": None}}
    cfg = {"databases": ["mitdb"], "records": None}
    jobs = fold_jobs(folds, databases, cfg, "models", [0, 2], raw_root=tmp_path)
    assert [(p.name, [d.parts[-2:] for d in dirs]) for p, _, dirs in jobs] == [
        ("101", [("fold0", "seed0"), ("fold0", "seed2")]),
        ("106", [("fold1", "seed0"), ("fold1", "seed2")])]  # 803: no mitdb record
    chosen = fold_jobs(folds, databases, {**cfg, "records": [106]}, "m", [0], raw_root=tmp_path)
    assert [p.name for p, _, _ in chosen] == ["106"]
    with pytest.raises(EcgError, match="noise_cv.records: 803, 999 are not held-out records"):
        fold_jobs(folds, databases, {**cfg, "records": ["999", "803", "101"]}, "m", [0],
                  raw_root=tmp_path)
