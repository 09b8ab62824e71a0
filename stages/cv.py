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
from ecgcnn.dataset import CONDITIONS_PATH, cv_models_dir, cv_path, protocol_beats
from ecgcnn.io import EcgError, atomic_path, load_arrays, write_json
from ecgcnn.params import load_params
from ecgcnn.recorded_noise import training_noise
from ecgcnn.splits import training_records


def main(protocol, fold):
    params = load_params(protocol=protocol, devices=jax.device_count())
    beats = protocol_beats(params["split"]["noisy"])
    training = training_records(beats["record"], beats["database"], params["split"]["extra_train"])
    folds = check_folds(params["cv"]["folds"], beats["record"], beats["label"], training)
    if not 0 <= fold < len(folds):
        raise EcgError(f"fold {fold}: params protocols.{protocol}.cv.folds has {len(folds)} "
                       "folds")
    recorded = load_arrays(CONDITIONS_PATH)
    cfg = {"training": training, "resample": params["resample"], "model": params["model"],
           "train": params["train"], "conditions": params["cv"]["conditions"],
           "gate": {"extract": params["extract"], "quality": params["quality"]},
           "noise": training_noise(params["train"]["augment"], params["extract"])}
    runs = []
    with atomic_path(cv_models_dir(protocol, fold)) as models:
        for seed in params["cv"]["seeds"]:
            run, model, train = run_seed(cfg, beats, recorded, folds, fold, seed)
            config = model_config(params["model"], params["extract"], train, protocol, seed,
                                  params["quality"])
            save_model(models / f"seed{seed}", model, config)
            runs.append({"protocol": protocol, **run})
    write_json(cv_path(protocol, fold), runs)


if __name__ == "__main__":
    try:
        main(sys.argv[1], int(sys.argv[2]))
    except EcgError as e:
        sys.exit(f"error: {e}")
