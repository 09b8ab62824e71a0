"""The classifier: a residual 1D-CNN for beat shape plus a separate path for rhythm (RR).

The two paths add their logits (a product of experts). Supraventricular beats look normal
and are told apart by coming early; a joint network that sees beat and RR together learns
to memorise the S beats of the training patients and ignores RR (see docs/design.md). So with
`rhythm_decides_s` the shape path has one logit for "normal-shaped" shared by N and S: only
the RR path can tell them apart. Training also drops the shape logits of a random part of
each batch (`shape_dropout` in train), so the RR path learns to classify by itself.
"""

import jax
import jax.numpy as jnp
from flax import nnx

from .aami import CLASSES
from .pooling import max_pool


class ResidualBlock(nnx.Module):
    """conv-relu-conv + skip, relu, max-pool by 2 (Kachuee et al. 2018).

    The pool is nnx.max_pool's (window 5, stride 2, SAME) with a gradient XLA:CPU runs
    faster (pooling.py)."""

    def __init__(self, filters, kernel_size, *, rngs):
        self.conv1 = nnx.Conv(filters, filters, kernel_size, padding="SAME", rngs=rngs)
        self.conv2 = nnx.Conv(filters, filters, kernel_size, padding="SAME", rngs=rngs)

    def __call__(self, x):
        y = self.conv2(nnx.relu(self.conv1(x)))
        return max_pool(nnx.relu(x + y), 5, 2)


class BeatClassifier(nnx.Module):
    def __init__(self, *, window, channels, rr_features, filters, kernel_size, blocks, dense,
                 rr_hidden, dropout, rhythm_decides_s, shape_channels, rngs):
        # Which input channels the shape path reads (0: the beat, 1: beat minus the record's
        # median beat); a list in params.yaml.
        self.shape_channels = tuple(int(c) for c in shape_channels)
        if not self.shape_channels or not all(0 <= c < channels for c in self.shape_channels):
            raise ValueError(f"model.shape_channels={list(shape_channels)}: each must be one of "
                             f"the {channels} input channels (0..{channels - 1})")
        self.stem = nnx.Conv(len(self.shape_channels), filters, kernel_size, padding="SAME",
                             rngs=rngs)
        self.blocks = nnx.List([ResidualBlock(filters, kernel_size, rngs=rngs)
                                for _ in range(blocks)])
        length = window
        for _ in range(blocks):
            length = -(-length // 2)  # SAME pooling with stride 2
        self.shape_dense = nnx.Linear(filters * length, dense, rngs=rngs)
        # Which shape logit each class reads: N and S share one when rhythm decides S.
        self.shape_of_class = (0, 0, 1, 2, 3) if rhythm_decides_s else (0, 1, 2, 3, 4)
        self.shape_out = nnx.Linear(dense, max(self.shape_of_class) + 1, rngs=rngs)
        self.rr_dense = nnx.Linear(rr_features, rr_hidden, rngs=rngs)
        self.rr_out = nnx.Linear(rr_hidden, len(CLASSES), rngs=rngs)
        self.dropout = nnx.Dropout(dropout)

    def __call__(self, x, rr, *, shape_keep=None, dropout_key=None):
        """Logits [batch, classes] for beats x [batch, window, channels] and rr [batch, k].

        `shape_keep` (0/1 per beat) zeroes the shape logits of some beats; `dropout_key`
        switches dropout on (training). Both are None at inference.
        """
        h = nnx.relu(self.stem(x[..., self.shape_channels]))
        for block in self.blocks:
            h = block(h)
        h = nnx.relu(self.shape_dense(h.reshape(h.shape[0], -1)))
        h = self.dropout(h, deterministic=dropout_key is None, rngs=dropout_key)
        shape_logits = self.shape_out(h)[:, jnp.array(self.shape_of_class)]
        if shape_keep is not None:
            shape_logits = shape_logits * shape_keep[:, None]
        rr_logits = self.rr_out(nnx.relu(self.rr_dense(rr)))
        return shape_logits + rr_logits


def build_model(model_cfg, window, channels, rr_features, seed):
    return BeatClassifier(window=window, channels=channels, rr_features=rr_features,
                          rngs=nnx.Rngs(seed), **model_cfg)


def count_params(model):
    return sum(int(p.size) for p in jax.tree.leaves(nnx.state(model, nnx.Param)))
