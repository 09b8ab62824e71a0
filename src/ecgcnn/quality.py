"""Label-free signal quality per beat, and the gate that calls unreadable beats Q.

A beat in a stretch too noisy to classify is better called Q (AAMI's "unclassifiable": EC57
counts a Q call neither as a false VEB nor as a false SVEB) than guessed: noise, and the false
detections it causes, otherwise become V beats.

The index reads only the conditioned beat windows `x` [n, L, 2] that
`extract.beats_from_signal` makes (resampled to extract.target_fs, channel 0 in units of the
record's local median R amplitude), so it does not depend on the recording's lead, rate,
amplitude or length. Two measures of one beat:

- noise: the roughness of the stretch before the QRS complex (`start_s` to `stop_s` from the
  R peak, where a clean beat holds at most a slow P wave or the smooth end of the previous T
  wave), the RMS second difference of channel 0 there, in R amplitudes per (10 ms)^2. Noise
  and electrode motion add fast wiggles; an ectopic beat's shape (its QRS is outside) adds
  almost none, so a ventricular beat is not taken for noise.
- QRS prominence: the peak-to-peak of channel 0 within `qrs_half_s` of the R peak, in the
  record's local median R amplitudes (about 1 for a usual beat, more for most V beats; a
  false detection on a noise peak, the commonest false V in noise, is well below 1).

ratio = noise / prominence^2: a noise-to-QRS ratio (noise / prominence) times how small the
QRS is against the record's usual beats (1 / prominence). The index is 1 / (1 + ratio): 1 for
a clean beat, 0.5 where the ratio is 1, towards 0 for noise.

params `quality` (saved into each model's config.json at training, so a packaged model
carries its gate): `threshold` (a beat with quality below it is called Q; 0 = off),
`start_s`, `stop_s`, `qrs_half_s`.
"""

import numpy as np

UNIT_S = 0.01  # roughness per (10 ms)^2: the same number at any rate of the beat windows
MIN_PROMINENCE = 1e-3  # a flat window (no QRS at all): its ratio stays finite


def roughness(x, fs, window_before_s, start_s, stop_s):
    """RMS second difference of channel 0 of beat windows `x` [n, L, 2] (at `fs` Hz, the R
    peak `window_before_s` into the window) from `start_s` to `stop_s` (relative to the R peak:
    negative = before it), per (UNIT_S)^2."""
    first = int(round((window_before_s + start_s) * fs))
    last = int(round((window_before_s + stop_s) * fs))
    segment = np.asarray(x, dtype=np.float64)[:, max(first, 0):max(last, 0) + 1, 0]
    if segment.shape[1] < 3:
        return np.zeros(len(segment))
    second = np.diff(segment, n=2, axis=1) * (UNIT_S * fs) ** 2
    return np.sqrt(np.mean(second ** 2, axis=1))


def prominence(x, fs, window_before_s, half_s):
    """Peak-to-peak of channel 0 of beat windows `x` within `half_s` of the R peak."""
    r, half = int(round(window_before_s * fs)), max(1, int(round(half_s * fs)))
    return np.ptp(np.asarray(x, dtype=np.float64)[:, max(r - half, 0):r + half + 1, 0], axis=1)


def beat_quality(x, fs, window_before_s, cfg):
    """Quality index in (0, 1] per beat (1 = clean) from params `quality` (`cfg`)."""
    rough = roughness(x, fs, window_before_s, cfg["start_s"], cfg["stop_s"])
    pp = np.maximum(prominence(x, fs, window_before_s, cfg["qrs_half_s"]), MIN_PROMINENCE)
    return 1.0 / (1.0 + rough / pp ** 2)


def model_quality(config, x):
    """(quality per beat, the mask of beats the model's gate calls Q) of beat windows x, or
    (None, None) for a model without a gate (config.json `quality`) or with threshold 0."""
    cfg = config.get("quality")
    if not cfg or not cfg["threshold"]:
        return None, None
    extract = config["extract"]
    quality = beat_quality(x, extract["target_fs"], extract["window_before_s"], cfg)
    return quality, quality < cfg["threshold"]


def gated_classes(config, x, predicted, unclassifiable):
    """Predicted class indices with the model's gate applied: what `ecgcnn predict` calls
    each beat (the evaluate and cross_database stages score these)."""
    _, noisy = model_quality(config, x)
    return predicted if noisy is None else np.where(noisy, unclassifiable, predicted)


def add_quality(frame, x, config):
    """Apply a model's gate (config.json `quality`) to predict's beats frame, in place: beats
    whose quality is below the threshold are `predicted` Q (their probabilities kept), and
    the columns `quality` and `noisy` are added. Nothing changes for a model without a gate
    or with threshold 0."""
    quality, noisy = model_quality(config, x)
    if quality is None:
        return
    frame["predicted"] = np.where(noisy, "Q", frame["predicted"].to_numpy())
    frame["quality"] = np.round(quality, 4)
    frame["noisy"] = noisy
