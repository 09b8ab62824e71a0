"""Max pooling over time with SAME padding, and a gradient that is cheap on XLA:CPU.

`flax.nnx.max_pool` lowers to reduce_window, whose gradient XLA:CPU expands into index
tensors and a scatter (select-and-scatter). Here the input is split into its `stride`
phases, every window position is a plain slice of a phase, and the gradient is routed back
by slices and pads: loop fusions only (the train step 4-5 % faster, README Performance).
Same outputs as `nnx.max_pool(x, (window,), (stride,), "SAME")`; where a window holds its
maximum twice, the whole gradient goes to the first (reduce_window's choice
is unspecified; any choice is a valid subgradient).
"""

import functools

import jax
import jax.numpy as jnp


def same_padding(length, window, stride):
    """(output length, padding before, padding after) of SAME pooling, as XLA pads."""
    out = -(-length // stride)
    total = max((out - 1) * stride + window - length, 0)
    return out, total // 2, total - total // 2


def _phases(x, window, stride):
    """x [batch, length, channels] padded with -inf and reshaped to its phases
    [batch, rows, stride, channels]: window position k of output i is
    phases[:, i + k // stride, k % stride]."""
    out, before, _ = same_padding(x.shape[1], window, stride)
    rows = out + (window - 1) // stride
    after = rows * stride - x.shape[1] - before
    padded = jnp.pad(x, ((0, 0), (before, after), (0, 0)), constant_values=-jnp.inf)
    return padded.reshape(x.shape[0], rows, stride, x.shape[2]), out, before


def _max_and_argmax(x, window, stride):
    phases, out, before = _phases(x, window, stride)
    y = phases[:, :out, 0]
    position = jnp.int8 if window < 128 else jnp.int32
    first = jnp.zeros(y.shape, position)  # window position of the (first) maximum
    for k in range(1, window):
        candidate = phases[:, k // stride:k // stride + out, k % stride]
        first = jnp.where(candidate > y, position(k), first)
        y = jnp.maximum(y, candidate)
    return y, first, phases.shape[1], before


def max_pool(x, window, stride):
    """Max over windows of `window` samples every `stride` samples of x [batch, length,
    channels], SAME padding: [batch, ceil(length / stride), channels]. Reverse-mode
    differentiable (jax.grad, vjp); forward mode (jvp, hessian) is not defined."""
    if not 1 <= stride <= window:
        raise ValueError(f"max_pool: stride {stride} must be between 1 and the window {window}")
    return _max_pool(x, window, stride)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _max_pool(x, window, stride):
    return _max_and_argmax(x, window, stride)[0]


def _forward(x, window, stride):
    y, first, rows, before = _max_and_argmax(x, window, stride)
    return y, (first, x.shape[1], rows, before)


def _backward(window, stride, residuals, g):
    first, length, rows, before = residuals
    out = g.shape[1]

    def routed(k):  # the gradient of the outputs whose maximum is at window position k,
        shift = k // stride  # placed on the rows of its phase: output i reads row i + shift
        return jnp.pad(jnp.where(first == k, g, 0), ((0, 0), (shift, rows - out - shift), (0, 0)))

    phase_grads = [sum(routed(k) for k in range(phase, window, stride))
                   for phase in range(stride)]
    grad = jnp.stack(phase_grads, axis=2).reshape(g.shape[0], rows * stride, g.shape[2])
    return (grad[:, before:before + length],)


_max_pool.defvjp(_forward, _backward)
