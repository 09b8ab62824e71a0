import functools
import hashlib
import http.server
import threading

import pytest
from conftest import SHARED_MITDB

from ecgcnn import download
from ecgcnn.download import (
    RECORDS,
    database_checksums,
    fetch_database,
    mirror_from_env,
    pinned_checksums,
    pinned_records,
    sha256_of,
)
from ecgcnn.io import EcgError

CLOSED_PORT_URL = "http://127.0.0.1:9/"  # discard port: nothing listens, connect is refused
SHARED_SVDB = SHARED_MITDB.parent / "svdb"
# The 39 SVDB records reserved as an external test set (../shared/svdb/README.md).
RESERVED_SVDB = ("800 801 802 805 806 808 810 822 823 824 828 842 845 846 847 849 851 858 860 "
                 "861 869 871 872 873 876 877 878 879 880 882 885 886 887 889 890 891 892 893 "
                 "894").split()


def fetch(out, base_url="https://physionet.org/files/mitdb/1.0.0/", **kwargs):
    return fetch_database("mitdb", out, base_url, **kwargs)


@pytest.fixture
def mirror(tmp_path):
    """A tiny fake mirror and its checksums; the header has CRLF like the real ones."""
    files = {
        "RECORDS": b"100\n101\n",
        "100.hea": b"100 2 360 650000\r\n100.dat 212 200 11 1024 995 -22131 0 MLII\r\n",
        "100.dat": bytes(range(256)) * 40,
        "100.atr": b"\x00\x01\x02\xff",
    }
    root = tmp_path / "mirror"
    root.mkdir()
    for name, data in files.items():
        (root / name).write_bytes(data)
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return root, sums


def assert_same_files(a, b):
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    for p in a.iterdir():
        assert (b / p.name).read_bytes() == p.read_bytes()


def test_pinned_list_has_the_145_files():
    sums = pinned_checksums()
    assert len(sums) == 145
    assert len(RECORDS) == 48
    assert "100" in RECORDS and "234" in RECORDS
    expected = {"RECORDS"} | {f"{r}.{ext}" for r in RECORDS for ext in ("hea", "dat", "atr")}
    assert set(sums) == expected
    assert all(len(d) == 64 and int(d, 16) >= 0 for d in sums.values())


def test_mirror_copy_verifies_and_lands(tmp_path, mirror):
    root, sums = mirror
    out = tmp_path / "data" / "mitdb"
    assert fetch(out, mirror=root, progress=False, checksums=sums) is True
    assert_same_files(root, out)
    assert b"\r\n" in (out / "100.hea").read_bytes()


def test_tampered_file_raises_and_leaves_nothing(tmp_path, mirror):
    root, sums = mirror
    (root / "100.dat").write_bytes(b"tampered")
    out = tmp_path / "data" / "mitdb"
    with pytest.raises(EcgError) as err:
        fetch(out, mirror=root, progress=False, checksums=sums)
    msg = str(err.value)
    assert "100.dat" in msg
    assert sums["100.dat"] in msg
    assert hashlib.sha256(b"tampered").hexdigest() in msg
    assert list((tmp_path / "data").iterdir()) == []  # no out_dir, no temp debris


def test_file_missing_from_mirror(tmp_path, mirror):
    root, sums = mirror
    (root / "100.atr").unlink()
    out = tmp_path / "data" / "mitdb"
    with pytest.raises(EcgError, match=r"100\.atr.*mirror") as err:
        fetch(out, mirror=root, progress=False, checksums=sums)
    assert str(root) in str(err.value)
    assert list((tmp_path / "data").iterdir()) == []


def test_second_run_does_nothing(tmp_path, mirror, monkeypatch):
    root, sums = mirror
    out = tmp_path / "data" / "mitdb"
    fetch(out, mirror=root, progress=False, checksums=sums)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    inode = out.stat().st_ino

    def no_copy(*args):
        raise AssertionError("copied although the output was complete")

    monkeypatch.setattr(download, "_copy_hashing", no_copy)
    assert fetch(out, mirror=root, progress=False, checksums=sums) is False
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert out.stat().st_ino == inode


@pytest.mark.parametrize("damage", ["corrupt", "delete", "extra"])
def test_damaged_output_is_fetched_again(tmp_path, mirror, damage):
    root, sums = mirror
    out = tmp_path / "data" / "mitdb"
    fetch(out, mirror=root, progress=False, checksums=sums)
    if damage == "corrupt":
        (out / "100.hea").write_bytes(b"100 2 360 650000\n")  # CRLF lost
    elif damage == "delete":
        (out / "RECORDS").unlink()
    else:
        (out / "stray.txt").write_text("x")
    assert fetch(out, mirror=root, progress=False, checksums=sums) is True
    assert_same_files(root, out)
    assert list((tmp_path / "data").iterdir()) == [out]


def test_no_network_no_mirror_names_both_mirror_variables(tmp_path, mirror):
    _, sums = mirror
    out = tmp_path / "data" / "mitdb"
    with pytest.raises(EcgError, match="ECGCNN_MIRROR=.*MITDB_MIRROR=/path/to/mitdb"):
        fetch(out, base_url=CLOSED_PORT_URL, progress=False, checksums=sums)
    assert list((tmp_path / "data").iterdir()) == []


def test_mirror_from_env(tmp_path, monkeypatch):
    monkeypatch.delenv("ECGCNN_MIRROR", raising=False)
    monkeypatch.delenv("MITDB_MIRROR", raising=False)
    assert mirror_from_env() is None
    monkeypatch.setenv("MITDB_MIRROR", "")
    assert mirror_from_env() is None
    monkeypatch.setenv("MITDB_MIRROR", str(tmp_path))
    assert mirror_from_env() == tmp_path
    monkeypatch.setenv("MITDB_MIRROR", str(tmp_path / "nope"))
    with pytest.raises(EcgError, match="MITDB_MIRROR"):
        mirror_from_env()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    fail_first = set()  # names that answer 503 once, to exercise the retry

    def do_GET(self):
        name = self.path.lstrip("/")
        if name in self.fail_first:
            self.fail_first.discard(name)
            self.send_error(503)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_base_url(mirror):
    root, _ = mirror
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    QuietHandler.fail_first = set()


def test_http_download_verifies(tmp_path, mirror, http_base_url, monkeypatch):
    root, sums = mirror
    monkeypatch.setattr(download, "RETRY_DELAY_S", 0)
    QuietHandler.fail_first = {"100.dat"}
    out = tmp_path / "data" / "mitdb"
    assert fetch(out, base_url=http_base_url, progress=False, checksums=sums) is True
    assert_same_files(root, out)  # byte-identical to the mirror, CRLF included


def test_http_missing_file_raises(tmp_path, mirror, http_base_url):
    root, sums = mirror
    (root / "100.atr").unlink()
    out = tmp_path / "data" / "mitdb"
    with pytest.raises(EcgError, match=r"100\.atr: HTTP 404"):
        fetch(out, base_url=http_base_url, progress=False, checksums=sums)
    assert list((tmp_path / "data").iterdir()) == []


@pytest.mark.skipif(not SHARED_MITDB.exists(), reason="no offline MIT-BIH copy")
def test_shared_mitdb_matches_pinned_list(tmp_path):
    sums = pinned_checksums()
    for name, digest in sums.items():
        assert sha256_of(SHARED_MITDB / name) == digest, name
    assert (SHARED_MITDB / "RECORDS").read_text().split() == RECORDS
    out = tmp_path / "mitdb"
    assert fetch(out, mirror=SHARED_MITDB, progress=False) is True
    assert sorted(p.name for p in out.iterdir()) == sorted(sums)


def test_one_mirror_root_serves_every_database_and_its_own_variable_wins(tmp_path, monkeypatch):
    for name in ("mitdb", "svdb", "own"):
        (tmp_path / name).mkdir()
    monkeypatch.delenv("MITDB_MIRROR", raising=False)
    monkeypatch.delenv("SVDB_MIRROR", raising=False)
    monkeypatch.setenv("ECGCNN_MIRROR", str(tmp_path))
    assert mirror_from_env("mitdb") == tmp_path / "mitdb"
    assert mirror_from_env("svdb") == tmp_path / "svdb"
    monkeypatch.setenv("SVDB_MIRROR", str(tmp_path / "own"))
    assert mirror_from_env("svdb") == tmp_path / "own"
    with pytest.raises(EcgError, match="ECGCNN_MIRROR=.*has no folder nstdb/"):
        mirror_from_env("nstdb")


def test_svdb_pins_only_its_39_training_records_and_never_a_reserved_one():
    records = pinned_records(pinned_checksums("svdb"))
    assert len(records) == 39 and not set(records) & set(RESERVED_SVDB)
    assert len(database_checksums("svdb", records[:2])) == 6  # .hea, .dat, .atr each
    with pytest.raises(EcgError, match="databases.svdb.records: 800 have no pinned SHA-256"):
        database_checksums("svdb", ["803", "800"])
    with pytest.raises(EcgError, match="databases.nope: no pinned SHA-256 sums"):
        pinned_checksums("nope")


@pytest.mark.skipif(not SHARED_SVDB.exists(), reason="no offline SVDB copy")
def test_shared_svdb_matches_pinned_list(tmp_path):
    out = tmp_path / "svdb"
    assert fetch_database("svdb", out, "https://physionet.org/files/svdb/1.0.0/",
                          mirror=SHARED_SVDB, records=["803", "804"], progress=False) is True
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{r}.{e}" for r in ("803", "804") for e in ("atr", "dat", "hea"))
    assert (SHARED_SVDB / "RECORDS").read_text().split() == \
        pinned_records(pinned_checksums("svdb"))


SHARED_NSTDB = SHARED_MITDB.parent / "nstdb"


def test_nstdb_pins_the_12_noisy_records_and_the_3_noise_records():
    from ecgcnn.noise_stress import NOISY_RECORDS

    sums = pinned_checksums("nstdb")
    assert pinned_records(sums) == sorted([*NOISY_RECORDS, "bw", "em", "ma"])
    assert len(sums) == 12 * 3 + 3 * 2 + 1  # .hea .dat .atr; noise: .hea .dat; RECORDS


@pytest.mark.skipif(not SHARED_NSTDB.exists(), reason="no offline nstdb copy")
def test_shared_nstdb_matches_pinned_list(tmp_path):
    out = tmp_path / "nstdb"
    assert fetch_database("nstdb", out, "https://physionet.org/files/nstdb/1.0.0/",
                          mirror=SHARED_NSTDB, progress=False) is True
    assert sorted(p.name for p in out.iterdir()) == sorted(pinned_checksums("nstdb"))
    assert (SHARED_NSTDB / "RECORDS").read_text().split() == \
        pinned_records(pinned_checksums("nstdb"))
