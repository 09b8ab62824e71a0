"""DVC stage: the patient-adaptive protocol on the cross-validation, where params adapt is
chosen: each CV fold's models (which never saw the fold's patients) adapt to the fold's
held-out records, scored after their learning period (adaptive.py):
metrics/<protocol>/adaptive_cv.json, its plot and record-by-record table. DS2 is never loaded.
"""

import sys

from ecgcnn.adaptive import jobs_of, score_jobs
from ecgcnn.dataset import BEATS_PATH
from ecgcnn.io import EcgError, load_arrays
from ecgcnn.params import load_params, stage_group


def main(protocol):
    params = load_params(protocol=protocol)
    cfg = stage_group(params["adaptive"], "adaptive", protocol)
    seeds = params["cv"]["seeds"]
    jobs = jobs_of("cv", protocol, seeds, None, params["cv"]["folds"])
    score_jobs(protocol, "cv", jobs, load_arrays(BEATS_PATH), params["adapt"], cfg, seeds)


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
