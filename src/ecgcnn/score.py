"""`ecgcnn score DIR`: how good a model is on a whole WFDB database.

Every annotated record goes through `predict.predict_record`, the chain `ecgcnn predict` uses,
in worker processes that load the model once each. The scores are the evaluate stage's code:
the 5-class confusion matrix (`metrics`), EC57's gross and record-by-record VEB and SVEB
statistics (`ec57`), and, with detection, the detector's Se and +P (150 ms one-to-one
pairing); with detection EC57's VEB / SVEB counts also take the reference beats no detected
beat paired with and the detected beats paired with none, as bxb does. Beats inside marked
VF episodes are left out (episodes.py). A record that cannot be read is reported and
skipped; the others are scored.
"""

import concurrent.futures
import multiprocessing
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .aami import CLASSES
from .io import EcgError

_worker = {}  # per process: the loaded model and the options every record shares


def database_records(directory, annotations="atr", records=None):
    """Record names of a WFDB database directory: `records` if given, else its RECORDS file,
    else every header that has an annotation file beside it."""
    directory = Path(directory)
    if not directory.is_dir():
        raise EcgError(f"{directory}: not a directory")
    if records:
        return list(records)
    listing = directory / "RECORDS"
    if listing.exists():
        names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
        return [n for n in names if (directory / f"{n}.{annotations}").exists()]
    return sorted(h.stem for h in directory.glob("*.hea")
                  if h.with_suffix(f".{annotations}").exists())


def init_worker(model_dir, options):
    from .checkpoint import load_model

    _worker.update(model=load_model(model_dir), model_dir=model_dir, options=options)


def score_record(path):
    """(record name, its beats frame or None, error message or None): never raises EcgError."""
    from .predict import predict_record

    try:
        frame = predict_record(path, _worker["model_dir"], model=_worker["model"],
                               **_worker["options"])
        return Path(path).name, frame, None
    except EcgError as e:
        return Path(path).name, None, str(e)


def score_database(directory, model_dir, records=None, annotations="atr", detect=False,
                   lead=None, jobs=1, progress=True, adapt=None):
    """Score every record: ({name: beats frame}, {name: error message}); `adapt`: each
    record adapted to its own labelled beats (predict.predict_file)."""
    names = database_records(directory, annotations, records)
    if not names:
        raise EcgError(f"{directory}: no record with a .{annotations} annotation file")
    paths = [str(Path(directory) / n) for n in names]
    options = {"annotations": annotations, "detect": detect, "lead": lead, "adapt": adapt}
    init_worker(model_dir, options)  # a bad model directory fails here, once
    bar = tqdm(total=len(paths), desc="score", unit="record", disable=not progress)
    results = []
    if jobs == 1:
        for path in paths:
            results.append(score_record(path))
            bar.update()
    else:
        # spawn, not fork: JAX's threads do not survive a fork
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(jobs, context, init_worker,
                                                    (model_dir, options)) as pool:
            for result in pool.map(score_record, paths):
                results.append(result)
                bar.update()
    bar.close()
    frames = {name: frame for name, frame, _ in results if frame is not None}
    failed = {name: error for name, _, error in results if error is not None}
    return frames, failed


def all_beats(frames):
    """One table of every classified beat, with its record; only beats with a reference
    class are scored."""
    parts = [frame.assign(record=name)[["record", *frame.columns]]
             for name, frame in frames.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def detection_scores(frames):
    """Gross and per-record Se / +P of the QRS detector (None when beats were annotated)."""
    rows = {name: f.attrs["detection"] for name, f in frames.items() if "detection" in f.attrs}
    if not rows:
        return None
    found = sum(d["matched"] for d in rows.values())
    reference = sum(d["reference_beats"] for d in rows.values())
    detected = sum(d["detected"] for d in rows.values())
    return {"se": found / reference if reference else None,
            "ppv": found / detected if detected else None,
            "reference_beats": reference, "detected_beats": detected,
            "tolerance_ms": 150, "records": {n: {"se": d["se"], "ppv": d["ppv"]}
                                             for n, d in rows.items()}}


def scored(beats):
    """(records, reference classes, predicted classes) of the beats with a reference class
    outside marked VF episodes (bxb's rule, episodes.py) and, after an adaptation, neither
    labelled nor in the learning period (predict.scorable); none when no record had beat
    annotations."""
    from .predict import scorable

    if "reference" not in beats:
        return np.zeros(0, dtype=str), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    mine = beats[scorable(beats)]
    return (mine["record"].to_numpy(), mine["reference"].map(CLASSES.index).to_numpy(np.int64),
            mine["predicted"].map(CLASSES.index).to_numpy(np.int64))


def unpaired(beats, frames):
    """({record: missed [5]}, {record: extra [5]}) of the records whose detected beats were
    scored against annotations: reference beats no detected beat paired with, by class, and
    classified detected beats paired with none, by predicted class (outside VF episodes).
    EC57 counts both (ec57.py); empty without detection."""
    from .predict import scorable

    names = [n for n, f in frames.items() if "detection" in f.attrs]
    missed = {n: np.array([frames[n].attrs["detection"]["missed"][c] for c in CLASSES])
              for n in names}
    lone = (beats[beats["record"].isin(names) & beats["reference"].isna()
                  & scorable(beats, with_reference=False)]
            if names else beats)
    extra = {n: np.bincount(lone.loc[lone["record"] == n, "predicted"].map(CLASSES.index)
                            .to_numpy(np.int64), minlength=len(CLASSES)) for n in names}
    return missed, extra


def summarise(beats, frames, failed, model_dir):
    """summary.json: the scores of every beat with a reference class, pooled over records;
    with detection, EC57's counts include the missed and extra beats (`unpaired`)."""
    from . import ec57
    from .metrics import confusion, summary_scores

    missed, extra = (sum(d.values(), np.zeros(len(CLASSES), dtype=np.int64))
                     for d in unpaired(beats, frames))
    _, y, p = scored(beats)
    cm = confusion(y, p) if len(y) else np.zeros((len(CLASSES),) * 2, dtype=np.int64)
    predicted = beats["predicted"] if len(beats) else pd.Series([], dtype=str)
    return {"model": str(model_dir), "records": sorted(frames), "failed": failed,
            "beats": int(len(beats)), "scored_beats": int(len(y)),
            "predicted": {c: int((predicted == c).sum()) for c in CLASSES},
            "confusion": {"rows_reference_columns_predicted": list(CLASSES),
                          "matrix": cm.tolist()},
            **({"scores": summary_scores(cm), "ec57": ec57.gross(cm, missed, extra)}
               if len(y) else {}),
            "unpaired": {"missed": dict(zip(CLASSES, missed.tolist(), strict=True)),
                         "extra": dict(zip(CLASSES, extra.tolist(), strict=True))},
            "detection": detection_scores(frames), "vf_episodes": vf_episodes(beats, frames),
            "vf_detection": vf_detection(frames),
            "adapted": {n: {k: v for k, v in f.attrs["adapted"].items() if k != "config"}
                        for n, f in frames.items() if f.attrs.get("adapted")} or None}


def vf_episodes(beats, frames):
    """The marked VF episodes per record and the beats inside them, left out of the scores."""
    from .episodes import flagged

    marked = {n: f.attrs["episodes"]["marked"] for n, f in frames.items()
              if f.attrs.get("episodes")}
    inside = int(flagged(beats).sum()) if len(beats) else 0
    return {"records": marked, "episodes": sum(len(e) for e in marked.values()),
            "beats_excluded": inside}


def vf_detection(frames):
    """With detection: the detected VF episodes against the marked ones (episodes.py),
    pooled and per record (None when nothing was detected against annotations)."""
    from .episodes import detection_scores

    counts = {n: f.attrs["vf_detection"] for n, f in frames.items() if "vf_detection" in f.attrs}
    if not counts:
        return None
    return {**detection_scores(counts.values()),
            "records": {n: c for n, c in counts.items() if c["marked"] or c["detected"]}}


def per_record_table(beats, frames):
    """EC57's record-by-record table (ec57.per_record), plus the detector's Se / +P."""
    from . import ec57

    rows = pd.DataFrame(ec57.per_record(*scored(beats), *unpaired(beats, frames)))
    detection = {n: f.attrs["detection"] for n, f in frames.items() if "detection" in f.attrs}
    if detection and len(rows):
        rows["detect_se"] = rows["record"].map(lambda r: detection.get(r, {}).get("se"))
        rows["detect_ppv"] = rows["record"].map(lambda r: detection.get(r, {}).get("ppv"))
    return rows


def write_outputs(outdir, beats, summary, table, title):
    """beats.csv, per_record.csv, summary.json, confusion.{csv,png}, per_record.png; each
    file written atomically, all after the scoring is done."""
    from . import plots
    from .io import save_figure, write_csv, write_json

    out = Path(outdir)
    cm = np.asarray(summary["confusion"]["matrix"])
    write_csv(out / "beats.csv", beats)
    write_csv(out / "per_record.csv", table)
    write_csv(out / "confusion.csv", plots.confusion_table(cm))
    write_json(out / "summary.json", summary)
    if summary["scored_beats"]:
        save_figure(out / "confusion.png", plots.confusion_figure(cm, title))
        save_figure(out / "per_record.png", plots.per_record_figure(table, title))


def report(summary):
    """A few lines for people, EC57's gross statistics first."""
    lines = [f"{len(summary['records'])} records, {summary['beats']} beats classified, "
             f"{summary['scored_beats']} with a reference class"]
    if "ec57" in summary:
        s = summary["scores"]
        lines.append(f"accuracy {s['accuracy']:.2%}, macro-F1 {s['macro_f1']:.4f}")
        for kind, name in (("veb", "VEB (V)"), ("sveb", "SVEB (S)")):
            e = summary["ec57"][kind]
            lines.append(f"  gross {name:<9} Se {fmt(e['se'])}  +P {fmt(e['ppv'])}  "
                         f"FPR {fmt(e['fpr'])}")
        u = summary["unpaired"]
        if summary["detection"]:
            lines.append(f"  (with {sum(u['missed'].values())} reference beats missed and "
                         f"{sum(u['extra'].values())} detected beats matching none, counted "
                         "as bxb counts them)")
    if summary.get("adapted"):
        a = summary["adapted"]
        labelled = sum(d["labelled"] for d in a.values())
        lines.append(f"  each record adapted to its own labelled beats ({labelled} in {len(a)} "
                     "records), left out of the scores with their learning period")
    vf = summary.get("vf_episodes")
    if vf and vf["episodes"]:
        lines.append(f"  {vf['beats_excluded']} beats inside {vf['episodes']} reference-marked "
                     f"VF episode(s) ([ ... ], {len(vf['records'])} record(s)) left out of "
                     "every beat and detection statistic, as bxb does")
    vf = summary.get("vf_detection")
    if vf and (vf["marked"] or vf["detected"]):
        lines.append(f"  VF episodes detected {vf['detected']} (beats inside called Q), marked "
                     f"{vf['marked']}: episode Se {fmt(vf['episode_se'])}  +P "
                     f"{fmt(vf['episode_ppv'])}, duration Se {fmt(vf['duration_se'])}  +P "
                     f"{fmt(vf['duration_ppv'])} (any overlap, as epicmp)")
    if summary["detection"]:
        d = summary["detection"]
        lines.append(f"  QRS detection Se {fmt(d['se'])}  +P {fmt(d['ppv'])} "
                     f"({d['reference_beats']} reference beats, 150 ms)")
    for name, error in summary["failed"].items():
        lines.append(f"error: record {name} skipped: {error}")
    return "\n".join(lines)


def fmt(value):
    return "-" if value is None else f"{value:.2%}"
