"""Detected beats classified twice: the detections the model calls Q are noise, not beats.

In noise GQRS finds noise as beats (QRS +P 0.87 at 12 dB on the CV noise test, 0.63 on
nstdb). Trained on noisy copies (noisy.py), the model calls nearly all of them Q, but left in
they still corrupt the real beats around them: an extra detection splits an RR interval, so
the next beat looks premature (S, V), and it enters the record's beat template. So `predict
--detect` takes a second look: the detections called Q keep their call, and every other beat
is classified again with its RR features and template computed without them (round 9 of
docs/experiments.md, chosen on the CV noise test). Each look averages the beats with their
look-alikes, classifies them, then votes their V shares among them (beat_averaging.looked).
Annotated beats are beats: no second look.
"""

import numpy as np

from .aami import CLASSES

Q = CLASSES.index("Q")


def second_look(x, rr, beats_at, look, first_look=None):
    """(first-look probabilities, inputs seen, rr, probabilities, noise mask) of detected beats.

    `look(x, rr)`: (inputs seen, probabilities) of beat windows as cut (beat_averaging.looked);
    `first_look` (default `look`) the first time, and then every beat not called Q takes the
    second. `beats_at(mask)` gives (x, rr, kept) of the beats in `mask` as if they were the
    only detections (kept: those it could cut, as extract.beats_from_signal). The detections
    the first look calls Q (`noise`) keep its inputs and probabilities, and so does a beat the
    second look cannot cut (alone in a valid stretch: no RR interval); the others get new ones.
    """
    seen, first = (first_look or look)(x, rr)
    noise = first.argmax(1) == Q
    beats = ~noise
    if (not noise.any() and first_look is None) or beats.sum() < 2:
        return first, seen, rr, first, noise
    seen, rr, probs = seen.copy(), rr.copy(), first.copy()
    x2, rr2, kept = beats_at(beats)
    again = np.flatnonzero(beats)[kept]
    seen[again], probs[again] = look(x2, rr2)
    rr[again] = rr2
    return first, seen, rr, probs, noise
