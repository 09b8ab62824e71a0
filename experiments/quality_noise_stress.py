"""Round 6 (issue 20): the EC57 noise stress test once, with the quality gate chosen on CV.

The committed fold models (models/cv/<protocol>/fold<f>/seed<s>) were trained before params
`quality` existed: their config.json has no gate. The next `dvc repro` writes it into them;
until then this script scores copies whose config.json is the model's plus params `quality`
(the weights are the same files), with `noise_stress.score_fold_models`, as the noise_stress
stage does. Run once, after the threshold was chosen on CV: nothing is tuned on it.

    python experiments/quality_noise_stress.py OUT.json
"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

from ecgcnn.noise_stress import over_seeds, score_fold_models
from ecgcnn.params import load_params


def gated_copy(fold_dir, seeds, quality, root):
    """fold_dir's seed models under root, each config.json with `quality` added."""
    for seed in seeds:
        src, dst = Path(fold_dir) / f"seed{seed}", Path(root) / f"seed{seed}"
        dst.mkdir(parents=True)
        for f in src.iterdir():
            if f.name != "config.json":
                shutil.copy(f, dst / f.name)
        config = json.loads((src / "config.json").read_text())
        (dst / "config.json").write_text(json.dumps({**config, "quality": quality}, indent=2))
    return root


def main(out):
    params = load_params()
    cfg = params["noise_stress"]
    seeds = params["cv"]["seeds"]
    fold_dir = f"models/cv/{cfg['protocol']}/fold{cfg['fold']}"
    with tempfile.TemporaryDirectory() as tmp:
        runs = score_fold_models(f"data/raw/{cfg['database']}",
                                 gated_copy(fold_dir, seeds, params["quality"], tmp), seeds)
    summary = over_seeds(list(runs.values()))
    Path(out).write_text(json.dumps({"quality": params["quality"], "models": fold_dir,
                                     "seeds": seeds, "snr": summary["snr"],
                                     "all": summary["all"]}, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
