"""DVC stage: split the beats for one protocol and balance its training classes."""

import sys

import numpy as np

from ecgcnn import plots
from ecgcnn.aami import class_counts
from ecgcnn.dataset import protocol_beats, split_path
from ecgcnn.io import EcgError, save_arrays, save_figure, write_csv
from ecgcnn.params import load_params
from ecgcnn.resample import resample_indices
from ecgcnn.splits import split


def main(protocol):
    params = load_params(protocol=protocol)
    beats = protocol_beats(params["split"]["noisy"])
    labels = beats["label"]
    sets = split(beats, params["split"], protocol)
    resampled = resample_indices(sets["train"], labels, **params["resample"],
                                 records=beats["record"])
    save_arrays(split_path(protocol), train=resampled, train_original=sets["train"],
                val=sets["val"], test=sets["test"])

    copies = " (+ noisy copies)" if params["split"]["noisy"] else ""
    counts = {f"train{copies}": class_counts(labels[sets["train"]]),
              f"train resampled{copies}": class_counts(labels[resampled]),
              "val": class_counts(labels[sets["val"]]), "test": class_counts(labels[sets["test"]])}
    table = plots.distribution_table(counts)
    write_csv(f"plots/{protocol}/class_distribution.csv", table)
    save_figure(f"plots/{protocol}/class_distribution.png",
                plots.distribution_figure(table, f"{protocol}: beats per class and set"))
    print({name: int(np.sum(list(c.values()))) for name, c in counts.items()})


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
