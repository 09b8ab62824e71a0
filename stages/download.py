"""DVC stage: download MIT-BIH 1.0.0 into data/raw/mitdb (or copy it from $MITDB_MIRROR)."""

import sys

from ecgcnn.download import fetch_mitdb, mirror_from_env
from ecgcnn.io import EcgError
from ecgcnn.params import load_params

OUT_DIR = "data/raw/mitdb"


def main():
    base_url = load_params()["download"]["base_url"]
    fetched = fetch_mitdb(OUT_DIR, base_url=base_url, mirror=mirror_from_env())
    print(f"{OUT_DIR}: {'fetched and verified' if fetched else 'already complete, verified'}")


if __name__ == "__main__":
    try:
        main()
    except EcgError as e:
        sys.exit(f"error: {e}")
