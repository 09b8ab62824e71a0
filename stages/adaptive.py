"""DVC stage: the patient-adaptive protocol on the test records.

Each model of params adaptive.protocol adapts to each test record's labelled beats of its
learning period (all of them, and k drawn from them, params adaptive) with params adapt, and
is scored on the beats after it (adaptive.py): metrics/<protocol>/adaptive.json, a plot
against k, the record-by-record table. The knobs were chosen on adaptive_cv, never here.
"""

import sys

import numpy as np

from ecgcnn.adaptive import jobs_of, score_jobs
from ecgcnn.dataset import BEATS_PATH, seeds_of, split_path
from ecgcnn.io import EcgError, load_arrays
from ecgcnn.params import load_params, stage_group


def main(protocol):
    params = load_params(protocol=protocol)
    cfg = stage_group(params["adaptive"], "adaptive", protocol)
    beats = load_arrays(BEATS_PATH)
    seeds = seeds_of(params["models"], protocol)
    test = load_arrays(split_path(protocol))["test"]
    jobs = jobs_of("test", protocol, seeds, np.unique(beats["record"][test]).tolist())
    score_jobs(protocol, "test", jobs, beats, params["adapt"], cfg, seeds)


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
