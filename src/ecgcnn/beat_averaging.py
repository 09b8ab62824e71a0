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

params `averaging`: `neighbours` on each side (0: off), `strength`, `span_s`. `ecgcnn
predict` uses the committed run's (`averaging_defaults.json`, copied by `make
package-model`).
"""

import json
from pathlib import Path

import numpy as np

from .io import EcgError

FLOOR_PERCENTILE = 25  # the lower quartile: the beats of the usual shape, not the ectopic ones
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


def averaged(x, cfg, fs, window_before_s):
    """Beat windows x [n, L, 2] (at `fs`, the R peak `window_before_s` into each) with each
    beat averaged with its look-alikes among cfg `neighbours` on each side (params
    `averaging`; 0 neighbours: x itself)."""
    k, n = cfg["neighbours"], len(x)
    if k == 0 or n < 2:
        return x
    part = span_samples(cfg["span_s"], fs, window_before_s)
    beat = x[:, :, 0].astype(np.float64)
    noise = np.maximum(noise_power(x[:, part, 1].astype(np.float64), k), 1e-12)
    qrs = beat[:, part]
    total, weights, product = beat.copy(), np.ones(n), np.empty_like(beat)
    for offset in range(1, min(k, n - 1) + 1):  # beats i and i + offset, each other's neighbour
        d2 = ((qrs[:-offset] - qrs[offset:]) ** 2).mean(1)
        for to, of in ((slice(None, -offset), slice(offset, None)),
                       (slice(offset, None), slice(None, -offset))):
            w = np.exp(-np.maximum(d2 - 2 * noise[to], 0) / (cfg["strength"] * noise[to]))
            total[to] += np.multiply(w[:, None], beat[of], out=product[:n - offset])
            weights[to] += w
    mean = np.divide(total, weights[:, None], out=total)
    out = np.empty_like(x)
    out[:, :, 0] = mean
    out[:, :, 1] = mean - (beat - x[:, :, 1])  # against the same template
    return out
