"""DVC stage: fetch one configured database into data/raw/<name> (or copy a local mirror)."""

import sys

from ecgcnn.download import fetch_database, mirror_from_env
from ecgcnn.io import EcgError
from ecgcnn.params import load_params


def main(database):
    databases = load_params()["databases"]
    if database not in databases:
        raise EcgError(f"database {database!r}: not in params databases ({', '.join(databases)})")
    cfg = databases[database]
    out_dir = f"data/raw/{database}"
    fetched = fetch_database(database, out_dir, cfg["base_url"], mirror=mirror_from_env(database),
                             records=cfg["records"])
    print(f"{out_dir}: {'fetched and verified' if fetched else 'already complete, verified'}")


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except EcgError as e:
        sys.exit(f"error: {e}")
