"""DVC stage: the EC57 noise stress test, scored by the CV fold models that never saw 118 / 119.

params noise_stress names the protocol and the fold of its cv.folds holding both patients
(checked on load); every seed's model of that fold scores nstdb's 12 noisy records with
detected beats (noise_stress.py). Mean and std over the seeds per SNR: metrics/noise_stress.json,
a CSV per scope for `dvc plots`, a PNG; per record and per seed: metrics/noise_stress_records.json.
"""

import sys

from ecgcnn import plots
from ecgcnn.dataset import cv_models_dir
from ecgcnn.io import EcgError, save_figure, write_csv, write_json
from ecgcnn.noise_stress import over_seeds, score_fold_models
from ecgcnn.params import load_params, stage_group

PLOTTED_SCOPES = ("noisy", "whole")


def main(protocol):
    params = load_params(protocol=protocol)
    cfg = stage_group(params["noise_stress"], "noise_stress", protocol)
    folds, seeds, fold = params["cv"]["folds"], params["cv"]["seeds"], cfg["fold"]
    fold_dir = cv_models_dir(protocol, fold)
    runs = score_fold_models(f"data/raw/{cfg['database']}", fold_dir, seeds,
                             params["averaging"])
    summary = over_seeds(list(runs.values()))
    head = {"protocol": protocol, "fold": fold, "held_out_records": folds[fold],
            "seeds": seeds, "models": fold_dir, "averaging": params["averaging"]}
    write_json("metrics/noise_stress.json", {**head, "snr": summary["snr"], "all": summary["all"],
                                             "scopes": summary["scopes"],
                                             "tolerance_ms": summary["tolerance_ms"],
                                             "vf_detected_s": summary["vf_detected_s"]})
    write_json("metrics/noise_stress_records.json", {
        **head, "records": summary["records"],
        "per_seed": {str(seed): run["records"] for seed, run in runs.items()}})
    for scope in PLOTTED_SCOPES:
        write_csv(f"plots/noise_stress/{scope}.csv", plots.noise_stress_by_snr(summary, scope))
    title = (f"EC57 noise stress test: {protocol} fold {fold} models (never saw 118 / 119), "
             f"mean ± std over {len(seeds)} seeds")
    save_figure("plots/noise_stress/by_snr.png",
                plots.noise_stress_figure(summary, title, PLOTTED_SCOPES))


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
