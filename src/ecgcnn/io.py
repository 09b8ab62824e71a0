"""Small file helpers shared by every stage: atomic writes and reading arrays back.

A stage that fails must leave nothing half-written, so every output is written to a
temporary sibling and moved into place with os.replace (atomic on one filesystem).
"""

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np


class EcgError(Exception):
    """A bad input or configuration: the message names the file or parameter."""

    def __str__(self):
        # One line, whatever a wrapped library message holds: it is printed as `error: ...`.
        return " ".join(super().__str__().split())


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; move it onto `path` only if the block succeeds.

    Works for files and directories alike: whatever the block creates at the temporary path
    replaces `path` as a whole.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent)) / path.name
    try:
        yield tmp
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp.parent, ignore_errors=True)


def write_text(path, text):
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=2) + "\n")


def write_csv(path, frame):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_figure(path, fig):
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def save_arrays(path, **arrays):
    """Save named numpy arrays as one uncompressed .npz (fast to load, memory-mappable)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def load_arrays(path):
    path = Path(path)
    if not path.exists():
        raise EcgError(f"{path}: missing (run the stage that writes it first)")
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
