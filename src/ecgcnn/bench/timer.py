"""`python -m ecgcnn.bench.timer LOG CMD...`: runs CMD and appends {cmd, s, rss_mb, rc} as a
JSON line to LOG; exits with CMD's exit code.

Every child of the benchmark starts through this small process: a child's ru_maxrss starts
at the RSS of the process it was spawned from (vfork + exec keep the high-water mark), so a
child of the bench process itself (jax, torch: ~1 GB) or of dvc would report at least that
much. Hence only the standard library here, and nothing in ecgcnn/__init__ or bench/__init__.
"""

import json
import resource
import subprocess
import sys
import time


def main(log, cmd):
    start = time.perf_counter()
    rc = subprocess.call(cmd)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    with open(log, "a") as f:
        f.write(json.dumps({"cmd": cmd, "s": seconds, "rss_mb": rss_mb, "rc": rc}) + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
