"""DVC stage: train the classifier of one protocol; keep the best validation epoch."""

import sys

from dvclive import Live

from ecgcnn.checkpoint import save_model
from ecgcnn.dataset import load_sets
from ecgcnn.io import EcgError, atomic_path, load_params, write_json
from ecgcnn.model import build_model
from ecgcnn.train import fit


def main(protocol):
    params = load_params(protocol=protocol)
    sets = load_sets(protocol, names=("train", "val"))
    train, val = sets["train"], sets["val"]
    _, window, channels = train["x"].shape
    model = build_model(params["model"], window, channels, train["rr"].shape[1],
                        seed=params["train"]["seed"])

    # dvclive writes per-epoch curves; into a temporary directory so a failed run leaves none.
    with atomic_path(f"plots/{protocol}/train_log") as log_dir:
        with Live(str(log_dir), save_dvc_exp=False, dvcyaml=False) as live:
            def log(epoch, values):
                for name, value in values.items():
                    live.log_metric(name, value)
                live.next_step()

            summary = fit(model, train, val, params["train"], log=log)

    config = {"model": params["model"], "extract": params["extract"], "window": window,
              "channels": channels, "rr_features": train["rr"].shape[1], "protocol": protocol}
    save_model(f"models/{protocol}", model, config)
    write_json(f"metrics/{protocol}/train.json", summary)
    print(summary)


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
