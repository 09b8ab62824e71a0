"""DVC stage: train one model of a protocol with one training seed."""

import sys

import jax
from dvclive import Live

from ecgcnn.checkpoint import model_config, save_model
from ecgcnn.dataset import load_sets, model_dir
from ecgcnn.io import EcgError, atomic_path, write_json
from ecgcnn.model import build_model
from ecgcnn.params import load_params
from ecgcnn.recorded_noise import training_noise
from ecgcnn.train import fit

# What depends on the machine, not on the science: kept out of the DVC metrics so that
# `dvc metrics diff` between two runs of one commit shows only what the model learnt.
TIMING_KEYS = ("train_seconds", "train_beats_per_second")


def main(protocol, seed):
    params = load_params(protocol=protocol, devices=jax.device_count())
    sets = load_sets(protocol, names=("train", "val"))
    train, val = sets["train"], sets["val"]
    _, window, channels = train["x"].shape
    model = build_model(params["model"], window, channels, train["rr"].shape[1], seed=seed)
    name = f"{protocol}/seed{seed}"

    # dvclive writes per-epoch curves; into a temporary directory so a failed run leaves none.
    with atomic_path(f"plots/{protocol}/train_log/seed{seed}") as log_dir:
        with Live(str(log_dir), save_dvc_exp=False, dvcyaml=False) as live:
            def log(epoch, values):
                live.step = epoch  # epochs count from 1, as in train.json (dvclive: from 0)
                for key, value in values.items():
                    live.log_metric(key, value)
                live.next_step()

            # No validation patients for inter_patient: its epoch count comes from CV.
            noise = training_noise(params["train"]["augment"], params["extract"])
            summary = fit(model, train, val if len(val["y"]) else None,
                          {**params["train"], "seed": seed}, log=log, noise=noise)

    config = model_config(params["model"], params["extract"], train, protocol, seed,
                          params["quality"])
    save_model(model_dir(protocol, seed), model, config)
    write_json(f"metrics/{name}/train.json",
               {k: v for k, v in summary.items() if k not in TIMING_KEYS})
    write_json(f"timings/{name}/train.json", {k: summary[k] for k in TIMING_KEYS})
    print(name, summary)


if __name__ == "__main__":
    try:
        main(sys.argv[1], int(sys.argv[2]))
    except EcgError as e:
        sys.exit(f"error: {e}")
