"""The patient-adaptive protocol: each record adapted with labelled beats of its learning
period, scored on the beats after it.

EC57's learning period is a record's first 5 minutes (params `adaptive.learning_minutes`).
For each record and model, the beats of that period are labelled either all of them
("5min") or k of them (`adaptive.k`), drawn `adaptive.draws` times; k = 0 is the general
model itself. Every setting is scored on the same beats, those after the learning period,
so a labelled beat is never scored and a beat after it never reaches the adaptation (only
the labels and inputs of labelled beats enter `adapt.adapt_heads`; a beat's RR features and
template are computed from the whole record, as for every beat the model classifies).

Draws depend on the record's name, the draw number and `adaptive.seed`, not on the model:
every training seed sees the same labelled beats. `adapt.draw` says how: `random` beats, or
`spread` (the analyst labels beats the tool picks: farthest-point sampling over the
unlabelled beats' trunk features and RR features, so that rare shapes get a label).
"""

import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from . import ec57
from .aami import CLASSES
from .adapt import adapt_heads, blended_probs, embed
from .checkpoint import load_model
from .dataset import cv_models_dir, model_dir, subset
from .metrics import confusion
from .quality import model_quality
from .records import read_header_fs

ALL = "5min"  # the setting where every beat of the learning period is labelled


def draw_rng(seed, draw, record):
    return np.random.default_rng([seed, draw, zlib.crc32(str(record).encode())])


def spread_beats(features, k, rng):
    """k rows of `features` far from each other: farthest-point sampling from a random one."""
    f = (features - features.mean(0)) / (features.std(0) + 1e-6)
    chosen = [int(rng.integers(len(f)))]
    distance = np.linalg.norm(f - f[chosen[0]], axis=1)
    for _ in range(k - 1):
        chosen.append(int(distance.argmax()))
        distance = np.minimum(distance, np.linalg.norm(f - f[chosen[-1]], axis=1))
    return np.array(chosen)


def draw_beats(candidates, k, method, rng, features=None):
    """k of the `candidates` (beat indices), or all of them when there are not more."""
    candidates = np.asarray(candidates)
    if k >= len(candidates):
        return candidates
    if method == "spread":
        return np.sort(candidates[spread_beats(features[candidates], k, rng)])
    return np.sort(rng.choice(candidates, size=k, replace=False))


def record_predictions(model, beats, learning, cfg, ks, draws, seed, z=None, noisy=None):
    """{setting: one run per draw} for one record (`beats`: x, rr, y, record; `learning`: the
    mask of its learning period; `z`: its trunk features, when known; `noisy`: the beats the
    model's quality gate calls Q, as predict does); a run: the predicted classes of the beats
    after the learning period, how many beats were labelled and the seconds the adaptation
    took."""
    z = embed(model, beats["x"]) if z is None else z
    features = np.concatenate([z, beats["rr"]], axis=1)
    candidates, scored = np.flatnonzero(learning), ~learning
    record = str(beats["record"][0])

    def run(labelled):
        t = time.perf_counter()
        weights = adapt_heads(model, z[labelled], beats["rr"][labelled], beats["y"][labelled],
                              cfg)
        seconds = time.perf_counter() - t
        probs = blended_probs(model, weights, z[scored], beats["rr"][scored],
                              beats["rr"][labelled], cfg)
        predicted = probs.argmax(1)
        if noisy is not None:
            predicted = np.where(noisy[scored], CLASSES.index("Q"), predicted)
        return {"predicted": predicted, "labelled": len(labelled), "seconds": seconds}

    out = {"0": [run(candidates[:0])]}
    for k in ks:
        out[str(k)] = [run(draw_beats(candidates, k, cfg["draw"], draw_rng(seed, d, record),
                                      features)) for d in range(draws)]
    out[ALL] = [run(candidates)]
    return out


def learning_mask(samples, fs, minutes):
    """Beats (by sample) inside the first `minutes` of a record sampled at `fs`."""
    return np.asarray(samples) < minutes * 60.0 * fs


def confusions(runs, y_after):
    """{setting: {run name: 5x5 confusion pooled over records}} from per-record runs:
    [(model seed, {setting: [predictions per draw]}, record)] and each record's true classes
    after its learning period ({record: y})."""
    out = {}
    for seed, predictions, record in runs:
        for setting, draws in predictions.items():
            for d, one in enumerate(draws):
                cm = confusion(y_after[record], one["predicted"])
                key = f"seed{seed}" + (f"-draw{d}" if len(draws) > 1 else "")
                mine = out.setdefault(setting, {})
                mine[key] = mine.get(key, 0) + cm
    return out


def report(runs, y_after):
    """The adaptive.json body: per setting the mean labelled beats per record and every
    summary score and EC57 statistic's spread over seeds x draws (ec57.over_seeds)."""
    out = {}
    for setting, by_run in confusions(runs, y_after).items():
        spread = ec57.over_seeds(by_run)
        spread["runs"] = spread.pop("seeds")
        labelled = [one["labelled"] for _, p, _ in runs for one in p[setting]]
        out[setting] = {"labelled_beats_per_record": float(np.mean(labelled)), **spread}
    return out


def seconds(runs):
    """Seconds per adaptation for each setting with labels: median, 95th percentile and the
    most (which includes a compilation: one per padded size and process, adapt.padded)."""
    times = {}
    for _, predictions, _ in runs:
        for setting, draws in predictions.items():
            times.setdefault(setting, []).extend(one["seconds"] for one in draws)
    return {s: {"median": float(np.median(t)), "p95": float(np.percentile(t, 95)),
                "max": float(np.max(t))} for s, t in times.items() if s != "0"}


def gains(result, base="0"):
    """Each setting's mean EC57 SVEB / VEB Se and +P minus the unadapted model's."""
    def mean(setting, kind, stat):
        return result[setting]["ec57"][kind][stat]["mean"]

    return {setting: {f"{kind}_{stat}": mean(setting, kind, stat) - mean(base, kind, stat)
                      for kind in ("sveb", "veb") for stat in ("se", "ppv")
                      if mean(setting, kind, stat) is not None
                      and mean(base, kind, stat) is not None}
            for setting in result if setting != base}


def per_record_rows(runs, y_after, seed):
    """EC57 record-by-record rows of one model seed, unadapted ("0") and adapted on the whole
    learning period (ALL), the first draw."""
    rows = []
    for run_seed, predictions, record in runs:
        if run_seed != seed:
            continue
        for setting in ("0", ALL):
            cm = confusion(y_after[record], predictions[setting][0]["predicted"])
            rows.append({"setting": setting, **ec57.record_row(record, cm)})
    return rows


def record_fs(raw_dir, database, record):
    """The sampling frequency of a record of a downloaded database (its header)."""
    return read_header_fs(Path(raw_dir) / database / str(record))


def jobs_of(scope, protocol, seeds, records, folds=None):
    """[(model directory, seed, records it scores)]: `test`, the protocol's models on its test
    records; `cv`, each fold's models on that fold's records (they never saw them)."""
    if scope == "cv":
        return [(f"{cv_models_dir(protocol, f)}/seed{s}", s, [str(r) for r in fold])
                for f, fold in enumerate(folds) for s in seeds]
    return [(model_dir(protocol, s), s, list(records)) for s in seeds]


def run_jobs(jobs, beats, cfgs, adaptive_cfg, raw_dir="data/raw", progress=None):
    """({name: runs}, y_after) for each adaptation config of `cfgs` ({name: params adapt}):
    every job's records adapted and scored (record_predictions), and each record's true
    classes after its learning period. `beats`: the beats dataset."""
    runs, y_after = {name: [] for name in cfgs}, {}
    ks, draws, seed = adaptive_cfg["k"], adaptive_cfg["draws"], adaptive_cfg["seed"]
    for directory, model_seed, records in jobs:
        model, config = load_model(directory)
        for record in records:
            idx = np.flatnonzero(beats["record"] == record)
            mine = subset(beats, idx)
            fs = record_fs(raw_dir, str(beats["database"][idx[0]]), record)
            learning = learning_mask(beats["sample"][idx], fs, adaptive_cfg["learning_minutes"])
            y_after[record] = mine["y"][~learning]
            z = embed(model, mine["x"])
            _, noisy = model_quality(config, mine["x"])
            for name, cfg in cfgs.items():
                runs[name].append((model_seed, record_predictions(
                    model, mine, learning, cfg, ks, draws, seed, z, noisy), record))
            if progress:
                progress(directory, record)
    return runs, y_after


def write_outputs(protocol, scope, runs, y_after, cfg, seeds):
    """metrics/<protocol>/adaptive[_cv].json, its timings, its plot table, per-record table
    and figure; `scope` "test" or "cv". Returns the plot table."""
    from . import plots
    from .io import save_figure, write_csv, write_json

    result = report(runs, y_after)
    name = f"{protocol}/adaptive{'_cv' if scope == 'cv' else ''}"
    write_json(f"metrics/{name}.json", {
        "protocol": protocol, "scope": scope, "learning_minutes": cfg["learning_minutes"],
        "records": len(y_after), "scored_beats": int(sum(len(y) for y in y_after.values())),
        "model_seeds": seeds, "draws": cfg["draws"], "settings": result,
        "gain_over_unadapted": gains(result)})
    write_json(f"timings/{name}.json", {"seconds_per_adaptation": seconds(runs)})
    table = plots.adaptive_table(result)
    write_csv(f"plots/{name}.csv", table)
    write_csv(f"plots/{name}_per_record.csv", pd.DataFrame(per_record_rows(runs, y_after,
                                                                          seeds[0])))
    where = "test records" if scope == "test" else "CV fold models on their held-out records"
    save_figure(f"plots/{name}.png", plots.adaptive_figure(
        table, f"{protocol}, adapted to labelled beats: {where}, mean ± std over "
               f"{len(seeds)} seeds × {cfg['draws']} draws", cfg["learning_minutes"]))
    return table


def score_jobs(protocol, scope, jobs, beats, adapt_cfg, cfg, seeds):
    """One adaptive stage: every job's records adapted with params `adapt` (`adapt_cfg`) and
    scored (run_jobs), the outputs written (write_outputs), the table printed."""
    runs, y_after = run_jobs(jobs, beats, {"adapt": adapt_cfg}, cfg)
    print_table(write_outputs(protocol, scope, runs["adapt"], y_after, cfg, seeds))


def print_table(table):
    for row in table.itertuples():
        print(f"{row.setting:>5}: SVEB Se {row.sveb_se:.3f} +P {row.sveb_ppv:.3f}  "
              f"VEB Se {row.veb_se:.3f} +P {row.veb_ppv:.3f}  acc {row.accuracy:.4f}")
