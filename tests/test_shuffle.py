"""The epoch's shuffle is SplitMix64 Fisher-Yates, pinned to a plain Python reference.

The core draws each swap's index some swaps early to prefetch its target
(core/shuffle.hpp); the order must stay what the plain algorithm gives for the seed, at the
edges of that look-ahead too, or every seeded fit would change.
"""

from __future__ import annotations

import numpy as np
import pytest

from pygdx import _core

_MASK = (1 << 64) - 1


def _reference_shuffle(n: int, seed: int) -> np.ndarray:
    order = list(range(n))
    state = seed
    for i in range(n, 1, -1):
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        z ^= z >> 31
        j = z % i
        order[i - 1], order[j] = order[j], order[i - 1]
    return np.array(order, dtype=np.int64)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 31, 32, 33, 34, 64, 65, 1000, 20_000])
@pytest.mark.parametrize("seed", [0, 7, 2**63 + 12345, 2**64 - 1])
def test_shuffle_rows_is_splitmix64_fisher_yates(n: int, seed: int) -> None:
    order = np.arange(n, dtype=np.int64)
    _core.shuffle_rows(order, seed)
    np.testing.assert_array_equal(order, _reference_shuffle(n, seed))


def test_shuffle_rows_permutes_whatever_the_order_holds() -> None:
    # An epoch shuffles the order it was given (the previous epoch's): the swaps act on the
    # values in place, so a shuffled order shuffled again is the reference applied to it.
    first = np.arange(5000, dtype=np.int64)[::-1].copy()
    order = first.copy()
    _core.shuffle_rows(order, 99)
    np.testing.assert_array_equal(order, first[_reference_shuffle(5000, 99)])
