"""Figures checked by what they draw, not by their file size."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgb

from ecgcnn.aami import CLASSES
from ecgcnn.ec57 import per_record
from ecgcnn.metrics import roc_curves
from ecgcnn.plots import (
    COLORS,
    cv_epochs_figure,
    distribution_figure,
    distribution_table,
    examples_figure,
    per_record_figure,
    roc_table,
)

TEMPLATES = Path(__file__).resolve().parents[1] / ".dvc" / "plots"


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


def test_examples_figure_draws_whole_windows_of_the_beat_channel():
    fs, before, window = 180, 45, 126  # params: 0.25 s + 0.45 s at 180 Hz
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, window, 2))
    labels = np.arange(40) % len(CLASSES)
    fig = examples_figure(x, labels, fs, before, per_class=3)
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    assert len(lines) == 3 * len(CLASSES)
    for line in lines:
        t, y = line.get_xdata(), line.get_ydata()
        assert len(t) == len(y) == window
        # the window is [-0.25 s, +0.45 s): its last sample is one period before 0.45 s
        assert t[0] == pytest.approx(-0.25) and t[-1] + 1 / fs == pytest.approx(0.45)
        assert any(np.array_equal(y, beat) for beat in x[:, :, 0])  # channel 0, all samples
    for ax, c in zip(fig.axes, CLASSES, strict=True):
        assert {to_hex(line.get_color()) for line in ax.get_lines()} == {COLORS[c]}


def test_roc_table_follows_each_curve_in_order():
    y = np.repeat([0, 1, 2], 300)
    p = np.random.default_rng(1).dirichlet(np.ones(5), size=len(y))
    table = roc_table(roc_curves(y, p, max_points=40))
    assert list(table.columns) == ["class", "order", "fpr", "tpr"]
    for _, curve in table.groupby("class"):
        curve = curve.sort_values("order")
        assert list(curve["order"]) == list(range(len(curve)))
        assert curve["fpr"].is_monotonic_increasing and curve["tpr"].is_monotonic_increasing
        assert curve.iloc[[0, -1]][["fpr", "tpr"]].to_numpy().tolist() == [[0, 0], [1, 1]]


def test_distribution_drops_empty_sets_and_labels_every_bar_once():
    counts = {"train": {"N": 3220, "S": 3209, "V": 5}, "val": {}, "test": {"N": 10, "Q": 1}}
    table = distribution_table(counts)
    assert list(dict.fromkeys(table["set"])) == ["train", "test"]
    ax = distribution_figure(table, "t").axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert "train: 3,220" in labels and "train: 3,209" in labels and "test: 1" in labels
    assert len(labels) == 2 * len(CLASSES)
    bars = [p for p in ax.patches if p.get_width() > 0]
    for bar in bars:  # each bar in its class's colour, whatever the set
        c = CLASSES[int(round(bar.get_y() + bar.get_height() / 2))]
        assert np.allclose(bar.get_facecolor()[:3], to_rgb(COLORS[c])), c


def class_scales(node):
    """Every vega-lite scale in a template whose domain is the classes."""
    if isinstance(node, dict):
        if node.get("domain") == list(CLASSES):
            yield node
        for value in node.values():
            yield from class_scales(value)
    elif isinstance(node, list):
        for value in node:
            yield from class_scales(value)


def test_interactive_plots_use_the_png_colour_of_each_class():
    for name in ("roc_by_class", "grouped_bar"):
        spec = json.loads((TEMPLATES / f"{name}.json").read_text())
        scales = list(class_scales(spec))
        assert scales, f"{name} has no class colour scale"
        assert all(s["range"] == [COLORS[c] for c in CLASSES] for s in scales)


def test_roc_template_draws_each_curve_in_its_order_column():
    spec = json.loads((TEMPLATES / "roc_by_class.json").read_text())
    assert spec["encoding"]["order"]["field"] == "order"
    # dvc hands CSV values over as strings: "10" < "2" unless converted
    assert {"calculate": "toNumber(datum.order)", "as": "order"} in spec["transform"]
