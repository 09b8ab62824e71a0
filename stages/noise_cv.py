"""DVC stage: the noise stress test on the cross-validation (noise_cv.py): every fold model of
params noise_cv.protocol scores its own held-out records of noise_cv.databases with em-like
noise at each SNR, detected beats. metrics/<protocol>/noise_cv.json, a CSV for `dvc plots`
and a PNG."""

import sys
from pathlib import Path

from ecgcnn import plots
from ecgcnn.dataset import cv_models_dir
from ecgcnn.io import EcgError, save_figure, write_csv, write_json
from ecgcnn.noise_cv import fold_jobs, result, score_folds
from ecgcnn.params import load_params, stage_group


def main(protocol):
    params = load_params(protocol=protocol)
    cfg = stage_group(params["noise_cv"], "noise_cv", protocol)
    seeds = params["cv"]["seeds"]
    models_root = Path(cv_models_dir(protocol, 0)).parent
    jobs = fold_jobs(params["cv"]["folds"], params["databases"], cfg, models_root, seeds)
    runs = score_folds(jobs, seeds, "data/raw/nstdb", cfg, params["extract"], params["averaging"])
    summary = result(runs, cfg)
    write_json(f"metrics/{protocol}/noise_cv.json", {
        "protocol": protocol, "records": len(jobs), "averaging": params["averaging"], **summary,
        "per_seed": {str(seed): run for seed, run in runs.items()}})
    write_csv(f"plots/{protocol}/noise_cv.csv", plots.noise_stress_by_snr(summary, "noisy"))
    title = (f"Noise stress test on the CV: {protocol} fold models on their {len(jobs)} "
             f"held-out records, {', '.join(cfg['sources'])} noise, mean ± std over "
             f"{len(seeds)} seeds")
    save_figure(f"plots/{protocol}/noise_cv.png",
                plots.noise_stress_figure(summary, title, ("noisy",),
                                          f"{len(jobs)} records"))


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
