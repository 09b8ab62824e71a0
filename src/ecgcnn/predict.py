"""`ecgcnn predict`: classify every beat of a recording with a trained model.

Nothing here re-implements the pipeline: the lead is read by `readers.read_recording` (a
WFDB record through `records.read_signal`, or an EDF, CSV or .npy file), the beats go
through `extract.beats_from_signal` (same resampling, filters, windows, RR features and
normalisation as the training beats, with the extract params saved in the model directory)
and the probabilities come from `train.predict_probs`.

Beat positions come from the recording's beat annotations when it has them, else from a QRS
detector (detection.py: wfdb's GQRS, its peaks moved onto the R peak). Detected beats are
averaged with their look-alikes in the record, their V shares voted among them
(beat_averaging.py), and take a second look without the detections called Q
(second_look.py).
"""

import threading
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .aami import CLASSES
from .beat_averaging import looked
from .beat_averaging import packaged as packaged_averaging
from .checkpoint import load_model
from .detection import MATCH_TOLERANCE_S, detect_in_stretches, pair_beats
from .episodes import describe, describe_detected, detection_counts, flagged, inside
from .filters import valid_stretches
from .io import EcgError
from .readers import (
    CSV_SUFFIXES,
    EDF_SUFFIXES,
    NPY_SUFFIXES,
    check_exists,
    read_recording,
    record_path,
)
from .second_look import second_look
from .vf_detection import detect_vf

PREDICT_BATCH = 1024
NOT_WFDB = (*EDF_SUFFIXES, *CSV_SUFFIXES, *NPY_SUFFIXES)  # their labels: FILE minus suffix.EXT
PROB_COLUMNS = tuple(f"p_{c}" for c in CLASSES)
COLUMNS = ("sample", "time_s", "predicted", *PROB_COLUMNS)  # + "reference" with annotations


def beats_of_signal(signal, fs, peaks, find, cfg):
    """(peaks, x, rr, kept, facts) of a record read whole: `peaks`, or when None the beats
    `find(signal, valid stretches)` detects."""
    from .extract import MAX_GAP_S, beats_from_signal

    filled, stretches, bridged = valid_stretches(signal, fs, MAX_GAP_S)
    if not stretches:
        raise EcgError("the lead has no valid sample")
    if peaks is None:
        peaks = find(filled, stretches)
        if len(peaks) < 2:
            raise EcgError(f"QRS detection found {len(peaks)} beat(s); at least 2 are needed")
    x, rr, kept = beats_from_signal(signal, fs, peaks, cfg)
    return peaks, x, rr, kept, {"bridged": bridged, "gaps": len(stretches) - 1}


def compile_model(model, config):
    """predict_probs on one blank beat: compiles the function predict_record calls. Only a
    head start: on any failure the real call compiles again and reports its own error."""
    from .train import predict_probs

    try:
        predict_probs(model, np.zeros((1, config["window"], config["channels"]), np.float32),
                      np.zeros((1, config["rr_features"]), np.float32),
                      batch_size=PREDICT_BATCH)
    except Exception:  # not the place to report it: see above
        pass


def start_model(model_dir, model=None):
    """(model, config) and the thread compiling it, None when `model` was passed loaded.

    A model loaded here is compiled in a background thread (XLA compiles without Python's
    lock) while this one reads the recording and runs GQRS, a Python loop. A model passed in
    (`ecgcnn score`: one per database) was compiled by the first record.
    """
    if model is not None:
        return model, None
    model = load_model(model_dir)
    warm_up = threading.Thread(target=compile_model, args=model, daemon=True)
    warm_up.start()
    return model, warm_up


def predict_file(path, model_dir, annotations="atr", detect=False, lead=None, model=None,
                 fs=None, adapt=None, averaging=None):
    """(recording, beats frame) of any supported file (`readers.read_recording`): the lead
    is `lead`, else the one the model was trained on (MLII or lead II, else the first
    signal); `fs` for files that do not state theirs. `adapt`: {"annotations": EXT,
    "beats": k or None, "minutes": m or None}, the labelled beats the model adapts to
    (adapt.labelled_beats). `averaging`: params averaging for detected beats (None: the
    package's). See `classify_recording`."""
    from .chunks import CHUNK_S

    check_exists(path, annotations)  # a bad file is reported before the model is loaded
    model, warm_up = start_model(model_dir, model)
    wanted_lead = lead if lead is not None else model[1]["extract"].get("lead")
    recording = read_recording(path, wanted_lead, fs, annotations, CHUNK_S)
    labels = None
    if adapt is not None:
        from .adapt import config_for, labelled_beats

        base = Path(path).with_suffix("") if Path(path).suffix in NOT_WFDB else record_path(path)
        labels = (*labelled_beats(base, adapt["annotations"], recording.fs, recording.samples,
                                  adapt.get("beats"), adapt.get("minutes")),
                  adapt.get("minutes"), config_for(model_dir))
    return recording, classify_recording(recording, model, detect, warm_up, model_dir, labels,
                                         averaging)


def predict_record(record, model_dir, annotations="atr", detect=False, lead=None, model=None,
                   fs=None, adapt=None, averaging=None):
    """The beats frame of `predict_file`."""
    return predict_file(record, model_dir, annotations, detect, lead, model, fs, adapt,
                        averaging)[1]


def classify_recording(recording, model, detect=False, warm_up=None, model_dir="model",
                       labels=None, averaging=None):
    """One row per classified beat: sample, time_s, predicted, p_N..p_Q (+ reference).

    Beats are the recording's annotated beats when it has them and `detect` is False, else
    those `detect_beats` finds (a WFDB file with rhythm annotations only, as in atrial
    fibrillation databases, gets its beats detected, with a note). `reference` (the
    annotated AAMI class) is there whenever the recording has annotated classes; detected
    beats get the class of the annotated beat within MATCH_TOLERANCE_S, or none. Facts for
    `summary` are in `frame.attrs`. `model` = (model, config), loaded; `warm_up` a thread
    compiling it, joined before predicting. `labels` = (samples, classes, where from, learning
    minutes or None, params adapt): expert-labelled beats the model adapts to for this
    recording (adapt.py); each is paired with a classified beat within MATCH_TOLERANCE_S, the
    `labelled` column holds its class, and those beats (and, with learning minutes, every
    beat before their end) are left out of the scores (`scorable`). Detected beats are
    averaged with their look-alikes and voted (beat_averaging.py; `averaging`: params
    averaging, None: the package's) and take a second look (second_look.py).
    """
    from .chunks import beats_in_chunks
    from .quality import add_quality
    from .train import predict_probs

    model, config = model
    cfg = config["extract"]
    fs, n, signal = recording.fs, recording.samples, recording.signal
    ref_samples, ref_labels = recording.beats, recording.labels
    episodes, waves = recording.episodes, recording.flutter_waves
    detecting = detect or ref_samples is None

    def find(filled, stretches):
        return detect_in_stretches(filled, stretches, fs, recording.units)

    def beats_at(given):
        try:
            if signal is not None:
                return beats_of_signal(signal, fs, given, find, cfg)
            # bounded memory: the record is read, detected and cut chunk by chunk
            return beats_in_chunks(recording.read_range, n, fs, cfg, given, find)
        except EcgError as e:
            raise EcgError(f"record {recording.name}: {e} (lead {recording.lead})") from e

    peaks, x, rr, kept, facts = beats_at(None if detecting else ref_samples)
    reference, matched = None, None
    if detecting:
        source = "detected by wfdb GQRS"
        if ref_samples is not None and ref_labels is not None:
            matched = pair_beats(peaks, ref_samples, MATCH_TOLERANCE_S * fs)
            # -1 (no reference beat paired) picks the -1 appended: no class. So also when
            # the annotation file holds no beat at all.
            reference = np.append(ref_labels, -1)[matched]
    else:
        source = (f"from annotations {recording.annotations}" if recording.annotations
                  else "given")
        if ref_labels is not None:
            reference = ref_labels.astype(np.int64)

    if x.shape[1:] != (config["window"], config["channels"]):
        raise EcgError(f"{model_dir}: the model takes windows {config['window']} x "
                       f"{config['channels']}, its extract params give {x.shape[1:]}")
    if warm_up:
        warm_up.join()
    samples = np.asarray(peaks)[kept]

    def classify(x, rr):
        return predict_probs(model, x, rr, batch_size=PREDICT_BATCH)

    def beats_without(mask):  # the beats in `mask` as the only detections
        return beats_at(samples[mask])[1:4]

    noise = np.zeros(len(samples), dtype=bool)
    if detecting:  # detections called Q are noise: the others classified again without them
        averaging = packaged_averaging() if averaging is None else averaging
        _, x, rr, probs, noise = second_look(x, rr, beats_without, partial(
            looked, classify=classify, cfg=averaging, extract_cfg=cfg))
    elif labels is None:
        probs = classify(x, rr)
    if labels is not None:
        from .adapt import adapted_probs

        paired = pair_beats(labels[0], samples, MATCH_TOLERANCE_S * fs)
        used = paired >= 0
        adapted = adapted_probs(model, x, rr, paired[used], labels[1][used], labels[4])
        # a noise detection keeps the general model's Q
        probs = np.where(noise[:, None], probs, adapted) if detecting else adapted

    frame = pd.DataFrame({"sample": samples.astype(np.int64),
                          "time_s": np.round(samples / fs, 6),
                          "predicted": np.asarray(CLASSES)[probs.argmax(1)]})
    for k, column in enumerate(PROB_COLUMNS):
        frame[column] = np.round(probs[:, k].astype(np.float64), 6)
    add_quality(frame, x, config)  # the model's quality gate, if it has one: noisy beats -> Q
    vf = detect_vf(recording.part, n, fs) if detecting else None
    if detecting:  # flutter / fibrillation waves are not beats: unclassifiable
        frame["vf_detected"] = inside(samples, vf)
        frame["predicted"] = frame["predicted"].where(~frame["vf_detected"], "Q")
    if reference is not None:
        ref = np.asarray(reference)[kept]
        frame["reference"] = pd.Series(np.asarray(CLASSES)[np.maximum(ref, 0)]).where(ref >= 0)
    if len(episodes):
        frame["vf_episode"] = inside(samples, episodes)
    if labels is not None:
        labelled = np.full(len(frame), -1)
        labelled[paired[used]] = labels[1][used]
        frame["labelled"] = pd.Series(np.asarray(CLASSES)[np.maximum(labelled, 0)]).where(
            labelled >= 0)
        start = 60.0 * labels[3] * fs if labels[3] is not None else 0
        frame["unlabelled"] = (labelled < 0) & (samples >= start)
    frame.attrs = {
        "record": recording.name, "lead": recording.lead, "fs": fs, "samples": n,
        "source": source, "beats": len(peaks), "edge_dropped": int((~kept).sum()),
        "noise_detections": int(noise.sum()),
        "filled_samples": facts["bridged"], "gaps": facts["gaps"], "note": recording.note,
        "chunked": signal is None,
        "annotations": recording.annotations if ref_labels is not None else None,
        "episodes": {"marked": episodes.tolist(), "flutter_waves": waves,
                     "annotations": recording.episode_file} if len(episodes) else None,
        "vf_detected": vf.tolist() if vf is not None else None,
        "averaging": averaging if detecting else None,
    }
    if detecting and recording.episode_file:  # an annotation file: its episodes (or none)
        frame.attrs["vf_detection"] = detection_counts(vf, episodes)
    if labels is not None:
        frame.attrs["adapted"] = {
            "annotations": labels[2], "labelled": int(used.sum()), "unpaired": int((~used).sum()),
            "classes": dict(zip(CLASSES, np.bincount(labels[1][used], minlength=len(CLASSES))
                                .tolist(), strict=True)),
            "score_from_s": 60.0 * labels[3] if labels[3] is not None else 0.0,
            "config": labels[4]}
    if matched is not None:
        frame.attrs["detection"] = detection_facts(peaks, matched, ref_samples, ref_labels,
                                                   episodes)
    return frame


def detection_facts(peaks, matched, ref_samples, ref_labels, episodes):
    """The detector's Se and +P (`matched`: pair_beats of `peaks`) and the reference beats
    no detected beat paired with (`missed`, per class: EC57's Vo, So...), all counted outside
    the marked VF episodes, where bxb counts neither reference nor detected beats."""
    ref_outside = ~inside(ref_samples, episodes)
    hits = np.asarray(matched)[~inside(peaks, episodes)]
    found = hits[hits >= 0]
    found = found[ref_outside[found]]
    unpaired = ref_outside.copy()
    unpaired[matched[matched >= 0]] = False
    missed = np.bincount(ref_labels[unpaired], minlength=len(CLASSES))
    reference, detected = int(ref_outside.sum()), len(hits)
    return {"reference_beats": reference, "detected": detected, "matched": len(found),
            "se": len(found) / max(reference, 1), "ppv": len(found) / max(detected, 1),
            "missed": dict(zip(CLASSES, missed.tolist(), strict=True))}


def scorable(frame, with_reference=True):
    """Boolean Series: the beats (with a reference class) that count in the scores: outside
    marked VF episodes and, after an adaptation, neither labelled nor in the learning period
    (`unlabelled`)."""
    keep = ~flagged(frame)
    if with_reference:
        keep &= frame["reference"].notna() if "reference" in frame else False
    if "unlabelled" in frame:
        keep &= frame["unlabelled"].fillna(True).astype(bool)
    return keep


def summary(frame):
    """A few lines for people: beats per predicted class and, with a reference, the scores."""
    from .extract import MAX_GAP_S
    from .metrics import evaluation

    a = frame.attrs
    minutes, seconds = divmod(a["samples"] / a["fs"], 60)
    lines = [f"{a['record']}: lead {a['lead']}, {a['fs']:g} Hz, {int(minutes)}:{seconds:04.1f} "
             f"min; {a['beats']} beats {a['source']}"]
    if a.get("note"):
        lines.append(f"  note: {a['note']}")
    if a["edge_dropped"]:
        n = a["edge_dropped"]
        lines.append(f"  {n} beat{'s' if n > 1 else ''} too close to the record's start or end "
                     "or to a gap to classify (window outside the valid signal)")
    if a["filled_samples"]:
        lines.append(f"  {a['filled_samples']} invalid samples bridged (gaps up to "
                     f"{MAX_GAP_S:g} s)")
    if a.get("gaps"):
        lines.append(f"  {a['gaps']} longer gap(s) split the record: no beat or RR interval "
                     "across them")
    if a.get("noise_detections"):
        lines.append(f"  {a['noise_detections']} detection(s) called Q (noise, not beats): the "
                     "other beats classified again without them")
    counts = frame["predicted"].value_counts()
    lines.append("predicted: " + ", ".join(f"{c} {int(counts.get(c, 0))}" for c in CLASSES)
                 + f" ({len(frame)} beats)")
    if "detection" in a:
        d = a["detection"]
        lines.append(f"detection vs {a['annotations']}: Se {d['se']:.2%}, +P {d['ppv']:.2%} of "
                     f"{d['reference_beats']} reference beats "
                     f"(tolerance {MATCH_TOLERANCE_S * 1000:.0f} ms)")
    if a.get("episodes"):
        e = a["episodes"]
        lines.append("  " + describe(np.asarray(e["marked"]), e["flutter_waves"], a["fs"],
                                     int(flagged(frame).sum()), e["annotations"]))
    if a.get("vf_detected"):
        lines.append("  " + describe_detected(np.asarray(a["vf_detected"]), a["fs"],
                                              int(frame["vf_detected"].sum())))
    if a.get("adapted"):
        d = a["adapted"]
        lines.append(f"adapted to {d['labelled']} labelled beats ({d['annotations']}: "
                     + ", ".join(f"{c} {n}" for c, n in d["classes"].items() if n)
                     + (f"; {d['unpaired']} matched no classified beat" if d["unpaired"] else "")
                     + "); scores below leave them out"
                     + (f", and every beat before {d['score_from_s']:g} s" if d["score_from_s"]
                        else ""))
    if "reference" in frame:
        scored = frame[scorable(frame)]
        if len(scored):
            y = scored["reference"].map(CLASSES.index).to_numpy()
            # The predicted column, not the argmax: a beat the quality gate called Q is a Q call.
            scores, _ = evaluation(y, scored[list(PROB_COLUMNS)].to_numpy(),
                                   scored["predicted"].map(CLASSES.index).to_numpy())
            lines.append(f"accuracy {scores['accuracy']:.2%} over {len(scored)} beats with a "
                         f"reference class ({a['annotations']})")
            lines.append(f"  {'class':<6}{'ref':>7}{'pred':>7}{'Se':>9}{'+P':>9}")
            for c in CLASSES:
                s = scores["classes"][c]
                n_pred = int((scored["predicted"] == c).sum())
                se = f"{s['se']:.2%}" if s["support"] else "-"
                ppv = f"{s['ppv']:.2%}" if n_pred else "-"
                lines.append(f"  {c:<6}{s['support']:>7}{n_pred:>7}{se:>9}{ppv:>9}")
    return "\n".join(lines)


def default_start(frame, seconds):
    """A stretch worth looking at: around the first beat not predicted N, else the start."""
    odd = frame.loc[frame["predicted"] != "N", "time_s"]
    return max(0.0, float(odd.iloc[0]) - seconds / 3) if len(odd) else 0.0


def shade_episodes(ax, attrs, lo, hi):
    """The VF episodes between samples lo and hi, shaded: annotated ones, and those
    vf_detection found (hatched)."""
    kinds = (("annotated", (attrs.get("episodes") or {}).get("marked", []), {"alpha": 0.15}),
             ("detected", attrs.get("vf_detected") or [],
              {"alpha": 0.5, "hatch": "//", "fill": False}))
    for kind, episodes, style in kinds:
        shown = [(a, b) for a, b in episodes if a < hi and b >= lo]
        for i, (a, b) in enumerate(shown):
            ax.axvspan(max(a, lo) / attrs["fs"], min(b, hi) / attrs["fs"], color="tab:orange",
                       label=None if i else f"VF episode ({kind})", **style)


def plot_stretch(recording, frame, start_s=None, seconds=10.0):
    """Figure of `seconds` of the classified lead (a `readers.Recording`), beats marked in
    the colour of their class."""
    import matplotlib.pyplot as plt

    from .plots import COLORS

    if seconds <= 0:
        raise EcgError(f"plot length {seconds} s must be positive")
    a = frame.attrs
    fs, n = a["fs"], a["samples"]
    start_s = default_start(frame, seconds) if start_s is None else float(start_s)
    if not 0 <= start_s < n / fs:
        raise EcgError(f"plot start {start_s} s is outside the record (0 to {n / fs:.1f} s)")
    lo, hi = int(start_s * fs), min(n, int((start_s + seconds) * fs))
    part = recording.part(lo, hi)  # NaN: a gap, drawn as one; a long record reads only this
    t = np.arange(lo, hi) / fs
    fig, ax = plt.subplots(figsize=(14, 3.5))
    ax.plot(t, part, color="black", lw=0.7)
    shade_episodes(ax, a, lo, hi)
    beats = frame[(frame["sample"] >= lo) & (frame["sample"] < hi)]
    for c in CLASSES:
        mine = beats[beats["predicted"] == c]
        if len(mine):
            s = mine["sample"].to_numpy()
            ax.scatter(s / fs, part[s - lo], color=COLORS[c], s=40, zorder=3,
                       label=f"{c} ({len(mine)})")
            refs = mine["reference"] if "reference" in mine else pd.Series(c, mine.index)
            for i, ref in zip(s, refs.fillna("?"), strict=True):
                # A beat whose reference class differs shows both: "V (ref N)".
                text = c if ref == c else f"{c} (ref {ref})"
                ax.annotate(text, (i / fs, part[i - lo]), xytext=(0, 6), textcoords="offset points",
                            ha="center", fontsize=8, color=COLORS[c])
    ax.set_xlim(lo / fs, hi / fs)
    ax.margins(y=0.15)  # room for the labels above the peaks
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{a['lead']} (physical units)")
    ax.set_title(f"record {a['record']}: beats {a['source']}, coloured by predicted class"
                 + (f" (reference {a['annotations']})" if "reference" in frame else ""))
    if len(beats):
        ax.legend(loc="upper right", fontsize=8, ncol=len(CLASSES))
    return fig
