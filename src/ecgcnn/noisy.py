"""Noisy copies of training records: the beats `predict --detect` finds in a noisy recording.

Noise does two things to a detector and classifier, and training on clean annotated beats
teaches neither: it distorts real beats, and it makes the QRS detector find "beats" in the
noise (EC57's stress test at 12 dB: about a third of the detections). Each training record is
copied with recorded noise added to its raw signal in alternating stretches, as nstdb adds
it; wfdb GQRS detects the beats of the copy (predict's chain) and each detection inside a
noisy stretch becomes a training beat: the class of the reference beat it pairs with within
150 ms, or **Q** (unclassifiable) when it pairs with none. So the model sees noisy real beats
with their classes, the RR features extra detections break, and noise detections as Q.
(`rr_intact`, off: N and S beats only where no extra or missed detection broke their RR
features.)

The noise is scaled as WFDB's `nst` scales it (recorded_noise.NST_RATIO): its RMS as
`sigamp -r` measures it against the record's peak-to-peak normal-QRS amplitude as `sigamp -a`
measures it (`qrs_amplitude`), so an SNR means here what it means in nstdb.

Sources (params noisy.sources) are nstdb's noise records, in stretches of time the stress test
never adds: `bw`, `ma` whole, `em` only where no noisy nstdb record uses it. nstdb adds em(t)
to the record at the same time t (measured: correlation 0.9999 at lag 0, none at +-1 s), from
5:00 on in 2-minute stretches; em's first 5 minutes and the 2-minute gaps are never added.
Training takes the gaps (`em`), the cross-validation's noise conditions the first 5 minutes
(`em_cv`): three disjoint parts of one recording.
"""

import zlib
from pathlib import Path

import numpy as np

from .aami import CLASSES
from .filters import resample
from .io import EcgError
from .recorded_noise import NST_RATIO, TRIM, sigamp_rms

Q = CLASSES.index("Q")
# With rhythm_decides_s only the RR path tells N from S: beats of these classes whose RR
# features an extra or missed detection broke would teach it that prematurity means nothing.
RR_DECIDES = (CLASSES.index("N"), CLASSES.index("S"))
NOISE_DATABASE = "nstdb"
EM_TEST_START_S, EM_STRETCH_S = 300.0, 120.0  # nstdb: noise from 5:00, 2 min on / 2 off
# The parts of em each use may read: (start, stop) seconds, never a stretch the test adds.
EM_PARTS = {"em": [(EM_TEST_START_S + EM_STRETCH_S * (2 * i + 1),
                    EM_TEST_START_S + EM_STRETCH_S * (2 * i + 2)) for i in range(6)],
            "em_cv": [(0.0, EM_TEST_START_S)]}
SOURCES = ("bw", "ma", "em", "em_cv")
QRS_HALF_S = 0.05  # sigamp -a: peak-to-peak within +-50 ms of each normal beat
QRS_BEATS = 300  # sigamp -a: the first 300 normal beats


def qrs_amplitude(signal, fs, samples, labels):
    """Peak-to-peak normal-QRS amplitude as `sigamp -a` measures it: within +-50 ms of the
    first 300 N beats, the 5 % trimmed mean (nst's signal level)."""
    half = int(round(QRS_HALF_S * fs))
    normal = [s for s, label in zip(samples, labels, strict=True)
              if label == 0 and half <= s < len(signal) - half][:QRS_BEATS]
    pp = np.sort([np.ptp(signal[s - half:s + half + 1]) for s in normal])
    pp = pp[np.isfinite(pp)]
    cut = int(len(pp) * TRIM)
    if len(pp) - 2 * cut < 1:
        raise EcgError("no normal beat to measure the QRS amplitude against (SNR undefined)")
    return float(np.mean(pp[cut:len(pp) - cut]))


def noise_pieces(nstdb_dir, sources):
    """[(name, signal, fs)]: every channel of each source, cut to the parts it may use, each
    part scaled to unit nst RMS (sigamp_rms 1)."""
    from .recorded_noise import noise_channels

    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise EcgError(f"params noisy.sources: unknown noise source {unknown[0]} "
                       f"(one of {', '.join(SOURCES)})")
    pieces = []
    for source in sources:
        record = source.split("_")[0]
        for channel, signal, fs in noise_channels(Path(nstdb_dir) / record):
            parts = EM_PARTS.get(source, [(0.0, len(signal) / fs)])
            for a, b in parts:
                part = signal[int(a * fs):int(b * fs)]
                part = part - np.mean(part)
                pieces.append((f"{source}:{channel}:{a:g}-{b:g}s", part / sigamp_rms(part, fs),
                               fs))
    return pieces


def stretches(n, fs, stretch_s, phase):
    """[(start, stop)] samples of the noisy stretches: stretch_s on, stretch_s off, the first
    one starting `phase` stretches in (0: at sample 0, 1: after one clean stretch)."""
    step = int(round(stretch_s * fs))
    return [(a, min(a + step, n)) for a in range(phase * step, n, 2 * step)]


def noise_for(piece, fs, n, rng):
    """n samples of a noise piece at `fs`, from a random offset, wrapped around its end."""
    _, signal, piece_fs = piece
    noise = resample(signal, piece_fs, fs) if piece_fs != fs else signal
    start = int(rng.integers(len(noise)))
    return np.resize(np.roll(noise, -start), n)


def add_noise(signal, start, stop, piece, fs, amplitude, snr, rng):
    """Add a random stretch of `piece` to signal[start:stop] (in place) at `snr` dB as nst
    scales it against the QRS `amplitude`."""
    noise = noise_for(piece, fs, stop - start, rng)
    signal[start:stop] += noise * amplitude * NST_RATIO * 10 ** (-snr / 20)


def detected_beats(signal, fs, extract_cfg):
    """(peaks, x, rr) of the beats `predict --detect` classifies in `signal`: GQRS in its
    valid stretches, then the beats' own chain (those too near an edge dropped)."""
    from .detection import detect_in_stretches
    from .extract import MAX_GAP_S, beats_from_signal
    from .filters import valid_stretches

    filled, valid, _ = valid_stretches(signal, fs, MAX_GAP_S)
    peaks = detect_in_stretches(filled, valid, fs, "mV")
    x, rr, kept = beats_from_signal(signal, fs, peaks, extract_cfg)
    return peaks[kept], x, rr


def seed_of(record, seed):
    """A random generator for one record: the same noise for it in every run."""
    return np.random.default_rng([seed, zlib.crc32(str(record).encode())])


def noisy_copy(signal, fs, amplitude, pieces, cfg, phase, rng):
    """(noisy signal, [(start, stop, snr, piece name)]): noise in alternating stretches, each
    stretch a random piece of a random source (each source as likely) at one SNR of
    cfg["snr_db"], cycled in a random order."""
    noisy = np.array(signal, dtype=np.float64)
    plan, snrs = [], rng.permutation(cfg["snr_db"])
    sources = sorted({name.split(":")[0] for name, _, _ in pieces})
    for i, (a, b) in enumerate(stretches(len(signal), fs, cfg["stretch_s"], phase)):
        source = sources[int(rng.integers(len(sources)))]
        mine = [p for p in pieces if p[0].split(":")[0] == source]
        piece = mine[int(rng.integers(len(mine)))]
        snr = float(snrs[i % len(snrs)])
        add_noise(noisy, a, b, piece, fs, amplitude, snr, rng)
        plan.append((a, b, snr, piece[0]))
    return noisy, plan


def detected_classes(peaks, samples, labels, tolerance):
    """Class per detected beat: its paired reference beat's (one to one, within `tolerance`
    samples), Q where none pairs; and the index of that reference beat (-1: none)."""
    from .detection import pair_beats

    matched = pair_beats(peaks, samples, tolerance)
    return np.where(matched >= 0, np.append(labels, Q)[matched], Q).astype(np.int8), matched


def intact_neighbours(matched):
    """Per detected beat: paired, and so are the detections on both sides, with the reference
    beats on either side of its own (no extra detection, no missed beat between them): its
    RR features are the true ones."""
    prev = np.r_[-2, matched[:-1]]
    following = np.r_[matched[1:], -2]
    return (matched >= 0) & (prev == matched - 1) & (following == matched + 1)


def copy_beats(signal, fs, samples, labels, symbols, noisy, plan, extract_cfg, rr_intact):
    """The training beats of one noisy copy: dict x, rr, label, symbol, sample, snr of the
    detections inside its noisy stretches; with `rr_intact`, the N and S beats among them
    only where their RR features are true (intact_neighbours)."""
    from .detection import MATCH_TOLERANCE_S

    peaks, x, rr = detected_beats(noisy, fs, extract_cfg)
    label, matched = detected_classes(peaks, samples, labels, MATCH_TOLERANCE_S * fs)
    snr = np.full(len(peaks), np.nan, np.float32)
    for a, b, level, _ in plan:
        snr[(peaks >= a) & (peaks < b)] = level
    inside = ~np.isnan(snr)
    if rr_intact:
        inside &= ~np.isin(label, RR_DECIDES) | intact_neighbours(matched)
    symbol = np.append(np.asarray(symbols, dtype="<U1"), "")[matched]
    return {"x": x[inside], "rr": rr[inside], "label": label[inside],
            "symbol": symbol[inside], "sample": peaks[inside].astype(np.int32),
            "snr": snr[inside]}


def record_beats(path, lead, extract_cfg, pieces, cfg):
    """The training beats of a record's noisy copies (cfg["copies"]: the first with noise from
    0:00, the second from 2:00, ... so two copies put every stretch in noise once)."""
    from .records import read_beats, read_signal

    signal, fs, _ = read_signal(path, lead)
    samples, labels, symbols = read_beats(path, "atr", fs, len(signal))
    amplitude = qrs_amplitude(signal, fs, samples, labels)
    rng = seed_of(Path(path).name, cfg["seed"])
    parts = [copy_beats(signal, fs, samples, labels, symbols,
                        *noisy_copy(signal, fs, amplitude, pieces, cfg, copy % 2, rng),
                        extract_cfg, cfg["rr_intact"]) for copy in range(cfg["copies"])]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def noisy_dataset(records, nstdb_dir, extract_cfg, cfg, progress=True):
    """The noisy copies of `records` ([(database, lead, path)]) as one dataset with the keys
    of the beats dataset (x, rr, label, symbol, record, sample, database) plus snr."""
    from tqdm import tqdm

    pieces = noise_pieces(nstdb_dir, cfg["sources"])
    parts = []
    for database, lead, path in tqdm(records, desc="noisy copies", unit="record",
                                     disable=not progress):
        try:
            beats = record_beats(path, lead, extract_cfg, pieces, cfg)
        except EcgError as e:
            raise EcgError(f"record {Path(path).name}: {e}") from e
        n = len(beats["label"])
        parts.append({**beats, "record": np.full(n, Path(path).name),
                      "database": np.full(n, database)})
    if not parts:
        raise EcgError("params noisy: no record to copy")
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def training_copies(databases, records, raw_root="data/raw"):
    """[(database, lead, path)] of the records to copy: every pinned record of the extracted
    `databases` (params databases) that is not a test (DS2) or paced record, or only those of
    `records` (params noisy.records; null: all)."""
    from .download import database_checksums, pinned_records
    from .protocols import PACED
    from .splits import DS2

    out = [(name, db["lead"], Path(raw_root) / name / record)
           for name, db in databases.items() if db["extract"]
           for record in pinned_records(database_checksums(name, db["records"]))
           if record not in set(DS2) | set(PACED)]
    return only_records(out, records, lambda item: item[2].name, "noisy.records",
                        "training records of the extracted databases")


def only_records(items, records, record_of, param, among):
    """The `items` whose record name (`record_of(item)`) is in `records` (None: every item);
    the records no item has are named in one error (params `param`, not `among`)."""
    if records is None:
        return items
    chosen = {str(r) for r in records}
    kept = [item for item in items if record_of(item) in chosen]
    missing = sorted(chosen - {record_of(item) for item in kept})
    if missing:
        raise EcgError(f"params {param}: {', '.join(missing)} are not {among}")
    return kept
