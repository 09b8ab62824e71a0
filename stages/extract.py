"""DVC stage: cut every annotated beat of the 48 records into data/beats/beats.npz."""

import sys

from ecgcnn import plots
from ecgcnn.aami import class_counts
from ecgcnn.download import RECORDS
from ecgcnn.extract import extract_database
from ecgcnn.io import EcgError, save_arrays, save_figure, write_csv, write_json
from ecgcnn.params import load_params


def main():
    cfg = load_params()["extract"]
    dataset, dropped = extract_database("data/raw/mitdb", RECORDS, cfg)
    counts = class_counts(dataset["label"])
    save_arrays("data/beats/beats.npz", **dataset)
    write_json("metrics/beats.json",
               {**counts, "total": len(dataset["label"]), "dropped_at_edges": dropped})
    table = plots.distribution_table({"all records": counts})
    write_csv("plots/beats/class_distribution.csv", table)
    save_figure("plots/beats/class_distribution.png",
                plots.distribution_figure(table, "MIT-BIH beats per AAMI class"))


if __name__ == "__main__":
    try:
        main()
    except EcgError as e:
        sys.exit(f"error: {e}")
