"""params.yaml: its schema, the one place every parameter is documented, checked on load.

`load_params` validates the whole file (and each protocol's groups after merging its
`protocols.<name>` overrides) before a stage does any work. A bad value stops the stage with
one line, `params <group>.<key>=<value>: <why>` (an EcgError, which the stages print as
`error: ...`). The schema only checks: stages get the file's own values, unchanged, so what
they compute never depends on how pydantic would convert them.

Types are strict (no "abc" -> number, no true -> 1, no 1e-3 read by YAML as text), unknown
keys are errors with a suggestion, and rules that tie several fields together are in
`check_rules`.
"""

import difflib
import json
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .io import EcgError
from .protocols import DS1, DS2, NOISE_STRESS_PATIENTS, PROTOCOLS


class Group(BaseModel):
    # strict: YAML's own types only; frozen: the schema checks, it never edits.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


def record_name(value):
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a record name, like 101")
    return value


Record = Annotated[Any, AfterValidator(record_name)]


def ds1_only(records):
    outside = sorted({str(r) for r in records} - set(DS1))
    if outside:
        raise ValueError(f"{', '.join(outside)}: not DS1 record(s); validation comes from the "
                         "training side" + (" (DS2 is the test set)" if set(outside) & set(DS2)
                                            else ""))
    return records


def partition_problem(folds, pool):
    """Why `folds` do not partition the record names `pool`, or None."""
    flat = [str(r) for fold in folds for r in fold]
    outside = sorted(set(flat) - set(pool))
    repeated = sorted({r for r in flat if flat.count(r) > 1})
    missing = sorted(set(pool) - set(flat))
    if outside:
        return (f"{', '.join(outside)}: not training record(s) of the protocol"
                + (" (DS2 must never be seen before evaluation)" if set(outside) & set(DS2)
                   else ""))
    if repeated or missing:
        return (f"must list every training record once (repeated: {repeated}, missing: "
                f"{missing})")
    return None


def distinct(values):
    if len(set(values)) != len(values):
        raise ValueError("values must be distinct")
    return values


def input_channels(channels):
    if any(c not in (0, 1) for c in channels):
        raise ValueError("each must be 0 (the beat) or 1 (beat minus the record's median beat)")
    return distinct(channels)


def low_high(pair):
    if pair[0] > pair[1]:
        raise ValueError("must be [low, high] with low <= high")
    return pair


def training_noise(sources):
    if "em" in sources:
        raise ValueError("em is the noise the stress test adds: train on bw and ma only")
    return distinct(sources)


def http_url(url):
    if not url.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return url


class Database(Group):
    base_url: Annotated[str, AfterValidator(http_url)] = Field(
        description="Where PhysioNet serves the database (unused with a local mirror, "
                    "$ECGCNN_MIRROR/<name> or $<NAME>_MIRROR). Every file is checked against "
                    "the SHA-256 sums pinned in the package.")
    lead: str | None = Field(
        min_length=1, description="Signal name to use; null: MLII or a lead II where the "
                                  "record has it, else its first lead.")
    records: Annotated[list[Record], AfterValidator(distinct)] | None = Field(
        min_length=1, description="Records to fetch and extract; null: every pinned record.")
    extract: bool = Field(
        description="Its beats join the beats dataset (data/beats/beats.npz) every protocol "
                    "draws on; false: downloaded only, read by a stage of its own (nstdb: "
                    "noise_stress).")


DatabaseName = Annotated[str, Field(pattern=r"^[a-z0-9]+$")]


class Extract(Group):
    annotations: str = Field(
        pattern=r"^[A-Za-z0-9_]+$", description="Extension of the annotation files "
                                                "giving beat positions and classes (atr).")
    target_fs: float = Field(gt=0, description="Hz; beats are resampled to this rate.")
    baseline_windows_s: list[Annotated[float, Field(gt=0)]] = Field(
        min_length=1, description="Seconds; chained median filters whose output is the "
                                  "baseline removed (200 ms removes QRS/P, 600 ms T waves).")
    lowpass_hz: float = Field(gt=0, description="Zero-phase Butterworth low-pass cut-off, Hz; "
                                                "below target_fs / 2.")
    lowpass_order: int = Field(ge=1, le=10, description="Order of that low-pass filter.")
    window_before_s: float = Field(ge=0, description="Seconds of signal before the R peak in "
                                                     "a beat window (covers the P wave).")
    window_after_s: float = Field(gt=0, description="Seconds after the R peak (covers the T "
                                                    "wave).")
    rr_local_beats: int = Field(ge=1, description="Beats in the rolling RR mean the RR ratios "
                                                  "are relative to.")
    rr_context_beats: int = Field(ge=1, description="Beats in the rolling median RR: the "
                                                    "patient's usual rate (~4 min at 301).")
    rr_neighbours: int = Field(ge=0, le=10, description="Beats on each side whose RR features "
                                                        "the rhythm path also reads (0: none).")
    rr_context_stat: Literal["median", "mean"] = Field(
        description="The rolling statistic of the context RR: median (robust to pauses) or "
                    "mean (the literature's means over minutes).")
    rr_irregularity_beats: int = Field(ge=1, description="Beats in the rolling median of the "
                                                         "beat-to-beat RR change (AF vs sinus).")
    template_beats: int | None = Field(ge=2, description="Beats around each beat whose median "
                                       "R amplitude scales it and whose median beat is its "
                                       "template (channel 1); null: the whole record's.")
    upright: bool = Field(description="Turn over beats whose template's R peak is negative "
                                      "(an inverted lead), label-free.")


class Split(Group):
    method: Literal["records", "beats"] = Field(
        description="records: whole patients on each side (DS1 and extra_train train, DS2 "
                    "tests); beats: random beats of the beats_from databases.")
    extra_train: Annotated[list[DatabaseName], AfterValidator(distinct)] = Field(
        description="records method: databases whose every record also trains (never one "
                    "holding DS2).")
    beats_from: Annotated[list[DatabaseName], AfterValidator(distinct)] = Field(
        min_length=1, description="beats method: databases whose beats are split at random.")
    val_records: Annotated[list[Record], AfterValidator(ds1_only)] = Field(
        description="inter_patient: DS1 records held out for early stopping ([]: none, the "
                    "epoch count is chosen on cv instead).")
    test_fraction: float = Field(gt=0, lt=1, description="intra_patient: fraction of all "
                                                         "beats in the test set (stratified).")
    val_fraction: float = Field(gt=0, lt=1, description="intra_patient: fraction of the "
                                                        "remaining beats used for validation.")
    seed: int = Field(ge=0, description="intra_patient: random seed of the split.")
    noisy: bool = Field(description="records method: the noisy copies of the training records "
                                    "(params noisy, data/noisy/beats.npz) train too; never "
                                    "validate or test.")


class Resample(Group):
    strategy: Literal["none", "up", "down", "both"] = Field(
        description="Class balancing of the training side only: up-sample small classes, "
                    "down-sample large ones, both, or none.")
    target: int = Field(ge=1, description="Beats per class after resampling.")
    max_upsample: int = Field(ge=1, description="Cap on up-sampling: at most this many times "
                                                "a class's own size.")
    seed: int = Field(ge=0, description="Random seed of the resampling.")
    record_balance: float = Field(ge=0, le=1, description="Draws weighted by the beat's "
                                  "record's count of its class ** -record_balance: 0 every "
                                  "beat alike, 1 every record alike.")


class Model(Group):
    filters: int = Field(ge=1, description="Channels of every convolution of the shape path.")
    kernel_size: int = Field(ge=1, description="Convolution kernel length, samples.")
    blocks: int = Field(ge=1, description="Residual blocks, each halving the length.")
    dense: int = Field(ge=1, description="Units of the shape path's dense layer.")
    rr_hidden: int = Field(ge=1, description="Units of the RR path's hidden layer.")
    dropout: float = Field(ge=0, lt=1, description="Dropout rate after the dense layer.")
    rhythm_decides_s: bool = Field(description="N and S share one shape logit: only the RR "
                                               "path separates them.")
    shape_channels: Annotated[list[int], AfterValidator(input_channels)] = Field(
        min_length=1, description="Inputs of the shape path: 0 the beat, 1 beat minus the "
                                  "record's median beat.")


class Augment(Group):
    gain: float = Field(ge=0, lt=1, description="Per-beat gain x (1 +- gain); 0 = off.")
    noise: float = Field(ge=0, description="White noise standard deviation, relative to the "
                                           "record's R amplitude; 0 = off.")
    drift: float = Field(ge=0, description="Linear baseline drift, +- drift from start to end "
                                           "of the window; 0 = off.")
    recorded_noise: float = Field(
        ge=0, le=1, description="Fraction of training beats (drawn afresh every step) given a "
                                "stretch of recorded noise (recorded_noise.py); 0 = off.")
    recorded_noise_snr_db: Annotated[list[float], AfterValidator(low_high)] = Field(
        min_length=2, max_length=2, description="[low, high] dB: each noisy beat's SNR, "
                                                "uniform between them (nstdb's definition).")
    recorded_noise_sources: Annotated[list[Literal["bw", "ma", "em"]],
                                      AfterValidator(training_noise)] = Field(
        min_length=1, description="nstdb noise records to draw from: bw (baseline wander), ma "
                                  "(muscle artefact); never em, the noise the stress test adds.")


class Train(Group):
    lr: float = Field(gt=0, description="Peak learning rate of AdamW's warm-up cosine "
                                        "schedule.")
    weight_decay: float = Field(ge=0, description="AdamW weight decay.")
    batch_size: int = Field(ge=1, description="Beats per step; a multiple of the device count.")
    epochs: int = Field(ge=1, description="Epochs (inter_patient: all of them, chosen on cv; "
                                          "with validation beats: the most).")
    patience: int = Field(ge=1, description="With validation beats: epochs without a better "
                                            "validation macro-F1 before stopping.")
    shape_dropout: float = Field(ge=0, lt=1, description="Fraction of training beats whose "
                                                         "shape logits are dropped.")
    augment: Augment = Field(description="Per training beat, relative to the record's R "
                                         "amplitude.")


class Evaluate(Group):
    batch_size: int = Field(ge=1, description="Beats per prediction batch.")
    example_beats: int = Field(ge=1, description="Beats per class in the examples figure.")


class ModelEntry(Group):
    protocol: Literal[PROTOCOLS] = Field(description="The protocol the model is trained for.")
    seed: int = Field(ge=0, description="Training seed (weights, batch order, dropout).")


class Condition(Group):
    fs: float = Field(gt=0, description="Hz the held-out records are re-sampled to.")
    gain: float = Field(gt=0, description="Factor their amplitude is multiplied by.")


class CrossDatabase(Group):
    protocol: Literal[PROTOCOLS] = Field(description="Whose models score the database.")
    database: DatabaseName = Field(description="A database none of the protocol's records come "
                                               "from (params databases).")


class NoiseStress(Group):
    protocol: Literal[PROTOCOLS] = Field(
        description="Whose cross-validation fold models score the test: those of `fold`, "
                    "trained on the protocol's records minus that fold's.")
    fold: int = Field(ge=0, description="The fold of the protocol's cv.folds holding both "
                                        "noise stress patients (118, 119): its models never "
                                        "saw either. dvc.yaml depends on that fold's models "
                                        "only.")
    database: DatabaseName = Field(description="The database holding the noisy records "
                                               "(params databases; nstdb).")


# The BeatClassifier layers above the convolutional trunk, which adapt.py may fine-tune, and
# its per-record residual layer (zero in the general model).
HEAD_LAYERS = ("shape_dense", "shape_out", "rr_dense", "rr_out", "residual")


def head_parameter(name):
    layer, _, part = name.partition(".")
    if layer not in HEAD_LAYERS or part not in ("", "kernel", "bias"):
        raise ValueError(f"must be one of {', '.join(HEAD_LAYERS)}, or one's .kernel or .bias")
    return name


class Adapt(Group):
    parameters: Annotated[list[Annotated[str, AfterValidator(head_parameter)]],
                          AfterValidator(distinct)] = Field(
        min_length=1, description="What adapts to a record's labelled beats: layers above the "
                                  "trunk (shape_dense, shape_out, rr_dense, rr_out), or one's "
                                  ".kernel / .bias.")
    lr: float = Field(gt=0, description="Adam's learning rate.")
    steps: int = Field(ge=1, le=10000, description="Full-batch Adam steps on the labelled beats.")
    anchor: float = Field(ge=0, description="Weight of the L2 pull towards the general model's "
                                            "weights (0: none).")
    class_balance: float = Field(ge=0, le=1, description="Labelled beats weighted by their "
                                                         "class count ** -class_balance.")
    prior_beats: float = Field(ge=0, description="The labelled beats' loss weighs n / (n + "
                                                 "prior_beats) for n beats: the fewer, the "
                                                 "less they move the model (0: always 1).")
    reach: float = Field(ge=0, description="Adapted probabilities weigh exp(-d² / 2 reach²), d "
                                           "a beat's RR-feature distance to the nearest "
                                           "labelled beat; the general model's the rest (0: "
                                           "adapted everywhere).")
    draw: Literal["random", "spread"] = Field(
        description="How the adaptive protocol's k labelled beats are drawn from the learning "
                    "period: at random, or spread over the beats' features (the tool picks).")


class Adaptive(Group):
    protocol: Literal[PROTOCOLS] = Field(description="Whose models adapt: its default models to "
                                                     "its test records, its CV fold models to "
                                                     "their held-out records.")
    learning_minutes: float = Field(gt=0, description="The learning period (EC57: 5 minutes): "
                                                      "labelled beats come from it; only the "
                                                      "beats after it are scored.")
    k: Annotated[list[Annotated[int, Field(ge=1)]], AfterValidator(distinct)] = Field(
        min_length=1, description="Numbers of labelled beats drawn from the learning period.")
    draws: int = Field(ge=1, description="Draws of each k per record and model.")
    seed: int = Field(ge=0, description="Seed of the draws (with the record's name and the "
                                        "draw's number).")

class Noisy(Group):
    sources: Annotated[list[Literal["bw", "ma", "em"]], AfterValidator(distinct)] = Field(
        min_length=1, description="nstdb noise records added to the copies (noisy.py): bw, ma "
                                  "whole, em only in the stretches no noisy nstdb record adds.")
    snr_db: Annotated[list[float], AfterValidator(distinct)] = Field(
        min_length=1, description="SNRs in dB as nst defines them, one per noisy stretch, "
                                  "cycled in a random order.")
    stretch_s: float = Field(gt=0, description="Seconds of noise, then as many clean (nstdb: "
                                               "120).")
    copies: int = Field(ge=1, le=4, description="Noisy copies per record; odd copies start "
                                                "with a clean stretch, so two cover it all.")
    seed: int = Field(ge=0, description="Seed of the noise (with each record's name).")
    rr_intact: bool = Field(description="Keep a copy's N and S beats only where no extra or "
                                        "missed detection broke their RR features.")
    records: list[Record] | None = Field(
        min_length=1, description="Training records copied; null: every training record of "
                                  "the extracted databases (never DS2).")


class NoiseCV(Group):
    protocol: Literal[PROTOCOLS] = Field(description="Whose CV fold models score their held-out "
                                                     "records in noise.")
    databases: Annotated[list[DatabaseName], AfterValidator(distinct)] = Field(
        min_length=1, description="The held-out records scored: those of these databases.")
    sources: Annotated[list[Literal["bw", "ma", "em_cv"]], AfterValidator(distinct)] = Field(
        min_length=1, description="nstdb noise added (noisy.py): em_cv is em's first 5 minutes, "
                                  "which neither the stress test nor training reads.")
    snr_db: Annotated[list[float], AfterValidator(distinct)] = Field(
        min_length=1, description="SNRs in dB (nst's), one condition each, besides clean.")
    records: list[Record] | None = Field(
        min_length=1, description="Only these held-out records; null: all of the databases.")


class Averaging(Group):
    neighbours: int = Field(ge=0, le=500, description="Beats on each side a detected beat may be "
                                                      "averaged with (beat_averaging.py); 0: "
                                                      "off.")
    strength: float = Field(gt=0, description="How unlike a neighbour may be and still count, "
                                              "in units of the local noise power.")
    span_s: list[float] = Field(min_length=2, max_length=2,
                                description="[start, end]: seconds from the R peak (negative: "
                                            "before it) where beats are compared, the QRS "
                                            "complex.")
    vote_strength: float = Field(ge=0, description="How unlike a neighbour may be and still "
                                                   "share its V call (beat_averaging.voted), "
                                                   "in units of the local noise power; 0: no "
                                                   "vote.")


class Quality(Group):
    threshold: float = Field(ge=0, lt=1, description="Beats whose quality index (quality.py, "
                             "in (0, 1]) is below this are called Q (unclassifiable); 0: off, "
                             "predict's output unchanged.")
    start_s: float = Field(description="Seconds from the R peak (negative: before it) where "
                                       "the stretch whose roughness is measured starts.")
    stop_s: float = Field(description="Seconds from the R peak where it stops (after start_s, "
                                      "inside the beat window).")
    qrs_half_s: float = Field(gt=0, le=0.2, description="Seconds on each side of the R peak "
                                                        "whose peak-to-peak is the QRS "
                                                        "prominence.")


class CV(Group):
    folds: list[list[Record]] = Field(
        min_length=2, description="Whole training records per fold, every training record of "
                                  "the protocol once (made by ecgcnn.cv.suggest_folds). "
                                  "dvc.yaml's cv matrix lists one entry per fold.")
    seeds: Annotated[list[Annotated[int, Field(ge=0)]], AfterValidator(distinct)] = Field(
        min_length=1, description="Training seeds of every fold's model.")
    conditions: list[Condition] = Field(
        min_length=1, description="Cross-condition check: recording conditions each fold's "
                                  "held-out records are re-recorded under.")


class Overrides(Group):
    """One protocol's changes to the shared groups, merged one level deep (an override of
    train.augment replaces all of augment). The merged groups must pass the schema too.

    Each protocol lists every group, `{}` when it changes nothing: dvc.yaml declares
    `protocols.<name>.<group>` per stage, so a change to one protocol's training params does
    not rerun its split.
    """

    split: dict[str, Any] = Field(description="Overrides of split.")
    resample: dict[str, Any] = Field(description="Overrides of resample.")
    model: dict[str, Any] = Field(description="Overrides of model.")
    train: dict[str, Any] = Field(description="Overrides of train.")
    evaluate: dict[str, Any] = Field(description="Overrides of evaluate.")
    cv: dict[str, Any] = Field(description="Overrides of cv (a protocol's own folds).")


class Protocols(Group):
    inter_patient: Overrides = Field(description="Unseen patients: train on DS1, test on DS2.")
    intra_patient: Overrides = Field(description="Random 80/20 split of all beats.")
    inter_patient_svdb: Overrides = Field(description="Unseen patients: train on DS1 and the "
                                                      "SVDB training records, test on DS2.")


class Params(Group):
    databases: dict[DatabaseName, Database] = Field(
        min_length=1, description="PhysioNet databases: name -> where, which lead, which "
                                  "records.")
    extract: Extract
    split: Split
    resample: Resample
    model: Model
    train: Train
    evaluate: Evaluate
    models: dict[str, ModelEntry] = Field(
        min_length=1, description="Every model trained: name -> protocol and seed. The first "
                                  "of a protocol is its default (eval.json, figures, predict).")
    cross_database: dict[str, CrossDatabase] = Field(
        description="Name -> a protocol and a database its models score across databases "
                    "({}: none).")
    cv: CV
    noise_stress: NoiseStress = Field(description="The EC57 noise stress test (nstdb's 12 noisy "
                                                  "records of 118 and 119).")
    adapt: Adapt = Field(description="Patient-adaptive classification: fine-tuning the heads on "
                                     "a record's labelled beats (adapt.py).")
    adaptive: Adaptive = Field(description="The patient-adaptive protocol (stages adaptive and "
                                           "adaptive_cv).")
    quality: Quality = Field(description="The signal-quality gate of predict, saved into every "
                                         "model's config.json.")
    noisy: Noisy = Field(description="Noisy copies of the training records, detected beats "
                                     "(stage noisy).")
    noise_cv: NoiseCV = Field(description="The noise stress test on the cross-validation "
                                          "(stage noise_cv).")
    averaging: Averaging = Field(description="Detected beats averaged with their look-alikes "
                                             "(beat_averaging.py).")
    protocols: Protocols


GROUP_MODELS = {name: field.annotation for name, field in Params.model_fields.items()}
PROTOCOL_GROUPS = tuple(Overrides.model_fields)  # the groups a protocol may override


def check_rules(params, devices=None):
    """Rules across fields: yields (path, value, why)."""
    extract = params["extract"]
    if extract["lowpass_hz"] >= extract["target_fs"] / 2:
        yield ("extract", "lowpass_hz"), extract["lowpass_hz"], (
            f"must be below the Nyquist frequency extract.target_fs / 2 = "
            f"{extract['target_fs'] / 2:g}")
    yield from quality_rules(params["quality"], extract)
    yield from averaging_rules(params["averaging"]["span_s"], extract)
    batch = params["train"]["batch_size"]
    if devices and batch % devices:
        yield ("train", "batch_size"), batch, f"must be a multiple of the {devices} devices"
    models = params["models"]
    for protocol in PROTOCOLS:
        if not any(m["protocol"] == protocol for m in models.values()):
            yield ("models",), f"{{{', '.join(models)}}}", (
                f"no model of protocol {protocol} (dvc.yaml evaluates every protocol)")
    seen = {}
    for name, m in models.items():
        key = (m["protocol"], m["seed"])
        if key in seen:
            yield ("models", name), m, (f"same protocol and seed as {seen[key]}: both would "
                                        f"write models/{key[0]}/seed{key[1]}")
        seen[key] = name
    yield from database_rules(params)


def records_of(params, database):
    """Record names a database lists in params, or None (null: every pinned record, which
    the schema does not read: the download stage checks them against the pins)."""
    records = params["databases"][database]["records"]
    return None if records is None else [str(r) for r in records]


def database_rules(params):
    """Splits, folds and cross-database pairs name configured databases, and never let a
    DS2 record or a training record onto the wrong side. Yields (path, value, why)."""
    databases = params["databases"]
    split = params["split"]
    for key in ("extra_train", "beats_from"):
        unknown = [d for d in split[key] if d not in databases]
        if unknown:
            yield ("split", key), split[key], f"{', '.join(unknown)} not in params databases"
            return
        unextracted = [d for d in split[key] if not databases[d]["extract"]]
        if unextracted:
            yield ("split", key), split[key], (
                f"{', '.join(unextracted)} not in the beats dataset (params "
                "databases.<name>.extract: false)")
            return
    unlisted = [d for d in split["extra_train"] if records_of(params, d) is None]
    if unlisted:
        yield ("split", "extra_train"), split["extra_train"], (
            f"{', '.join(unlisted)} must list its records (params databases.<name>.records) "
            "to train on them")
        return
    extra = [r for d in split["extra_train"] for r in records_of(params, d)]
    if set(extra) & set(DS2):
        yield ("split", "extra_train"), split["extra_train"], "would train on DS2 records"
        return
    if split["method"] == "records":
        problem = partition_problem(params["cv"]["folds"], [*DS1, *extra])
        if problem:
            yield ("cv", "folds"), params["cv"]["folds"], problem


def cross_database_rules(params):
    """A cross-database pair scores a database its protocol never trained or tested on (the
    file's params, not one protocol's merge). Yields (path, value, why)."""
    databases = params["databases"]
    for i, pair in params["cross_database"].items():
        if pair["database"] not in databases:
            yield ("cross_database", i, "database"), pair["database"], "not in params databases"
            continue
        if not databases[pair["database"]]["extract"]:
            yield ("cross_database", i, "database"), pair["database"], (
                "not in the beats dataset (params databases.<name>.extract: false)")
            continue
        own = merged(params, pair["protocol"])["split"]["extra_train"]
        records = records_of(params, pair["database"])
        if records is None:
            yield ("cross_database", i, "database"), pair["database"], (
                "must list its records (params databases.<name>.records): none may be a "
                "DS1 or DS2 record")
            continue
        if pair["database"] in own or set(records) & {*DS1, *DS2}:
            yield ("cross_database", i, "database"), pair["database"], (
                f"{pair['protocol']} trains or tests on {pair['database']}: not another "
                "database")


def quality_rules(cfg, extract):
    """The quality gate's stretch runs forwards inside the beat window. Yields (path, value,
    why)."""
    if cfg["stop_s"] <= cfg["start_s"]:
        yield ("quality", "stop_s"), cfg["stop_s"], (
            f"must be after quality.start_s = {cfg['start_s']:g}")
    if cfg["start_s"] < -extract["window_before_s"]:
        yield ("quality", "start_s"), cfg["start_s"], (
            f"must be inside the beat window: at or after -extract.window_before_s = "
            f"{-extract['window_before_s']:g}")
    if cfg["qrs_half_s"] > min(extract["window_before_s"], extract["window_after_s"]):
        yield ("quality", "qrs_half_s"), cfg["qrs_half_s"], (
            "must be inside the beat window (at most extract.window_before_s and "
            "extract.window_after_s)")
    if cfg["stop_s"] > extract["window_after_s"]:
        yield ("quality", "stop_s"), cfg["stop_s"], (
            f"must be inside the beat window: at or before extract.window_after_s = "
            f"{extract['window_after_s']:g}")


def averaging_rules(span_s, extract):
    """The compared span runs forwards inside the beat window. Yields (path, value, why)."""
    start, stop = span_s
    if stop <= start:
        yield ("averaging", "span_s"), list(span_s), "its end must be after its start"
    if start < -extract["window_before_s"] or stop > extract["window_after_s"]:
        yield ("averaging", "span_s"), list(span_s), (
            f"must be inside the beat window: -extract.window_before_s = "
            f"{-extract['window_before_s']:g} to extract.window_after_s = "
            f"{extract['window_after_s']:g}")


def noisy_rules(params):
    """Noisy copies are of training records and train only a records split; the CV's noise
    test scores fold models on held-out records. Yields (path, value, why)."""
    records = params["noisy"]["records"]
    leaked = sorted({str(r) for r in records or ()} & set(DS2))
    if leaked:
        yield ("noisy", "records"), records, f"DS2 records {leaked}: never a training record"
    cv = params["noise_cv"]
    if merged(params, cv["protocol"])["split"]["method"] != "records":
        yield ("noise_cv", "protocol"), cv["protocol"], (
            "its split.method is not records: its models saw every patient")
    unknown = [d for d in cv["databases"] if d not in params["databases"]]
    if unknown:
        yield ("noise_cv", "databases"), cv["databases"], (
            f"{', '.join(unknown)} not in params databases")
    for protocol in PROTOCOLS:
        split = merged(params, protocol)["split"]
        if split["noisy"] and split["method"] != "records":
            yield (("protocols", protocol, "split", "noisy"), True,
                   "noisy copies are of whole training records: records method only")


def noise_stress_rules(params):
    """The noise stress test's database is configured and its fold's models never saw 118
    or 119 (an inter-patient protocol, a fold holding both). Yields (path, value, why)."""
    cfg = params["noise_stress"]
    if cfg["database"] not in params["databases"]:
        yield ("noise_stress", "database"), cfg["database"], "not in params databases"
        return
    protocol = merged(params, cfg["protocol"])
    if protocol["split"]["method"] != "records":
        yield ("noise_stress", "protocol"), cfg["protocol"], (
            "its split.method is not records: its models saw every patient")
        return
    folds = [[str(r) for r in fold] for fold in protocol["cv"]["folds"]]
    holding = [i for i, fold in enumerate(folds) if set(NOISE_STRESS_PATIENTS) <= set(fold)]
    if cfg["fold"] not in holding:
        own = "folds" in params["protocols"][cfg["protocol"]]["cv"]
        where = (f"fold {holding[0]} does" if holding else "no fold does: put both in one")
        yield ("noise_stress", "fold"), cfg["fold"], (
            f"must be the fold of {'protocols.' + cfg['protocol'] + '.' if own else ''}cv.folds "
            f"holding both {' and '.join(NOISE_STRESS_PATIENTS)} ({where})")


def adaptive_rules(params):
    """The adaptive protocol's models never saw its records. Yields (path, value, why)."""
    protocol = params["adaptive"]["protocol"]
    if merged(params, protocol)["split"]["method"] != "records":
        yield ("adaptive", "protocol"), protocol, (
            "its split.method is not records: its models saw every patient")


def merged(params, protocol):
    """params with protocols.<protocol> merged over the groups it overrides (one level)."""
    own = params.get("protocols", {}).get(protocol) or {}
    return {group: {**values, **own.get(group, {})} if isinstance(values, dict) else values
            for group, values in params.items()}


def show(value, limit=60):
    plain = isinstance(value, str) and value and value.strip() == value  # else quoted
    text = value if plain else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dotted(loc):
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
          "less_than_equal": "<="}
TYPES = {"int_type": "a whole number", "float_type": "a number", "bool_type": "true or false",
         "string_type": "text", "list_type": "a list", "dict_type": "a mapping (key: value)",
         "model_type": "a mapping (key: value)", "model_attributes_type": "a mapping",
         "finite_number": "a finite number", "none_required": "null"}


def known_keys(loc):
    """Keys allowed where `loc` points (its last part excluded), for suggestions."""
    schema, parts = Params, list(loc[:-1])
    if len(loc) > 3 and loc[0] == "protocols":  # inside an override: the group's own keys
        schema, parts = GROUP_MODELS.get(loc[2], Params), parts[3:]
    for part in parts:
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            field = schema.model_fields.get(part)
            schema = field.annotation if field else None
        elif get_origin(schema) in (dict, list):  # a models name or a list index
            schema = get_args(schema)[-1]
        else:
            return ()
    ok = isinstance(schema, type) and issubclass(schema, BaseModel)
    return tuple(schema.model_fields) if ok else ()


def why(error, loc):
    kind, ctx = error["type"], error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        if len(loc) == 3 and loc[0] == "protocols":
            return "missing: every protocol lists every group it may override ({} for none)"
        return "missing: every parameter must be set (all are in src/ecgcnn/params.py)"
    if kind == "extra_forbidden" and loc[0] == "protocols" and len(loc) == 3 \
            and loc[-1] in Params.model_fields:
        return (f"{loc[-1]} cannot differ between protocols (its stage runs once for both); "
                f"a protocol may override {', '.join(PROTOCOL_GROUPS)}")
    if kind == "extra_forbidden":
        keys = known_keys(loc)
        close = difflib.get_close_matches(str(loc[-1]), keys, n=1)
        what = "group" if len(loc) == 1 else "key"
        hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(keys)}"
        return f"unknown {what} {loc[-1]}; {hint}"
    if kind in BOUNDS:
        bound = next(iter(ctx.values()))
        return f"must be {BOUNDS[kind]} {bound:g}"
    if kind in TYPES:
        hint = ""
        if kind == "float_type" and isinstance(value, str):
            try:
                float(value)
                hint = f" (YAML reads {value} as text: write it with a dot, like 1.0e-3)"
            except ValueError:
                pass
        return f"must be {TYPES[kind]}{hint}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} item(s)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return "must be letters, digits or _ (a file extension)"
    if kind == "value_error":
        return str(ctx["error"])
    return error["msg"][0].lower() + error["msg"][1:]


def first_error(exc, prefix=()):
    # An unknown key first: a typo (`trian:`) also makes its group look missing.
    errors = exc.errors()
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(prefix) + tuple(error["loc"])
    value = "" if error["type"] == "missing" else f"={show(error.get('input'))}"
    return f"params {dotted(loc)}{value}: {why(error, loc)}"


def validate(params, devices=None):
    """Raise EcgError naming the first bad parameter of a params.yaml dict."""
    if not isinstance(params, dict):
        raise EcgError("params.yaml: must be a mapping of parameter groups")
    try:
        Params.model_validate(params)
    except ValidationError as e:
        raise EcgError(first_error(e)) from None
    for protocol in PROTOCOLS:
        own = params["protocols"][protocol]
        both = merged(params, protocol)
        for group in PROTOCOL_GROUPS:
            try:
                GROUP_MODELS[group].model_validate(both[group])
            except ValidationError as e:
                raise EcgError(first_error(e, ("protocols", protocol, group))) from None
        for loc, value, reason in check_rules(both, devices):
            where = (("protocols", protocol) if loc[0] in own and len(loc) > 1
                     and loc[1] in own[loc[0]] else ())
            raise EcgError(f"params {dotted(where + loc)}={show(value)}: {reason}")
    for loc, value, reason in (*cross_database_rules(params), *noise_stress_rules(params),
                                *adaptive_rules(params), *noisy_rules(params)):
        raise EcgError(f"params {dotted(loc)}={show(value)}: {reason}")


def stage_group(cfg, group, protocol):
    """params `group` (`cfg`) of a stage that dvc.yaml runs for params <group>.protocol,
    passed on its command line: one clear error when the two differ."""
    if protocol != cfg["protocol"]:
        raise EcgError(f"protocol {protocol}: params {group}.protocol is {cfg['protocol']} "
                       "(dvc.yaml passes it)")
    return cfg


def load_params(path="params.yaml", protocol=None, devices=None):
    """params.yaml as a dict, validated; for a protocol, with its overrides merged in.

    `devices`: the number of accelerators training will shard batches over (train and cv
    stages), so that a batch size they cannot split is reported before any work.
    """
    path = Path(path)
    try:
        params = yaml.safe_load(path.read_text())
    except OSError as e:
        raise EcgError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise EcgError(f"{path}: not valid YAML{where}") from None
    validate(params, devices)
    return params if protocol is None else merged(params, protocol)
