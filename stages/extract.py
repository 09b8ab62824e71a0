"""DVC stage: cut every annotated beat of every extracted database (params databases, extract:
true) into data/beats/beats.npz."""

import sys

import numpy as np

from ecgcnn import plots
from ecgcnn.aami import class_counts
from ecgcnn.databases import extract_databases, extracted
from ecgcnn.io import EcgError, save_arrays, save_figure, write_csv, write_json
from ecgcnn.params import load_params


def main():
    params = load_params()
    databases = extracted(params["databases"])
    dataset, dropped = extract_databases(databases, params["extract"])
    save_arrays("data/beats/beats.npz", **dataset)
    labels, of = dataset["label"], dataset["database"]
    counts = class_counts(labels)
    by_database = {name: class_counts(labels[of == name]) for name in databases}
    write_json("metrics/beats.json", {
        **counts, "total": len(labels), "dropped_at_edges": sum(dropped.values()),
        "databases": {name: {**c, "records": len(np.unique(dataset["record"][of == name])),
                             "dropped_at_edges": dropped[name]}
                      for name, c in by_database.items()}})
    table = plots.distribution_table(by_database)
    write_csv("plots/beats/class_distribution.csv", table)
    save_figure("plots/beats/class_distribution.png",
                plots.distribution_figure(table, "Beats per AAMI class and database"))


if __name__ == "__main__":
    try:
        main()
    except EcgError as e:
        sys.exit(f"error: {e}")
