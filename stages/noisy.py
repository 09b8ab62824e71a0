"""DVC stage: noisy copies of the training records, their detected beats labelled
(noisy.py), into data/noisy/beats.npz; beats per class and SNR into metrics/noisy.json."""

import sys

import numpy as np

from ecgcnn.aami import class_counts
from ecgcnn.io import EcgError, save_arrays, write_json
from ecgcnn.noisy import NOISE_DATABASE, noisy_dataset, training_copies
from ecgcnn.params import load_params


def main():
    params = load_params()
    cfg = params["noisy"]
    copies = training_copies(params["databases"], cfg["records"])
    dataset = noisy_dataset(copies, f"data/raw/{NOISE_DATABASE}", params["extract"], cfg)
    save_arrays("data/noisy/beats.npz", **dataset)
    snr = dataset["snr"]
    write_json("metrics/noisy.json", {
        "records": len(copies), "beats": len(snr), **class_counts(dataset["label"]),
        "snr_db": {f"{s:g}": class_counts(dataset["label"][snr == s]) for s in np.unique(snr)}})


if __name__ == "__main__":
    try:
        main()
    except EcgError as e:
        sys.exit(f"error: {e}")
