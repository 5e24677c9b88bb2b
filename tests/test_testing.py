"""symlens.testing: the reference objects are what they claim and the assertions fail loudly."""

import numpy as np
import pytest
import scipy.linalg
import torch

import symlens
from symlens.data import shift_matrix
from symlens.testing import (assert_equivariant, assert_orthogonal, assert_permutation_matrix, delta_filter,
                             exact_shift_generator, padded_shift_generator, reversal_matrix)


def test_not_exported_from_the_package():
    assert "testing" not in symlens.__all__


def test_exact_shift_generator():
    T = exact_shift_generator(4)
    np.testing.assert_array_equal(T, [[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    e = np.eye(4)
    np.testing.assert_array_equal(T @ e[1], e[2])  # T e_i = e_{i+1}
    np.testing.assert_array_equal(T @ e[3], e[0])  # wraps around
    np.testing.assert_array_equal(exact_shift_generator(6, circulant=False), shift_matrix(6))
    np.testing.assert_array_equal(np.linalg.matrix_power(exact_shift_generator(5), 5), np.eye(5))
    with pytest.raises(ValueError, match="positive integer"):
        exact_shift_generator(0)


def test_padded_shift_generator_crop_is_non_circulant():
    G = padded_shift_generator(5, 2)
    assert G.shape == (9, 9)
    assert_orthogonal(G)
    np.testing.assert_array_equal(G[2:-2, 2:-2], np.eye(5, k=-1))
    with pytest.raises(ValueError, match="padding"):
        padded_shift_generator(5, 0)


def test_delta_filter_and_reversal():
    np.testing.assert_array_equal(delta_filter(5), [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(delta_filter(5, 0), [1, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="outside"):
        delta_filter(5, 5)
    np.testing.assert_array_equal(reversal_matrix(3), [[0, 0, 1], [0, 1, 0], [1, 0, 0]])


def test_assert_orthogonal():
    A = np.random.default_rng(0).normal(size=(6, 6))
    assert_orthogonal(scipy.linalg.expm(A - A.T), atol=1e-12)
    assert_orthogonal(torch.eye(3))  # tensors are accepted
    with pytest.raises(AssertionError, match=r"not orthogonal: max\|M Mᵀ - I\| = 0.21"):
        assert_orthogonal(1.1 * np.eye(3), atol=1e-3)
    with pytest.raises(AssertionError, match="not a square"):
        assert_orthogonal(np.ones((2, 3)))
    with pytest.raises(AssertionError, match="NaN"):
        assert_orthogonal(np.full((2, 2), np.nan))
    with pytest.raises(AssertionError, match="generator"):
        assert_orthogonal(2 * np.eye(2), name="generator")


def test_assert_permutation_matrix():
    assert_permutation_matrix(exact_shift_generator(5))
    assert_permutation_matrix(reversal_matrix(4))
    with pytest.raises(AssertionError, match="row 1 is not a unit vector"):
        assert_permutation_matrix([[1.0, 0.0], [0.5, 0.5]])
    with pytest.raises(AssertionError, match=r"column\(s\) \[0\]"):
        assert_permutation_matrix([[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(AssertionError, match="row 0"):
        assert_permutation_matrix([[-1.0, 0.0], [0.0, 1.0]])  # a signed permutation is not one


def test_assert_equivariant():
    N = 7
    G = exact_shift_generator(N)
    c = (N - 1) // 2
    K = np.stack([delta_filter(N) @ np.linalg.matrix_power(G, n - c) for n in range(N)])
    X = np.random.default_rng(0).normal(size=(50, N))
    err = assert_equivariant(K, G, X, rtol=1e-12)
    assert 0 <= err <= 1e-12
    with pytest.raises(AssertionError, match="not equivariant.*N = 7"):
        assert_equivariant(np.random.default_rng(1).normal(size=(N, N)), G, X, rtol=0.1)
    with pytest.raises(AssertionError, match="not equivariant"):
        assert_equivariant(K, G @ G, X, rtol=1e-3)  # the squared generator shifts by two
