"""DVC stage: one fold of a protocol's patient-grouped cross-validation, every seed of cv.seeds.

Trains on the protocol's training records minus the fold's (resampled like its training set)
and scores the fold's patients after every epoch, per record, and under the cross-condition
check's recording conditions (robustness.py). The fold's models are kept (models/cv/): they
are the models that never saw these patients. DS2 is never loaded.
"""

import sys

import jax

from ecgcnn.checkpoint import model_config, save_model
from ecgcnn.cv import check_folds
from ecgcnn.cv_run import run_seed
from ecgcnn.dataset import BEATS_PATH, CONDITIONS_PATH, cv_models_dir, cv_path
from ecgcnn.io import EcgError, atomic_path, load_arrays, write_json
from ecgcnn.params import load_params
<<<<<<< HEAD
from ecgcnn.splits import training_records
=======
from ecgcnn.recorded_noise import training_noise
from ecgcnn.resample import resample_indices
from ecgcnn.robustness import condition_name
from ecgcnn.splits import training_records
from ecgcnn.train import fit, predict_probs


def run_seed(cfg, beats, recorded, folds, fold, seed):
    """Train one fold model and score its held-out records; returns (run dict, model, train).
    `cfg`: the protocol's groups resample, model, train and cv.conditions, its training mask
    and the recorded-noise bank (None: off)."""
    sets = fold_sets(beats["record"], folds, fold, cfg["training"])
    train = subset(beats, resample_indices(sets["train"], beats["label"], **cfg["resample"]))
    held_out = subset(beats, sets["test"])
    _, window, channels = train["x"].shape
    model = build_model(cfg["model"], window, channels, train["rr"].shape[1], seed=seed)

    by_epoch, predicted = [], {}
    def score(epoch, model):  # noqa: E306
        predicted["last"] = predict_probs(model, held_out["x"], held_out["rr"]).argmax(1)
        by_epoch.append(confusion(held_out["y"], predicted["last"]).tolist())

    summary = fit(model, train, None, {**cfg["train"], "seed": seed}, on_epoch=score,
                  noise=cfg["noise"])
    by_record, database_of = {}, {}  # the last epoch's, per patient: who carries the errors
    for record in folds[fold]:
        mine = held_out["record"] == record
        by_record[record] = confusion(held_out["y"][mine], predicted["last"][mine]).tolist()
        database_of[record] = str(beats["database"][sets["test"][mine][0]])
    by_condition = {}
    for i, condition in enumerate(cfg["conditions"]):
        mine = (recorded["condition"] == i) & np.isin(recorded["record"], folds[fold])
        pred = predict_probs(model, recorded["x"][mine], recorded["rr"][mine]).argmax(1)
        by_condition[condition_name(condition)] = confusion(recorded["label"][mine], pred).tolist()
    run = {"fold": fold, "seed": seed, "records": folds[fold],
           "confusion_by_epoch": by_epoch, "confusion_by_record": by_record,
           "database_of_record": database_of, "confusion_by_condition": by_condition,
           "train_seconds": summary["train_seconds"]}
    print(f"fold {fold} seed {seed}: held-out accuracy by epoch",
          [round(float(np.trace(cm) / np.sum(cm)), 4) for cm in by_epoch], flush=True)
    return run, model, train
>>>>>>> issue20


def main(protocol, fold):
    params = load_params(protocol=protocol, devices=jax.device_count())
    beats = load_arrays(BEATS_PATH)
    training = training_records(beats["record"], beats["database"], params["split"]["extra_train"])
    folds = check_folds(params["cv"]["folds"], beats["record"], beats["label"], training)
    if not 0 <= fold < len(folds):
        raise EcgError(f"fold {fold}: params protocols.{protocol}.cv.folds has {len(folds)} "
                       "folds")
    recorded = load_arrays(CONDITIONS_PATH)
    cfg = {"training": training, "resample": params["resample"], "model": params["model"],
           "train": params["train"], "conditions": params["cv"]["conditions"],
           "noise": training_noise(params["train"]["augment"], params["extract"])}
    runs = []
    with atomic_path(cv_models_dir(protocol, fold)) as models:
        for seed in params["cv"]["seeds"]:
            run, model, train = run_seed(cfg, beats, recorded, folds, fold, seed)
            config = model_config(params["model"], params["extract"], train, protocol, seed)
            save_model(models / f"seed{seed}", model, config)
            runs.append({"protocol": protocol, **run})
    write_json(cv_path(protocol, fold), runs)


if __name__ == "__main__":
    try:
        main(sys.argv[1], int(sys.argv[2]))
    except EcgError as e:
        sys.exit(f"error: {e}")
