"""Which trained model ships inside the package: the default of `ecgcnn predict`, `ecgcnn
score` and `ecgcnn.classify` when no model is given.

It is one model of the committed `dvc repro`, `models/<PROTOCOL>/seed<SEED>/`, copied
byte for byte into `packaged_model/` by `python -m ecgcnn.package_model` (`make
package-model`); tests/test_default_model.py fails when the copy differs from what dvc.lock
records for that directory.
"""

from pathlib import Path

PROTOCOL = "inter_patient_svdb"
SEED = 0
PACKAGED_DIR = Path(__file__).with_name("packaged_model")
ADAPT_FILE = Path(__file__).with_name("adapt_defaults.json")  # params adapt of that run


def trained_dir(root="."):
    """Where `dvc repro` writes the default model, under the repository `root`."""
    return Path(root) / "models" / PROTOCOL / f"seed{SEED}"
