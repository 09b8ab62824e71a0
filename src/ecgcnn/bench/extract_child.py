"""`python -m ecgcnn.bench.extract_child RAW OUT RECORD...`: extracts the records, times only
the extraction, saves the beats to OUT (.npz, for the growth child) and prints
{extract_s, beats} as JSON.

No jax here, not even indirectly (tests/test_bench.py checks): the extract stage does not
import it, and jax with its first array would add ~170 MB to `extract_peak_rss_mb` (measured:
143 -> 313 MB), a cost the extract stage never pays.
"""

import json
import sys
import time

from ecgcnn.extract import extract_database
from ecgcnn.io import save_arrays
from ecgcnn.params import load_params


def main(raw, out, records):
    start = time.perf_counter()
    dataset, _ = extract_database(raw, records, load_params()["extract"], progress=False)
    seconds = time.perf_counter() - start
    save_arrays(out, **dataset)
    print(json.dumps({"extract_s": seconds, "beats": len(dataset["label"])}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
