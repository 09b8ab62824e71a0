"""Figures for people (PNG) and small tables for `dvc plots` (CSV/JSON)."""

import matplotlib

matplotlib.use("Agg")  # no display here, in CI or in `dvc exp` workers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .aami import CLASSES  # noqa: E402

# One colour per class in every figure, PNG and interactive: the templates in .dvc/plots use
# these same hex values (a test checks). matplotlib's tab:gray, blue, red, purple, olive.
COLORS = {"N": "#7f7f7f", "S": "#1f77b4", "V": "#d62728", "F": "#9467bd", "Q": "#bcbd22"}


def distribution_table(counts_by_set):
    """Long table (class, set, beats) for a grouped bar plot from {set: {class: n}}; a set
    with no beats (inter_patient's validation) is left out rather than drawn empty."""
    rows = [{"class": c, "set": s, "beats": counts.get(c, 0)}
            for s, counts in counts_by_set.items() if sum(counts.values()) > 0 for c in CLASSES]
    return pd.DataFrame(rows, columns=["class", "set", "beats"])


def distribution_figure(table, title):
    """Horizontal bars, one group per class in its colour, one bar per set (lighter to
    darker); each bar names its set and count at its end, so no two labels overlap."""
    sets = list(dict.fromkeys(table["set"]))
    height = 0.8 / len(sets)
    fig, ax = plt.subplots(figsize=(7, 1 + len(CLASSES) * 0.32 * len(sets)))
    alphas = np.linspace(1, 0.45, len(sets))[::-1]  # the last set (test) darkest, one set: 1
    for j, (s, alpha) in enumerate(zip(sets, alphas, strict=True)):
        beats = table[table["set"] == s].set_index("class").loc[list(CLASSES), "beats"]
        y = np.arange(len(CLASSES)) + (j - (len(sets) - 1) / 2) * height
        bars = ax.barh(y, beats, height=height, color=[COLORS[c] for c in CLASSES],
                       alpha=alpha)
        ax.bar_label(bars, labels=[f"{s}: {b:,}" for b in beats], fontsize=7, padding=2)
    ax.set_xscale("symlog", linthresh=1)  # counts span 1 to 90 000, and a class may have 0
    ax.set_xlim(0, table["beats"].max() * 12)  # room for the labels
    ax.set_yticks(range(len(CLASSES)), CLASSES)
    ax.invert_yaxis()  # N on top, sets in table order
    ax.set_xlabel("beats (log scale)")
    ax.set_title(title)
    return fig


def confusion_table(cm):
    """Aggregated confusion counts (actual, predicted, count): small, unlike one row per beat."""
    return pd.DataFrame([{"actual": a, "predicted": p, "count": int(cm[i, j])}
                         for i, a in enumerate(CLASSES) for j, p in enumerate(CLASSES)])


def confusion_figure(cm, title):
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(CLASSES)):
        for j in range(len(CLASSES)):
            color = "white" if norm[i, j] > 0.5 else "black"
            ax.text(j, i, f"{cm[i, j]}\n{norm[i, j]:.1%}", ha="center", va="center",
                    fontsize=8, color=color)
    ax.set_xticks(range(len(CLASSES)), CLASSES)
    ax.set_yticks(range(len(CLASSES)), CLASSES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual (row-normalised)")
    ax.set_title(title)
    return fig


def roc_table(curves):
    """Long table (class, order, fpr, tpr): `order` is the point's place along its curve,
    which the interactive plot follows (fpr alone has ties, and the line would jump)."""
    return pd.concat([pd.DataFrame({"class": c, "order": np.arange(len(fpr)), "fpr": fpr,
                                    "tpr": tpr}) for c, (fpr, tpr) in curves.items()],
                     ignore_index=True)


def roc_figure(curves, aucs, title):
    """`curves` is {class: (fpr, tpr)}, `aucs` {class: auc or None}."""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for c, (fpr, tpr) in curves.items():
        ax.plot(fpr, tpr, color=COLORS[c], label=f"{c} (AUC {aucs[c]:.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig


def examples_figure(x, labels, fs, before, per_class=5, seed=0):
    """A few random beats of each class: whole windows of the beat channel (x is
    (beats, samples, channels)), on the window's time axis, in seconds from the R peak."""
    rng = np.random.default_rng(seed)
    t = (np.arange(x.shape[1]) - before) / fs
    fig, axes = plt.subplots(1, len(CLASSES), figsize=(14, 2.8), sharey=True)
    for k, (ax, c) in enumerate(zip(axes, CLASSES, strict=True)):
        idx = np.flatnonzero(labels == k)
        for i in rng.choice(idx, size=min(per_class, len(idx)), replace=False):
            ax.plot(t, x[i, :, 0], color=COLORS[c], lw=0.8, alpha=0.8)
        ax.set_title(f"{c} ({len(idx)} beats)")
        ax.set_xlabel("s from R peak")
    axes[0].set_ylabel("amplitude / record R amplitude")
    return fig


def per_record_figure(rows, title):
    """Misclassified beats of each test record, stacked by reference class, worst on top, with
    the record's accuracy and EC57 S / V sensitivity written beside its bar."""
    rows = rows.sort_values("errors", kind="stable").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(rows) + 1.4))
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for c in CLASSES:
        wrong = rows[f"{c}_wrong"].to_numpy()
        ax.barh(y, wrong, left=left, color=COLORS[c], label=f"{c} beats misclassified")
        left += wrong
    for i, r in rows.iterrows():
        se = "  ".join(f"{c} Se {r[f'{c}_se']:.2f}" for c in ("S", "V") if pd.notna(r[f"{c}_se"]))
        ax.text(r["errors"], i, f"  acc {r['accuracy']:.3f}  {se}", va="center", fontsize=7)
    ax.set_yticks(y, rows["record"])
    ax.set_xlabel("misclassified beats")
    ax.set_xlim(0, rows["errors"].max() * 1.7 + 1)
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title(title)
    return fig


def cv_epochs_figure(curve, title):
    """Held-out (cross-validated) scores against the epoch count, mean +- std over seeds."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for key, color in (("accuracy", "black"), ("macro_f1", "tab:green"),
                       ("S_f1", COLORS["S"]), ("V_f1", COLORS["V"])):
        mean, std = curve[key], curve[f"{key}_std"]
        ax.plot(curve["epoch"], mean, color=color, marker="o", ms=3, label=key)
        ax.fill_between(curve["epoch"], mean - std, mean + std, color=color, alpha=0.15)
    ax.set_xlabel("epochs trained")
    ax.set_ylabel("score on held-out DS1 patients")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig


NOISE_STATISTICS = (("qrs", "QRS detection"), ("veb", "VEB (V)"), ("sveb", "SVEB (S)"))
NOISE_COLORS = {"qrs": "black", "veb": COLORS["V"], "sveb": COLORS["S"]}


def noise_stress_table(result):
    """Long table (snr, scope, statistic, value, std) of the pooled statistics of
    noise_stress_result, or of noise_stress.over_seeds (value: the mean over seeds, std their
    spread; else std is empty), for `dvc plots`: statistic is qrs_se, qrs_ppv, veb_se,
    veb_ppv, sveb_se, sveb_ppv or accuracy; an undefined value (no beat to count) is empty."""
    rows = []
    for snr, by_scope in result["snr"].items():
        for scope, s in by_scope.items():
            values = {f"{kind}_{stat}": s[kind][stat] for kind, _ in NOISE_STATISTICS
                      for stat in ("se", "ppv")}
            for k, v in {**values, "accuracy": s["accuracy"]}.items():
                spread = isinstance(v, dict)
                rows.append({"snr": int(snr), "scope": scope, "statistic": k,
                             "value": v["mean"] if spread else v,
                             "std": v["std"] if spread else None})
    return pd.DataFrame(rows, columns=["snr", "scope", "statistic", "value", "std"])


def noise_stress_by_snr(result, scope):
    """One row per SNR (cleanest first), one column per statistic of noise_stress_table (and
    <statistic>_std with over_seeds): a `dvc plots` line per statistic against the SNR."""
    table = noise_stress_table(result)
    table = table[table["scope"] == scope]
    wide = table.pivot(index="snr", columns="statistic", values="value")
    order = [*(f"{k}_{s}" for k, _ in NOISE_STATISTICS for s in ("se", "ppv")), "accuracy"]
    wide = wide[order]
    if table["std"].notna().any():
        std = table.pivot(index="snr", columns="statistic", values="std")[order]
        wide = wide.join(std.add_suffix("_std"))
    return wide.sort_index(ascending=False).reset_index()


def noise_stress_figure(result, title, scopes=("noisy", "whole"), pooled="both records"):
    """Each statistic against the SNR (cleanest on the left), one panel per kind: Se solid
    circles, +P open squares; one line style per scope (noisy stretches solid); over seeds,
    a band of +- one std around the mean. `pooled`: the records each statistic pools."""
    table = noise_stress_table(result)
    styles = dict(zip(scopes, ("-", "--", ":"), strict=False))
    fig, axes = plt.subplots(1, len(NOISE_STATISTICS) + 1, figsize=(14, 3.6), sharey=True)
    panels = [*(((f"{k}_se", f"{k}_ppv"), name, NOISE_COLORS[k]) for k, name in NOISE_STATISTICS),
              (("accuracy",), "accuracy (paired beats)", "tab:green")]
    for ax, (stats, name, color) in zip(axes, panels, strict=True):
        for scope in scopes:
            for stat in stats:
                rows = table[(table["scope"] == scope) & (table["statistic"] == stat)]
                rows = rows.sort_values("snr")
                if rows["std"].notna().any():  # over seeds: mean +- std
                    mean, std = rows["value"].astype(float), rows["std"].astype(float)
                    ax.fill_between(rows["snr"], mean - std, mean + std, color=color,
                                    alpha=0.12, lw=0)
                ax.plot(rows["snr"], rows["value"].astype(float), color=color, ls=styles[scope],
                        marker="s" if stat.endswith("ppv") else "o", ms=4,
                        mfc="white" if stat.endswith("ppv") else color,
                        label=f"{stat.split('_')[-1].replace('ppv', '+P').replace('se', 'Se')}"
                              f" ({scope})")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("SNR (dB)")
        ax.invert_xaxis()  # clean on the left, noisier to the right
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=7)
    axes[0].set_ylabel(f"gross statistic ({pooled} pooled)")
    axes[0].set_ylim(0, 1.02)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


ADAPTIVE_STATISTICS = (("sveb", "SVEB"), ("veb", "VEB"))


def adaptive_table(result):
    """One row per setting of adaptive.report (k = 0 first, the whole learning period last):
    the labelled beats per record, accuracy and EC57 SVEB / VEB Se and +P (means over seeds x
    draws, with <statistic>_std): a `dvc plots` line per statistic against labelled beats."""
    rows = []
    for setting, r in result.items():
        row = {"setting": setting, "labelled": r["labelled_beats_per_record"],
               "accuracy": r["accuracy"]["mean"], "accuracy_std": r["accuracy"]["std"]}
        for kind, _ in ADAPTIVE_STATISTICS:
            for stat in ("se", "ppv"):
                s = r["ec57"][kind][stat]
                row[f"{kind}_{stat}"], row[f"{kind}_{stat}_std"] = s["mean"], s["std"]
        rows.append(row)
    return pd.DataFrame(rows)


def adaptive_figure(table, title, learning_minutes):
    """EC57 SVEB and VEB Se (solid circles) and +P (open squares) against the labelled beats
    per record, one panel each, mean +- std over seeds x draws; the settings evenly spaced,
    the last one (every beat of the learning period) labelled with its mean count."""
    fig, axes = plt.subplots(1, len(ADAPTIVE_STATISTICS), figsize=(11, 3.8), sharey=True)
    x = np.arange(len(table))
    ticks = [*table["setting"].iloc[:-1],
             f"first {learning_minutes:g} min\n(~{table['labelled'].iloc[-1]:.0f})"]
    for ax, (kind, name) in zip(axes, ADAPTIVE_STATISTICS, strict=True):
        for stat, marker, label in (("se", "o", "Se"), ("ppv", "s", "+P")):
            mean = table[f"{kind}_{stat}"].astype(float)
            std = table[f"{kind}_{stat}_std"].astype(float).fillna(0)
            color = "tab:blue" if kind == "sveb" else "tab:red"
            ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.12, lw=0)
            ax.plot(x, mean, color=color, marker=marker, mfc=color if stat == "se" else "white",
                    label=label)
        ax.set_xticks(x, ticks, fontsize=8)
        ax.set_xlabel("labelled beats of the record (k)")
        ax.set_title(f"{name}: scored after the first {learning_minutes:g} min", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("EC57 gross statistic")
    axes[0].set_ylim(0, 1.02)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
