"""Every configured database (params `databases`) through extraction, into one dataset."""

from pathlib import Path

import numpy as np

from .download import database_checksums, pinned_records
from .extract import extract_database
from .io import EcgError


def extracted(databases):
    """The databases of params `databases` whose beats make the beats dataset (extract: true;
    nstdb, the noise stress test's, is only downloaded)."""
    return {name: db for name, db in databases.items() if db["extract"]}


def extract_databases(databases, cfg, raw_root="data/raw", progress=True):
    """Every configured database through the same chain, into one dataset whose `database`
    array names each beat's database. `databases`: params databases (name -> lead, records,
    records None meaning every pinned record). Returns (dataset, {database: dropped beats})."""
    parts, dropped = [], {}
    for name, db in databases.items():
        records = pinned_records(database_checksums(name, db["records"]))
        part, dropped[name] = extract_database(Path(raw_root) / name, records,
                                               {**cfg, "lead": db["lead"]}, progress)
        parts.append({**part, "database": np.full(len(part["label"]), name)})
    dataset = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    check_unique_records(dataset)
    return dataset, dropped


def check_unique_records(dataset):
    """Record names identify patients everywhere (folds, splits): two databases may not share
    one."""
    pairs = set(zip(dataset["database"], dataset["record"], strict=True))
    names = [record for _, record in pairs]
    shared = sorted({r for r in names if names.count(r) > 1})
    if shared:
        raise EcgError(f"params databases: record name(s) {', '.join(shared)} appear in more "
                       "than one database")
