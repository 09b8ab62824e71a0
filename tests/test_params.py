"""The params.yaml schema: every field's bad value is one clear line, nothing else changes.

The list of fields comes from the schema itself, so a new parameter is tested as soon as it
is added to src/ecgcnn/params.py.
"""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Literal, get_args, get_origin

import annotated_types
import pytest
import yaml
from pydantic import BaseModel

from ecgcnn.io import EcgError
from ecgcnn.params import Params, dotted, load_params, merged, validate

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
FIRST_MODEL = next(iter(PARAMS["models"]))


def first_key(path):
    node = PARAMS
    for part in path:
        node = node[part]
    return next(iter(node))


def leaves(schema=Params, prefix=()):
    """(path, field) of every parameter; of a mapping (models, databases...) or a list
    (cv.conditions), then its first entry's."""
    for name, field in schema.model_fields.items():
        path, ann = (*prefix, name), field.annotation
        args = get_args(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from leaves(ann, path)
        elif get_origin(ann) is dict and isinstance(args[-1], type) \
                and issubclass(args[-1], BaseModel):
            yield path, field
            yield from leaves(args[-1], (*path, first_key(path)))
        elif get_origin(ann) is list and isinstance(args[0], type) \
                and issubclass(args[0], BaseModel):
            yield path, field
            yield from leaves(args[0], (*path, 0))
        else:
            yield path, field


# Values only a field's own rule rejects (its type is right).
RULE_BREAKERS = {
    "databases.mitdb.base_url": "ftp://physionet.org/",
    "databases.mitdb.lead": "",
    "databases.mitdb.records": [100, 100],
    "split.extra_train": ["nope"],
    "split.beats_from": [],
    "cross_database.inter_patient_on_svdb.database": "mitdb",
    "extract.annotations": "a/b",
    "extract.baseline_windows_s": [0.2, 0.0],
    "split.val_records": [100],  # a DS2 record
    "model.shape_channels": [0, 2],
    "cv.folds": [["101"], ["106"]],
    "databases": {},
    "cv.seeds": [0, 0],
    "cv.conditions": [],
    "models": {},
    "noise_stress.fold": 0,  # holds 101..., not 118 and 119
    "noise_stress.database": "nope",
    "quality.start_s": -0.5,  # before the beat window (extract.window_before_s 0.25)
    "quality.stop_s": -0.3,  # before quality.start_s
}


PAST_BOUND = {annotated_types.Gt: ("gt", 0), annotated_types.Ge: ("ge", -1),
              annotated_types.Lt: ("lt", 0), annotated_types.Le: ("le", 1)}


def bad_values(path, field):
    """A value of the wrong type, then one past each bound, and a choice not on the list."""
    ann = field.annotation
    takes_text = ann is str or str in get_args(ann) or get_origin(ann) is Literal
    out = [123 if takes_text else "abc"]
    for bound in field.metadata:
        if type(bound) in PAST_BOUND:
            attr, step = PAST_BOUND[type(bound)]
            out.append(getattr(bound, attr) + step)
    if "Literal" in str(ann):
        out.append("nonsense")
    if dotted(path) in RULE_BREAKERS:
        out.append(RULE_BREAKERS[dotted(path)])
    return out


def with_value(path, value):
    params = copy.deepcopy(PARAMS)
    node = params
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return params


def error_of(params, devices=None):
    with pytest.raises(EcgError) as e:
        validate(params, devices)
    message = str(e.value)
    assert "\n" not in message
    return message


CASES = [(dotted(path), path, value) for path, field in leaves()
         for value in bad_values(path, field)]


def test_the_committed_params_pass_and_come_back_unchanged():
    assert load_params(ROOT / "params.yaml") == PARAMS  # checked, never converted
    for protocol in PARAMS["protocols"]:
        assert load_params(ROOT / "params.yaml", protocol) == merged(PARAMS, protocol)


def test_every_field_is_documented_and_tested():
    fields = dict(leaves())
    assert len(fields) > 50
    undocumented = [dotted(p) for p, f in fields.items() if not f.description]
    assert not undocumented
    assert set(RULE_BREAKERS) <= {dotted(p) for p in fields}


@pytest.mark.parametrize(("name", "path", "value"), CASES, ids=[f"{n}={v}" for n, _, v in CASES])
def test_a_bad_value_of_every_field_is_one_line_naming_it(name, path, value):
    message = error_of(with_value(path, value))
    assert re.match(rf"params {re.escape(name)}(\[\d+\])*=.+: .+", message), message


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("epochs", 0, "params train.epochs=0: must be >= 1"),
    ("batch_size", -5, "params train.batch_size=-5: must be >= 1"),
    ("lr", "abc", "params train.lr=abc: must be a number"),
    ("lr", "1e-3", "params train.lr=1e-3: must be a number (YAML reads 1e-3 as text"),
])
def test_the_values_of_the_issue(key, value, expected):
    assert error_of(with_value(("train", key), value)).startswith(expected)


@pytest.mark.parametrize(("path", "typo", "expected"), [
    ((), "trian", "params trian={"),
    (("train",), "epoch", "params train.epoch=1: unknown key epoch; did you mean epochs?"),
    (("train", "augment"), "gian", "params train.augment.gian=1: unknown key gian; did you "
                                   "mean gain?"),
    (("models", FIRST_MODEL), "sede", f"params models.{FIRST_MODEL}.sede=1: unknown key sede; "
                                      "did you mean seed?"),
    (("protocols",), "intra_pateint", "params protocols.intra_pateint=1: unknown key "
                                      "intra_pateint; did you mean intra_patient?"),
    (("protocols", "intra_patient"), "trian", "params protocols.intra_patient.trian=1: "
                                              "unknown key trian; did you mean train?"),
    (("protocols", "intra_patient", "train"), "lrr", "params protocols.intra_patient.train.lrr"
                                                     "=1: unknown key lrr; did you mean lr?"),
])
def test_unknown_keys_are_named_with_a_suggestion(path, typo, expected):
    params = copy.deepcopy(PARAMS)
    node = params
    for part in path:
        node = node[part]
    if path:
        node[typo] = 1
    else:
        params[typo] = params.pop("train")
    message = error_of(params)
    assert message.startswith(expected), message
    if not path:
        assert message.endswith("unknown group trian; did you mean train?")


def test_a_missing_parameter_is_named():
    params = copy.deepcopy(PARAMS)
    del params["train"]["lr"]
    assert error_of(params).startswith("params train.lr: missing")
    assert error_of(with_value(("protocols", "inter_patient"), {})).startswith(
        "params protocols.inter_patient.split: missing")


def test_rules_across_fields():
    assert error_of(with_value(("extract", "lowpass_hz"), 90.0)) == (
        "params extract.lowpass_hz=90.0: must be below the Nyquist frequency "
        "extract.target_fs / 2 = 90")
    assert error_of(PARAMS, devices=3) == (
        "params train.batch_size=256: must be a multiple of the 3 devices")
    validate(PARAMS, devices=2)
    only_inter = {k: m for k, m in PARAMS["models"].items() if m["protocol"] == "inter_patient"}
    assert "no model of protocol intra_patient" in error_of(with_value(("models",), only_inter))
    twin = {**PARAMS["models"], "again": PARAMS["models"][FIRST_MODEL]}
    assert error_of(with_value(("models",), twin)).startswith("params models.again=")


def test_a_protocol_override_is_checked_after_merging_and_named():
    params = with_value(("protocols", "intra_patient", "train"), {"epochs": 0})
    assert error_of(params) == "params protocols.intra_patient.train.epochs=0: must be >= 1"
    params = with_value(("protocols", "inter_patient", "train"), {"batch_size": 100})
    assert error_of(params, devices=8) == (
        "params protocols.inter_patient.train.batch_size=100: must be a multiple of the 8 "
        "devices")
    params = with_value(("protocols", "intra_patient", "extract"), {"lowpass_hz": 20})
    assert error_of(params).endswith(
        "extract cannot differ between protocols (its stage runs once for both); a protocol "
        "may override split, resample, model, train, evaluate, cv")


def test_folds_must_partition_each_protocols_own_training_records():
    svdb_folds = PARAMS["protocols"]["inter_patient_svdb"]["cv"]["folds"]
    # inter_patient_svdb with DS1's folds: the SVDB records are missing
    params = with_value(("protocols", "inter_patient_svdb", "cv"), {})
    assert "params cv.folds=" in error_of(params) and "missing: ['803'" in error_of(params)
    # its own folds with a DS2 record added
    bad = [[*svdb_folds[0], 100], *svdb_folds[1:]]
    message = error_of(with_value(("protocols", "inter_patient_svdb", "cv"), {"folds": bad}))
    assert message.startswith("params protocols.inter_patient_svdb.cv.folds=")
    assert "100: not training record(s) of the protocol (DS2 must never" in message


def test_a_database_that_trains_or_holds_ds2_cannot_be_scored_across_databases():
    pair = {"protocol": "inter_patient_svdb", "database": "svdb"}
    message = error_of(with_value(("cross_database",), {"x": pair}))
    assert message.startswith("params cross_database.x.database=svdb: ")
    assert "inter_patient_svdb trains or tests on svdb" in message
    pair = {"protocol": "inter_patient", "database": "mitdb"}
    assert error_of(with_value(("cross_database",), {"x": pair})) == (
        "params cross_database.x.database=mitdb: must list its records (params "
        "databases.<name>.records): none may be a DS1 or DS2 record")
    params = with_value(("databases", "mitdb", "records"), ["100", "101"])
    params["cross_database"]["x"] = pair
    assert "inter_patient trains or tests on mitdb" in error_of(params)


def test_extra_train_never_adds_ds2():
    params = with_value(("databases", "svdb", "records"), ["803", "100"])
    assert error_of(params) == ('params protocols.inter_patient_svdb.split.extra_train=["svdb"]: '
                                "would train on DS2 records")


def test_unreadable_files_are_one_line(tmp_path):
    path = tmp_path / "params.yaml"
    with pytest.raises(EcgError, match="params.yaml: cannot read"):
        load_params(path)
    path.write_text("train: [1, 2\n")
    with pytest.raises(EcgError, match=r"params.yaml: not valid YAML at line \d"):
        load_params(path)
    path.write_text("- 1\n")
    with pytest.raises(EcgError, match="must be a mapping of parameter groups"):
        load_params(path)


@pytest.mark.parametrize(("key", "value"), [("epochs", 0), ("batch_size", -5), ("lr", "abc")])
def test_a_stage_stops_with_one_error_line_and_writes_nothing(tmp_path, key, value):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(with_value(("train", key), value)))
    # JAX_PLATFORMS: no "GPU present but no CUDA jaxlib" warning on machines with a GPU.
    result = subprocess.run([sys.executable, str(ROOT / "stages" / "train.py"), "inter_patient",
                             "0"], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "JAX_PLATFORMS": "cpu"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: params train.{key}={value}: must be "
                                          + ("a number" if key == "lr" else ">= 1")]
    assert [p.name for p in tmp_path.iterdir()] == ["params.yaml"]


def test_a_database_kept_out_of_the_beats_dataset_neither_trains_nor_is_scored():
    params = with_value(("databases", "svdb", "extract"), False)
    assert error_of(params) == (
        'params protocols.inter_patient_svdb.split.extra_train=["svdb"]: svdb not in the beats '
        "dataset (params databases.<name>.extract: false)")
    pair = {"protocol": "inter_patient", "database": "nstdb"}
    assert error_of(with_value(("cross_database",), {"x": pair})) == (
        "params cross_database.x.database=nstdb: not in the beats dataset (params "
        "databases.<name>.extract: false)")


def test_the_noise_stress_fold_must_hold_118_and_119():
    assert error_of(with_value(("noise_stress", "fold"), 2)) == (
        "params noise_stress.fold=2: must be the fold of protocols.inter_patient_svdb.cv.folds "
        "holding both 118 and 119 (fold 3 does)")
    params = with_value(("noise_stress", "protocol"), "inter_patient")
    assert error_of(params) == (  # DS1's folds: 118 in one, 119 in another
        "params noise_stress.fold=3: must be the fold of cv.folds holding both 118 and 119 "
        "(no fold does: put both in one)")
    assert error_of(with_value(("noise_stress", "protocol"), "intra_patient")) == (
        "params noise_stress.protocol=intra_patient: its split.method is not records: its "
        "models saw every patient")
