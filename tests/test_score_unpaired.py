"""`score --detect`: EC57's VEB / SVEB statistics count missed and extra beats as bxb does."""

import numpy as np
import pandas as pd
import pytest

from ecgcnn.score import per_record_table, report, summarise, unpaired


def frame(predicted, reference, missed, vf=None):
    f = pd.DataFrame({"sample": np.arange(len(predicted)) * 300, "predicted": predicted,
                      "reference": reference})
    if vf is not None:
        f["vf_episode"] = vf
    f.attrs = {"detection": {"matched": int(pd.notna(reference).sum()), "detected": len(f),
                             "reference_beats": 0, "se": 1.0, "ppv": 1.0,
                             "missed": dict(zip("NSVFQ", missed, strict=True))}}
    return f


@pytest.fixture
def frames():
    return {
        # a: V V N, one extra beat called V, one flagged in VF (not counted); one V missed
        "a": frame(["V", "V", "N", "V", "V"], ["V", "V", "N", None, None], [0, 0, 1, 0, 0],
                   vf=[False, False, False, False, True]),
        # b: an extra beat called S, one N missed
        "b": frame(["N", "S"], ["N", None], [1, 0, 0, 0, 0]),
    }


def beats_of(frames):
    return pd.concat([f.assign(record=n) for n, f in frames.items()], ignore_index=True)


def test_missed_and_extra_beats_per_record(frames):
    missed, extra = unpaired(beats_of(frames), frames)
    assert missed["a"].tolist() == [0, 0, 1, 0, 0] and missed["b"].tolist() == [1, 0, 0, 0, 0]
    assert extra["a"].tolist() == [0, 0, 1, 0, 0]  # the one in VF is not an extra
    assert extra["b"].tolist() == [0, 1, 0, 0, 0]


def test_gross_and_record_statistics_count_them(frames):
    beats = beats_of(frames)
    summary = summarise(beats, frames, {}, "model")
    assert summary["unpaired"] == {"missed": {"N": 1, "S": 0, "V": 1, "F": 0, "Q": 0},
                                   "extra": {"N": 0, "S": 1, "V": 1, "F": 0, "Q": 0}}
    veb, sveb = summary["ec57"]["veb"], summary["ec57"]["sveb"]
    assert veb["se"] == pytest.approx(2 / 3) and veb["ppv"] == pytest.approx(2 / 3)
    assert sveb["se"] is None and sveb["ppv"] == 0.0
    assert "(with 2 reference beats missed and 2 detected beats matching none" in \
        report(summary)
    table = per_record_table(beats, frames).set_index("record")
    assert table.loc["a", "V_se"] == pytest.approx(2 / 3)
    assert table.loc["a", "V_ppv"] == pytest.approx(2 / 3)
