"""Detected beats averaged with their look-alikes in the record: the noise falls, the shape stays.

In noise a wide N beat (a bundle-branch block's) looks like a V beat: that is most of what is
left of the stress test's false V calls (docs/experiments.md, round 10). But a record repeats
its beats, so each detected beat is averaged with the neighbours that look like it, as
non-local means averages look-alike patches of an image. Neighbour j weighs, for beat i,

    exp(-max(d2_ij - 2 noise_i, 0) / (strength * noise_i))

d2_ij: their mean squared difference over the QRS complex (params `span_s` around the R
peak); noise_i: the noise power there around beat i (the lower quartile, over beat i and its
neighbours, of the beat-minus-template power). Two beats of one shape differ by about twice
the noise power, so they average; a V beat differs from its N neighbours by far more than
the noise and keeps its own shape. Clean, the noise power is small and so is the averaging.

Channel 0 (the beat) is averaged and channel 1 (beat minus the record template) follows it:
the template, the median of ~300 beats, is averaged already. The RR features are untouched.
Only detected beats are averaged (`predict --detect`, the noise tests): annotated beats are
scored as the evaluate and cv stages score them. Chosen on the CV noise test (round 11).

Averaged, a noisy N beat may still look V while most of its look-alikes are called N. So
after each look its V share is voted among the same look-alikes (`voted`, weights
exp(-unlikeness / vote_strength)); N against S stays its own rhythm's call (round 12).

params `averaging`: `neighbours` on each side (0: off), `strength`, `span_s`,
`vote_strength` (0: no vote). `ecgcnn predict` uses the committed run's
(`averaging_defaults.json`, copied by `make package-model`).
"""

import json
from pathlib import Path

import numpy as np

from .aami import CLASSES
from .io import EcgError

FLOOR_PERCENTILE = 25  # the lower quartile: the beats of the usual shape, not the ectopic ones
V, Q = CLASSES.index("V"), CLASSES.index("Q")
AVERAGING_FILE = Path(__file__).with_name("averaging_defaults.json")  # the committed run's


def packaged():
    """The committed run's params `averaging` (what `ecgcnn predict` uses)."""
    try:
        return json.loads(AVERAGING_FILE.read_text())
    except (OSError, ValueError) as e:
        raise EcgError(f"{AVERAGING_FILE}: not an averaging config ({type(e).__name__}: {e})"
                       ) from e


def shifted(a, offset):
    """a[i + offset] in row i, NaN past the ends."""
    out = np.full(a.shape, np.nan)
    n = len(a)
    if abs(offset) >= n:
        return out
    if offset >= 0:
        out[:n - offset] = a[offset:]
    else:
        out[-offset:] = a[:n + offset]
    return out


def span_samples(span_s, fs, window_before_s):
    """The slice of a beat window (at `fs`, the R peak `window_before_s` into it) from
    span_s[0] to span_s[1] seconds from the R peak (the end excluded)."""
    r = window_before_s * fs
    return slice(int(round(r + span_s[0] * fs)), int(round(r + span_s[1] * fs)))


def noise_power(residual, neighbours):
    """Per beat: the FLOOR_PERCENTILE of the mean squared `residual` (beat minus template)
    over the beat and its `neighbours` on each side."""
    power = (residual ** 2).mean(1)
    around = np.stack([shifted(power, o) for o in range(-neighbours, neighbours + 1)], 1)
    return np.nanpercentile(around, FLOOR_PERCENTILE, axis=1)


def offsets(k):
    """The neighbours' offsets, one column each in `unlikeness`: -k ... -1, 1 ... k."""
    return np.r_[-k:0, 1:k + 1]


def unlikeness(x, cfg, fs, window_before_s):
    """[n, 2k] for beat windows x [n, L, 2] and their cfg `neighbours` k on each side (columns:
    `offsets(k)`): max(d2 - 2 noise_i, 0) / noise_i, how much more beat i and that neighbour
    differ over the QRS than two beats of one shape would (inf: no such neighbour). A
    neighbour's weight is exp(-unlikeness / strength)."""
    k, n = cfg["neighbours"], len(x)
    out = np.full((n, 2 * k), np.inf)
    if k == 0 or n < 2:
        return out
    part = span_samples(cfg["span_s"], fs, window_before_s)
    noise = np.maximum(noise_power(x[:, part, 1].astype(np.float64), k), 1e-12)
    qrs = x[:, part, 0].astype(np.float64)
    for offset in range(1, min(k, n - 1) + 1):  # beats i and i + offset, each other's neighbour
        d2 = ((qrs[:-offset] - qrs[offset:]) ** 2).mean(1)
        for rows, column in ((slice(None, -offset), k + offset - 1), (slice(offset, None),
                                                                     k - offset)):
            out[rows, column] = np.maximum(d2 - 2 * noise[rows], 0) / noise[rows]
    return out


def neighbour_sum(values, weights):
    """Per beat: sum over its neighbours j (columns of `weights`, see `unlikeness`) of
    weights[i, j] * values[i + offset_j]."""
    k, n = weights.shape[1] // 2, len(values)
    total = np.zeros(values.shape, dtype=np.float64)
    product = np.empty_like(total)  # one buffer: a 24-hour record's windows are ~110 MB
    for j, offset in enumerate(offsets(k)):
        if abs(offset) >= n:
            continue
        to, of = ((slice(None, -offset), slice(offset, None)) if offset > 0
                  else (slice(-offset, None), slice(None, offset)))
        w = weights[to, j].reshape(-1, *[1] * (values.ndim - 1))
        total[to] += np.multiply(w, values[of], out=product[:n - abs(offset)])
    return total


def averaged(x, cfg, fs, window_before_s, unlike=None):
    """Beat windows x [n, L, 2] (at `fs`, the R peak `window_before_s` into each) with each
    beat averaged with its look-alikes among cfg `neighbours` on each side (params
    `averaging`; 0 neighbours: x itself). `unlike`: their `unlikeness`, if computed."""
    if cfg["neighbours"] == 0 or len(x) < 2:
        return x
    if unlike is None:
        unlike = unlikeness(x, cfg, fs, window_before_s)
    weights = np.exp(-unlike / cfg["strength"])
    beat = x[:, :, 0].astype(np.float64)
    mean = neighbour_sum(beat, weights)  # in place from here: ~110 MB each on 24 hours
    mean += beat
    mean /= (1 + weights.sum(1))[:, None]
    out = np.empty_like(x)
    out[:, :, 0] = mean
    out[:, :, 1] = mean - (beat - x[:, :, 1])  # against the same template
    return out


def voted(probs, unlike, cfg, voters):
    """Class probabilities [n, 5] with each beat's V share the weighted mean of its own and
    its look-alikes' (weights exp(-unlike / cfg `vote_strength`); only `voters`, a mask,
    count, and a beat outside it keeps its probabilities), its other classes rescaled to the
    rest. Whether a beat is ventricular is its shape's question, which its look-alikes answer
    with less noise; N against S is its own rhythm's. cfg `vote_strength` 0 (or no
    neighbours): probs as they are."""
    if not cfg.get("vote_strength") or cfg["neighbours"] == 0 or len(probs) < 2:
        return probs
    weights = np.exp(-unlike / cfg["vote_strength"])
    p = probs.astype(np.float64)
    counted, voting = neighbour_sum(np.stack([voters, np.where(voters, p[:, V], 0.0)], 1),
                                    weights).T  # the voters' weights and their V shares
    share = (p[:, V] + voting) / (1 + counted)
    rest = 1 - p[:, V]
    out = p * np.where(rest > 1e-12, (1 - share) / np.maximum(rest, 1e-12), 0.0)[:, None]
    out[rest <= 1e-12] = (1 - share[rest <= 1e-12, None]) / (p.shape[1] - 1)
    out[:, V] = share
    out[~voters] = p[~voters]
    return out.astype(probs.dtype)


def looked(x, rr, classify, cfg, extract_cfg):
    """(windows seen, probabilities) of detected beats' windows x [n, L, 2] as cut (extract
    params `extract_cfg`): averaged with their look-alikes (params averaging `cfg`),
    classified (`classify(x, rr)`: probabilities) and their V shares voted (`voted`; the beats
    called Q, noise, neither voted nor voting)."""
    fs, before = extract_cfg["target_fs"], extract_cfg["window_before_s"]
    unlike = unlikeness(x, cfg, fs, before)
    seen = averaged(x, cfg, fs, before, unlike)
    probs = classify(seen, rr)
    return seen, voted(probs, unlike, cfg, probs.argmax(1) != Q)
