"""DVC stage: every model of a protocol on every beat of a database it never trained on.

How a model travels: the DS1-only models on the SVDB training records, scored like evaluate
scores the test set (the default model's eval dict, every seed's spread, per record).
"""

import sys

import pandas as pd

from ecgcnn import plots
from ecgcnn.dataset import BEATS_PATH, subset
from ecgcnn.io import EcgError, load_arrays, save_figure, write_csv, write_json
from ecgcnn.params import load_params
from ecgcnn.scoring import database_subset, per_record_rows, predict_seeds, scores


def main(protocol, database):
    params = load_params(protocol=protocol)
    pairs = [(p["protocol"], p["database"]) for p in params["cross_database"].values()]
    if (protocol, database) not in pairs:
        raise EcgError(f"{protocol} on {database}: not in params cross_database {pairs}")
    beats = load_arrays(BEATS_PATH)
    test = subset(beats, database_subset(beats, database))
    runs = predict_seeds(params["models"], protocol, test, params["evaluate"]["batch_size"])
    default, seeds, _ = scores(test["y"], runs)
    name = f"{protocol}/on_{database}"
    write_json(f"metrics/{name}.json", {"default": default, "seeds": seeds})
    rows = pd.DataFrame(per_record_rows(test, runs))
    write_csv(f"plots/{name}_per_record.csv", rows)
    save_figure(f"plots/{name}_per_record.png", plots.per_record_figure(
        rows, f"{protocol} models on {database} (never trained on): errors per record "
              f"(seed {next(iter(runs))})"))
    print(f"{protocol} on {database}: accuracy {seeds['accuracy']['mean']:.4f} "
          f"+- {seeds['accuracy']['std']:.4f} over seeds {seeds['seeds']}")


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except EcgError as e:
        sys.exit(f"error: {e}")
