"""pooling.max_pool is nnx.max_pool (SAME) with a cheaper gradient: same values, same gradient."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from ecgcnn.pooling import max_pool, same_padding


def reference(x, window, stride):
    return nnx.max_pool(x, window_shape=(window,), strides=(stride,), padding="SAME")


@pytest.mark.parametrize("window,stride", [(5, 2), (3, 2), (2, 2), (4, 3), (3, 1)])
@pytest.mark.parametrize("length", [1, 2, 3, 4, 5, 16, 63, 126])
def test_values_and_gradient_match_reduce_window(window, stride, length):
    x = jax.random.normal(jax.random.key(length), (3, length, 4))  # no ties
    ours, ours_vjp = jax.vjp(lambda v: max_pool(v, window, stride), x)
    theirs, theirs_vjp = jax.vjp(lambda v: reference(v, window, stride), x)
    assert ours.shape == theirs.shape == (3, same_padding(length, window, stride)[0], 4)
    np.testing.assert_array_equal(ours, theirs)
    g = jax.random.normal(jax.random.key(length + 1), ours.shape)
    np.testing.assert_allclose(ours_vjp(g)[0], theirs_vjp(g)[0], atol=1e-6)


def test_ties_send_the_gradient_to_one_input_per_window():
    # After a ReLU whole windows are 0: each window's gradient must still be counted once,
    # on the first maximum, not split or duplicated.
    x = jnp.zeros((1, 8, 1)).at[0, 5, 0].set(1.0)
    grad = jax.grad(lambda v: max_pool(v, 5, 2).sum())(x)[0, :, 0]
    # windows (SAME pads 1 before): [-1..3] [1..5] [3..7] [5..8]; x[5] is the max of three
    assert grad.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0]
    assert float(grad.sum()) == max_pool(x, 5, 2).size


@pytest.mark.parametrize("window,stride", [(5, 2), (2, 2), (4, 3), (3, 1)])
def test_same_padding_is_jaxs(window, stride):
    for length in range(1, 130):
        (before, after), = jax.lax.padtype_to_pads((length,), (window,), (stride,), "SAME")
        assert same_padding(length, window, stride) == (-(-length // stride), before, after)


def test_stride_larger_than_window_is_refused_under_grad_too():
    for f in (lambda v: max_pool(v, 2, 3), jax.grad(lambda v: max_pool(v, 2, 3).sum())):
        with pytest.raises(ValueError, match="stride 3"):
            f(jnp.zeros((1, 6, 1)))


def test_wide_windows_keep_their_positions():
    # window positions are stored as int8 up to 127, int32 beyond
    # SAME pads 50 before: windows [-50, 150) and [50, 250) both hold sample 140, the first
    # at its position 190
    x = jnp.zeros((1, 300, 1)).at[0, 140, 0].set(1.0)
    grad = jax.grad(lambda v: max_pool(v, 200, 100).sum())(x)
    np.testing.assert_array_equal(max_pool(x, 200, 100), reference(x, 200, 100))
    assert float(grad[0, 140, 0]) == 2.0
