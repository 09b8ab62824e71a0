"""DS1's beats for experiments/cv_sweep.py, small enough to carry to another machine.

    python experiments/cv_sweep_data.py OUTDIR

Reads the pipeline's data/beats/beats.npz and data/conditions/beats.npz (run `dvc repro
conditions` first) and writes OUTDIR/ds1.npz and OUTDIR/cond128.npz (the 128 Hz condition),
beats stored as float16 (~25 MB each). DS2 is left out.
"""

import os
import sys

import numpy as np

from ecgcnn.dataset import BEATS_PATH, CONDITIONS_PATH
from ecgcnn.io import load_arrays
from ecgcnn.params import load_params
from ecgcnn.splits import DS1


def save(path, arrays, keep):
    np.savez_compressed(path, x=arrays["x"][keep].astype(np.float16), rr=arrays["rr"][keep],
                        label=arrays["label"][keep], record=arrays["record"][keep])


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    beats = load_arrays(BEATS_PATH)
    save(os.path.join(outdir, "ds1.npz"), beats, np.isin(beats["record"], DS1))
    conditions = [(c["fs"], c["gain"]) for c in load_params()["cv"]["conditions"]]
    recorded = load_arrays(CONDITIONS_PATH)
    at_128 = recorded["condition"] == conditions.index((128, 1.0))
    save(os.path.join(outdir, "cond128.npz"), recorded, at_128 & np.isin(recorded["record"], DS1))


if __name__ == "__main__":
    main(sys.argv[1])
