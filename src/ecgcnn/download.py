"""Fetch a PhysioNet database (params `databases`) and verify it against pinned SHA-256 sums.

The pinned sums (<database>_sha256.txt beside this file) are PhysioNet's own, so a file that
verifies is the published byte stream, whether it came over HTTP or from a local mirror. Only
pinned records can be fetched: svdb_sha256.txt pins the 39 training records of the MIT-BIH
Supraventricular Arrhythmia Database, never the 39 reserved as an external test set. The
output directory appears only once every file has verified; a failed run leaves nothing.

Offline, one convention for every database: $ECGCNN_MIRROR names a directory holding one
folder per database (`mitdb/`, `svdb/`: ../shared is one), and $<NAME>_MIRROR (MITDB_MIRROR,
SVDB_MIRROR) names one database's folder, which wins.
"""

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path

from tqdm import tqdm

from ecgcnn.io import EcgError, atomic_path

TIMEOUT_S = 30
RETRIES = 2  # extra attempts after a transient failure (5xx, dropped connection)
RETRY_DELAY_S = 2.0  # doubled after each failed attempt
TRANSIENT_HTTP = {408, 429, 500, 502, 503, 504}
CHUNK = 1 << 20


def pinned_checksums(database="mitdb"):
    """Filename -> SHA-256 of every pinned file of a database (mitdb: RECORDS and
    .hea/.dat/.atr of the 48 records, 145 files)."""
    source = resources.files("ecgcnn").joinpath(f"{database}_sha256.txt")
    if not source.is_file():
        raise EcgError(f"params databases.{database}: no pinned SHA-256 sums for this database "
                       f"(src/ecgcnn/{database}_sha256.txt)")
    sums = {}
    for line in source.read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    return sums


def pinned_records(checksums):
    """Every record has a header, so the headers name the records."""
    return sorted(Path(name).stem for name in checksums if name.endswith(".hea"))


RECORDS = pinned_records(pinned_checksums("mitdb"))  # MIT-BIH's 48


def database_checksums(database, records=None):
    """The pinned files of `records` (None: every pinned record, and RECORDS where pinned)."""
    sums = pinned_checksums(database)
    if records is None:
        return sums
    records = [str(r) for r in records]
    unpinned = sorted(set(records) - set(pinned_records(sums)))
    if unpinned:
        raise EcgError(f"params databases.{database}.records: {', '.join(unpinned)} have no "
                       f"pinned SHA-256 sums (src/ecgcnn/{database}_sha256.txt); records "
                       "reserved as an external test set are never fetched")
    return {name: digest for name, digest in sums.items() if Path(name).stem in records}


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def is_complete(out_dir, checksums):
    """True if out_dir holds exactly the pinned files and each one verifies."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return False
    if {p.name for p in out_dir.iterdir()} != set(checksums):
        return False
    return all(sha256_of(out_dir / name) == digest for name, digest in checksums.items())


def mirror_from_env(database="mitdb"):
    """The local copy of `database`: $<NAME>_MIRROR, else $ECGCNN_MIRROR/<name>; None when
    neither is set (then the files come over HTTP)."""
    own = f"{database.upper()}_MIRROR"
    value = os.environ.get(own, "").strip()
    if value:
        path = Path(value).expanduser()
        if not path.is_dir():
            raise EcgError(f"{own}={value}: not a directory")
        return path
    root = os.environ.get("ECGCNN_MIRROR", "").strip()
    if not root:
        return None
    path = Path(root).expanduser() / database
    if not path.is_dir():
        raise EcgError(f"ECGCNN_MIRROR={root}: has no folder {database}/ (one folder per "
                       f"database, as in ../shared; or set {own})")
    return path


def _copy_hashing(src, dest, bar):
    """Copy a binary stream to dest unchanged and return its SHA-256 (one pass, no re-read)."""
    h = hashlib.sha256()
    with open(dest, "wb") as f:
        while chunk := src.read(CHUNK):
            f.write(chunk)
            h.update(chunk)
            bar.update(len(chunk))
    return h.hexdigest()


def _copy_from_mirror(mirror, name, dest, bar):
    src = Path(mirror) / name
    if not src.is_file():
        raise EcgError(f"{name}: missing from mirror {mirror}")
    # Binary mode: headers have CRLF line endings and must stay byte-identical.
    with open(src, "rb") as f:
        return _copy_hashing(f, dest, bar)


def _download(url, dest, bar, database):
    for attempt in range(RETRIES + 1):
        start = bar.n
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
                return _copy_hashing(resp, dest, bar)
        except urllib.error.HTTPError as e:
            if e.code not in TRANSIENT_HTTP or attempt == RETRIES:
                raise EcgError(f"{url}: HTTP {e.code} {e.reason}") from e
        except urllib.error.URLError as e:
            # Could not connect at all (DNS, refused, unreachable, connect timeout):
            # retrying will not help, so stop at once and point to the offline route.
            raise EcgError(
                f"cannot reach {url} ({e.reason}). Without network access, set "
                f"ECGCNN_MIRROR=/path/to/shared (one folder per database) or "
                f"{database.upper()}_MIRROR=/path/to/{database} to a directory holding the "
                "same files (NNN.hea/.dat/.atr)"
            ) from e
        except (OSError, http.client.HTTPException) as e:
            # Connected, then the transfer broke (reset, read timeout): worth another try.
            if attempt == RETRIES:
                raise EcgError(f"{url}: download failed after {RETRIES + 1} attempts: {e}") from e
        bar.update(start - bar.n)  # take back the bytes of the failed attempt
        time.sleep(RETRY_DELAY_S * 2**attempt)


def fetch_database(database, out_dir, base_url, mirror=None, records=None, progress=True,
                   checksums=None):
    """Fill out_dir with the verified files of `records` of `database` (None: every pinned
    record); return False if it was already complete.

    Files come from `mirror` (a directory) when given, else over HTTP from `base_url`.
    `checksums` (filename -> SHA-256) defaults to the pinned list; tests pass their own.
    """
    checksums = database_checksums(database, records) if checksums is None else checksums
    out_dir = Path(out_dir)
    if is_complete(out_dir, checksums):
        return False
    if not base_url.endswith("/"):
        base_url += "/"
    source = f"mirror {mirror}" if mirror is not None else base_url
    # The byte total is known up front only for a mirror; over HTTP the bar counts up.
    total = None
    if mirror is not None:
        files = [Path(mirror) / name for name in checksums]
        total = sum(f.stat().st_size for f in files if f.is_file())
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, disable=not progress)
    with atomic_path(out_dir) as tmp, bar:
        tmp.mkdir()
        for i, (name, expected) in enumerate(checksums.items(), 1):
            bar.set_description_str(f"{database} {i}/{len(checksums)} files")
            bar.set_postfix_str(name)
            if mirror is not None:
                got = _copy_from_mirror(mirror, name, tmp / name, bar)
            else:
                got = _download(base_url + name, tmp / name, bar, database)
            if got != expected:
                raise EcgError(
                    f"{name}: SHA-256 mismatch (from {source}): expected {expected}, got {got}"
                )
    return True
