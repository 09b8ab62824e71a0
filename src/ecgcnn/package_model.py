"""`python -m ecgcnn.package_model [ROOT]`: copy the trained default model into the package.

The copy is made only when `models/<PROTOCOL>/seed<SEED>` under ROOT (default: here) is the
directory dvc.lock records, by DVC's own directory hash, so the packaged files are always
those of the committed run. Run it after a `dvc repro` that retrained the default model.
"""

import shutil
import sys
from pathlib import Path

import yaml

from .beat_averaging import AVERAGING_FILE
from .default_model import ADAPT_FILE, PACKAGED_DIR, trained_dir
from .io import EcgError, atomic_path


def dvc_dir_hash(directory):
    """DVC 3's hash of a directory as dvc.lock writes it ('<md5>.dir'): the md5 of the JSON
    list of its files' {relpath, md5}, computed by dvc_data itself."""
    from dvc_data.hashfile.hash import file_md5
    from dvc_data.hashfile.hash_info import HashInfo
    from dvc_data.hashfile.meta import Meta
    from dvc_data.hashfile.tree import Tree

    directory = Path(directory)
    tree = Tree()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        tree.add(path.relative_to(directory).parts, Meta(), HashInfo("md5", file_md5(path)))
    tree.digest()
    return tree.hash_info.value


def locked_hash(lock_file, out):
    """The md5 dvc.lock records for the output directory `out` (a path relative to it)."""
    lock_file = Path(lock_file)
    if not lock_file.exists():
        raise EcgError(f"{lock_file}: not found")
    stages = yaml.safe_load(lock_file.read_text()).get("stages", {})
    for stage in stages.values():
        for entry in stage.get("outs", []):
            if entry["path"] == str(out):
                return entry["md5"]
    raise EcgError(f"{lock_file}: no stage writes {out}")


def package_params(root="."):
    """Write params.yaml's `adapt` and `averaging` groups (under `root`) into the package: the
    knobs `ecgcnn predict` uses with --adapt-from (adapt.config_for) and with detected beats
    (beat_averaging.packaged)."""
    from .io import write_json
    from .params import load_params

    params = load_params(Path(root) / "params.yaml")
    write_json(ADAPT_FILE, params["adapt"])
    write_json(AVERAGING_FILE, params["averaging"])


def package(root="."):
    """Copy the trained default model into PACKAGED_DIR, and params adapt and averaging beside
    it; returns the model's hash."""
    root = Path(root)
    source = trained_dir(root)
    want = locked_hash(root / "dvc.lock", source.relative_to(root).as_posix())
    if not source.is_dir():
        raise EcgError(f"{source}: no trained model (run `dvc repro` or `dvc pull` first)")
    have = dvc_dir_hash(source)
    if have != want:
        raise EcgError(f"{source}: hash {have}, but dvc.lock records {want} (run `dvc repro` "
                       "so that the model is the committed run's)")
    with atomic_path(PACKAGED_DIR) as tmp:
        shutil.copytree(source, tmp)
    package_params(root)
    return have


def main(argv=None):
    from .cli import exit_status

    args = sys.argv[1:] if argv is None else argv
    root = args[0] if args else "."

    def run():
        digest = package(root)
        print(f"packaged {trained_dir(root)} ({digest}) into {PACKAGED_DIR}", file=sys.stderr)

    return exit_status(run)


if __name__ == "__main__":
    sys.exit(main())
