"""Figures checked by what they draw, not by their file size."""

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from ecgcnn.ec57 import per_record
from ecgcnn.plots import COLORS, cv_epochs_figure, per_record_figure


def test_per_record_figure_stacks_each_records_errors_by_class_worst_on_top():
    records = np.array(["a"] * 6 + ["b"] * 4 + ["c"] * 3)
    y = np.array([0, 0, 0, 1, 2, 2, 0, 0, 1, 1, 0, 0, 0])
    pred = np.array([1, 1, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0])  # a: 4 wrong, b: 0, c: 0
    rows = pd.DataFrame(per_record(records, y, pred))
    fig = per_record_figure(rows, "t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "a"  # most errors on top
    bars = {}
    for patch in ax.patches:
        if patch.get_width() > 0:
            row = int(round(patch.get_y() + patch.get_height() / 2))
            bars.setdefault(row, []).append((to_hex(patch.get_facecolor()), patch.get_width()))
    top = len(rows) - 1
    assert bars == {top: [(to_hex(COLORS["N"]), 2), (to_hex(COLORS["S"]), 1),
                          (to_hex(COLORS["V"]), 1)]}
    assert any("acc 0.333" in t.get_text() for t in ax.texts)


def test_cv_epochs_figure_draws_the_mean_curve_of_each_score():
    curve = pd.DataFrame({"epoch": [1, 2, 3]})
    for i, key in enumerate(("accuracy", "macro_f1", "S_f1", "V_f1")):
        curve[key] = [0.1 * i + 0.1, 0.1 * i + 0.2, 0.1 * i + 0.3]
        curve[f"{key}_std"] = 0.01
    ax = cv_epochs_figure(curve, "t").axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    for key in ("accuracy", "macro_f1", "S_f1", "V_f1"):
        assert list(lines[key].get_xdata()) == [1, 2, 3]
        assert np.allclose(lines[key].get_ydata(), curve[key])
