"""The EC57 noise stress test library: noisy stretches, bxb-style counting with detected beats,
statistics per SNR and their figure, on synthetic records (and nstdb itself when it is in
../shared)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import wfdb
from conftest import SHARED_MITDB
from test_any_database import write
from test_predict import model_dir  # noqa: F401

from ecgcnn import noise_stress as ns
from ecgcnn.detection import pair_beats
from ecgcnn.io import EcgError, save_figure
from ecgcnn.plots import noise_stress_by_snr, noise_stress_figure, noise_stress_table

NSTDB = SHARED_MITDB.parent / "nstdb"
FS = 250


def test_record_names_give_snr_and_patient():
    assert [ns.snr_of(r) for r in ns.NOISY_RECORDS[:6]] == [24, 18, 12, 6, 0, -6]
    assert {ns.patient_of(r) for r in ns.NOISY_RECORDS} == {"118", "119"}
    with pytest.raises(EcgError, match="record em: not an nstdb noisy record"):
        ns.snr_of("em")


def test_noisy_stretches_from_5_minutes_alternating_every_2():
    got = ns.noisy_stretches(650000, 360)
    assert got[:2] == [(108000, 151200), (194400, 237600)]
    assert got[-1] == (626400, 650000) and len(got) == 7  # 29:00 to the end, 30:05


@pytest.mark.skipif(not (NSTDB / "118e24.hea").exists() or
                    not (SHARED_MITDB / "118.hea").exists(), reason="nstdb or mitdb not here")
@pytest.mark.parametrize("name", ns.NOISY_RECORDS)
def test_the_records_add_noise_where_the_readme_says(name):
    measured = ns.measured_stretches(NSTDB / name, SHARED_MITDB / ns.patient_of(name))
    want = ns.noisy_stretches(650000, 360)
    assert len(measured) == len(want)
    # A few samples at a stretch's edge may hold the noise's value by chance.
    np.testing.assert_allclose(np.array(measured), np.array(want), atol=0.05 * 360)


def test_pairing_is_one_to_one_the_nearest_wins():
    reference = np.array([100, 200, 300])
    detected = np.array([95, 102, 198, 260, 500])
    # 95 and 102 both nearest 100: 102 (2 samples) is paired, 95 is extra; 260 beyond 30
    assert pair_beats(detected, reference, 30).tolist() == [-1, 0, 1, -1, -1]
    assert pair_beats(detected, np.array([], dtype=int), 30).tolist() == [-1] * 5


def test_counts_pairs_missed_and_extra_by_scope():
    reference = np.array([100, 200, 300, 400])
    ref_labels = np.array([0, 2, 0, 1])  # N V N S
    detected = np.array([101, 199, 250, 402])
    predicted = np.array([0, 2, 2, 0])  # n v v n
    matched = pair_beats(detected, reference, 10)
    everything = ns.beat_counts(detected, predicted, reference, ref_labels, matched,
                                np.ones(4, bool), np.ones(4, bool))
    assert everything["cm"][0, 0] == 1 and everything["cm"][2, 2] == 1
    assert everything["cm"][1, 0] == 1 and everything["cm"].sum() == 3
    assert everything["missed"].tolist() == [1, 0, 0, 0, 0]  # the N at 300
    assert everything["extra"].tolist() == [0, 0, 1, 0, 0]  # 250 called V
    s = ns.statistics(everything)
    assert s["qrs"] == {"se": 3 / 4, "ppv": 3 / 4}
    assert s["veb"]["se"] == 1.0 and s["veb"]["ppv"] == 0.5  # the extra V is a false VEB
    assert s["sveb"]["se"] == 0.0 and s["accuracy"] == pytest.approx(2 / 3)
    # Only the first half: a pair or missed beat by its reference beat, an extra by itself.
    half = ns.beat_counts(detected, predicted, reference, ref_labels, matched,
                          detected < 260, reference < 260)
    assert half["cm"].sum() == 2 and half["missed"].sum() == 0 and half["extra"].sum() == 1


@pytest.fixture
def short_protocol(monkeypatch):
    """Noise from 20 s, 10-s stretches: a 60-s record has noisy 20-30 and 40-50 s."""
    monkeypatch.setattr(ns, "NOISE_START_S", 20.0)
    monkeypatch.setattr(ns, "STRETCH_S", 10.0)


def fake_nstdb(directory, names):
    """Synthetic records named like nstdb's; the -6 dB ones get loud noise in the noisy
    stretches (fast spikes a detector takes for beats), the 24 dB ones none."""
    truth = {}
    for name in names:
        path, peaks, syms = write(directory, name, fs=FS)
        if ns.snr_of(name) < 0:
            record = wfdb.rdrecord(str(path))
            rng = np.random.default_rng(0)
            noise = np.zeros(len(record.p_signal))
            for a, b in ns.noisy_stretches(len(noise), FS):
                noise[a:b] = 1.5 * rng.standard_normal(b - a)
            wfdb.wrsamp(name, fs=FS, units=["mV", "mV"], sig_name=["MLII", "V1"],
                        p_signal=record.p_signal + noise[:, None], fmt=["16", "16"],
                        write_dir=str(directory))
        truth[name] = peaks
    return truth


def test_score_synthetic_noise_stress(tmp_path, model_dir, short_protocol):  # noqa: F811
    names = ("118e24", "118e_6", "119e24", "119e_6")
    truth = fake_nstdb(tmp_path, names)
    with pytest.raises(EcgError, match="model_dirs: no model for patient"):
        ns.score_noise_stress(tmp_path, {"118": model_dir}, names, progress=False)
    result = ns.score_noise_stress(tmp_path, {"118": model_dir, "119": model_dir}, names,
                                   progress=False)
    assert list(result["snr"]) == ["24", "-6"] and set(result["records"]) == set(names)
    r = result["records"]["118e24"]
    assert r["snr"] == 24 and r["model"] == str(model_dir)
    in_noise = ns.within(truth["118e24"], ns.noisy_stretches(60 * FS, FS)).sum()
    assert r["noisy"]["reference_beats"] == in_noise
    assert r["whole"]["reference_beats"] == len(truth["118e24"])
    assert r["whole"]["qrs"]["se"] > 0.95 and r["whole"]["qrs"]["ppv"] > 0.95
    pooled = result["snr"]["24"]["whole"]
    assert pooled["reference_beats"] == len(truth["118e24"]) + len(truth["119e24"])
    assert result["all"]["whole"]["reference_beats"] == sum(len(t) for t in truth.values())
    noisy = result["snr"]["-6"]
    assert noisy["noisy"]["qrs"]["ppv"] < noisy["from_5min"]["qrs"]["ppv"] or \
        noisy["noisy"]["qrs"]["se"] < noisy["from_5min"]["qrs"]["se"]  # the noise costs
    assert result["vf_detected_s"] == {"24": 0.0, "-6": 0.0}  # white noise is no flutter

    table = noise_stress_table(result)
    assert set(table["statistic"]) == {"qrs_se", "qrs_ppv", "veb_se", "veb_ppv", "sveb_se",
                                       "sveb_ppv", "accuracy"}
    assert len(table) == 2 * len(ns.SCOPES) * 7
    save_figure(tmp_path / "noise.png", noise_stress_figure(result, "synthetic"))
    assert (tmp_path / "noise.png").stat().st_size > 10_000


def fake_result(veb_ppv, accuracy):
    """noise_stress_result's shape, two SNRs, one record: only the numbers over_seeds reads."""
    stats = {"qrs": {"se": 0.99, "ppv": 0.9}, "veb": {"se": 1.0, "ppv": veb_ppv, "fpr": 0.01},
             "sveb": {"se": None, "ppv": None, "fpr": 0.0}, "accuracy": accuracy,
             "reference_beats": 100, "detected_beats": 110}
    by_scope = dict.fromkeys(ns.SCOPES, stats)
    return {"snr": {"24": by_scope, "-6": by_scope}, "all": by_scope,
            "records": {"118e24": {"snr": 24, "model": "m", **by_scope}},
            "scopes": {}, "tolerance_ms": 150, "vf_detected_s": {"24": 0.0, "-6": veb_ppv * 10}}


def test_over_seeds_gives_mean_and_std_of_every_statistic(tmp_path):
    summary = ns.over_seeds([fake_result(0.5, 0.9), fake_result(0.7, None)])
    veb = summary["snr"]["24"]["noisy"]["veb"]["ppv"]
    assert veb["mean"] == pytest.approx(0.6) and veb["std"] == pytest.approx(0.1)
    assert summary["all"]["whole"]["accuracy"] == {"mean": 0.9, "std": 0.0, "min": 0.9,
                                                   "max": 0.9}  # the seed where defined
    assert summary["snr"]["-6"]["whole"]["sveb"]["se"] is None  # never defined
    assert set(summary["records"]["118e24"]) == set(ns.SCOPES)  # no snr, no model
    assert summary["vf_detected_s"]["-6"]["mean"] == pytest.approx(6.0)

    wide = noise_stress_by_snr(summary, "noisy")
    assert wide["snr"].tolist() == [24, -6]
    assert wide["veb_ppv"].tolist() == pytest.approx([0.6, 0.6])
    assert wide["veb_ppv_std"].tolist() == pytest.approx([0.1, 0.1])
    assert list(wide.columns[:8]) == ["snr", "qrs_se", "qrs_ppv", "veb_se", "veb_ppv",
                                      "sveb_se", "sveb_ppv", "accuracy"]
    assert "veb_ppv_std" not in noise_stress_by_snr(fake_result(0.5, 0.9), "noisy")
    fig = noise_stress_figure(summary, "mean +- std", ("noisy",), "22 records")
    assert fig.axes[0].get_ylabel() == "gross statistic (22 records pooled)"
    assert [line.get_linestyle() for line in fig.axes[0].lines] == ["-", "-"]  # Se, +P: noisy
    save_figure(tmp_path / "seeds.png", fig)
    assert (tmp_path / "seeds.png").stat().st_size > 10_000


def test_a_fold_without_a_seeds_model_is_named(tmp_path):
    with pytest.raises(EcgError, match=r"fold3/seed1: no model \(the cv stage"):
        ns.score_fold_models(tmp_path, tmp_path / "fold3", [1], progress=False)


def test_the_stage_scores_the_protocol_params_name_only():
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "stages/noise_stress.py", "inter_patient"],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: protocol inter_patient: params noise_stress.protocol is inter_patient_svdb "
        "(dvc.yaml passes it)")
