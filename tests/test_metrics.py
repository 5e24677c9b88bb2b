"""symlens.metrics: the accuracy scores on matrices with known answers."""

import numpy as np
import pytest
import scipy.fft
import scipy.linalg
from scipy.stats import ortho_group

from symlens.metrics import (best_direction, cosine_similarity, cosine_without_exit, equivariance_error, generator_cosine_similarity,
                             generator_rmse, group_convolution_alignment, group_convolution_cosine_similarity,
                             ideal_group_convolution, shift_matrix, signal_recovery)
from symlens.testing import delta_filter, exact_shift_generator, reversal_matrix


def _K_from(G, psi):
    """Rows ψᵀ G^{n-(N-1)/2} with numpy matrix powers (no padding)."""
    N = len(psi)
    return np.stack([psi @ np.linalg.matrix_power(G, n - (N - 1) // 2) for n in range(N)])


def test_cosine_similarity_basics():
    A = np.random.default_rng(0).normal(size=(5, 5))
    assert cosine_similarity(A, A) == pytest.approx(1.0, abs=1e-12)
    assert cosine_similarity(A, -A) == pytest.approx(-1.0, abs=1e-12)
    assert cosine_similarity(A, 3.0 * A) == pytest.approx(1.0, abs=1e-12)
    # hand case: <[[1,0],[0,1]], [[1,1],[0,0]]> = 1, norms √2 and √2
    assert cosine_similarity(np.eye(2), [[1.0, 1.0], [0.0, 0.0]]) == pytest.approx(0.5)
    assert cosine_similarity(np.zeros((2, 2)), np.eye(2)) == 0.0


def test_metric_inputs_are_validated():
    with pytest.raises(ValueError, match="shape mismatch"):
        cosine_similarity(np.eye(3), np.eye(4))
    with pytest.raises(ValueError, match="2-D"):
        cosine_similarity(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        generator_rmse(np.full((2, 2), np.nan), np.eye(2))


def test_generator_cosine_ignores_direction():
    T = exact_shift_generator(9, circulant=False)
    assert generator_cosine_similarity(T.T, T) == pytest.approx(1.0)
    assert generator_cosine_similarity(T, T) == pytest.approx(1.0)
    assert cosine_similarity(T.T, T) == 0.0  # without the direction choice they are orthogonal
    np.testing.assert_array_equal(best_direction(T.T, T), T.T)
    np.testing.assert_array_equal(best_direction(T, T), T)
    # a power of the generator is a different matrix: cos(T², T) = 0
    assert generator_cosine_similarity(T @ T, T) == 0.0


def test_generator_rmse():
    N = 7
    T = exact_shift_generator(N, circulant=False)
    assert generator_rmse(T, T) == 0.0
    assert generator_rmse(T.T, T) == 0.0  # after the direction choice
    E = np.zeros((N, N))
    E[2, 5] = 0.7
    E[0, 0] = -0.7
    assert generator_rmse(T + E, T) == pytest.approx(np.sqrt(2 * 0.49 / N ** 2), rel=1e-12)
    # learned identity against the shift: N - 1 missing ones and N extra ones -> (2N-1)/N² mean square
    assert generator_rmse(np.eye(N), T) == pytest.approx(np.sqrt((2 * N - 1) / N ** 2), rel=1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("reflect", [False, True])
@pytest.mark.parametrize("Q", ["identity", "dst", "random"])
def test_ideal_group_convolution_picks_the_right_candidate(sign, reflect, Q):
    N = 7
    Qm = {"identity": np.eye(N), "dst": scipy.fft.dst(np.eye(N), type=1, norm="ortho", axis=0),
          "random": ortho_group.rvs(N, random_state=1)}[Q]
    R = reversal_matrix(N)
    assert all(R[i, j] == (i + j == N - 1) for i in range(N) for j in range(N))  # anti-diagonal i + j = N-1
    K = sign * (R @ Qm.T if reflect else Qm.T)
    noisy = K + 0.05 * np.random.default_rng(2).normal(size=K.shape)
    np.testing.assert_allclose(ideal_group_convolution(noisy, Qm), K, atol=1e-12)
    assert group_convolution_cosine_similarity(K, Qm) == pytest.approx(1.0)


def test_ideal_is_minus_R_QT():
    N = 5
    Q = ortho_group.rvs(N, random_state=3)
    R = reversal_matrix(N)
    np.testing.assert_allclose(ideal_group_convolution(-R @ Q.T, Q), -R @ Q.T, atol=1e-12)


def test_equivariance_error_exact_and_random():
    N = 9
    G = exact_shift_generator(N)  # circulant: exactly orthogonal, no edge effects
    K = _K_from(G, delta_filter(N))
    X = np.random.default_rng(0).normal(size=(200, N))
    assert equivariance_error(K, G, X) < 1e-12
    assert equivariance_error(K, G.T, X) < 1e-12  # the other direction is tried too
    assert equivariance_error(K, G, X, margin=0) < 1e-12
    Kr = np.random.default_rng(1).normal(size=(N, N))
    assert equivariance_error(Kr, G, X) > 0.5
    # a generic orthogonal G and its own group convolution (non-delta filter) are equivariant too
    A = np.random.default_rng(4).normal(size=(N, N))
    Gr = scipy.linalg.expm(0.5 * (A - A.T))
    psi = np.random.default_rng(5).normal(size=N)
    assert equivariance_error(_K_from(Gr, psi), Gr, X) < 1e-10


def test_equivariance_error_hand_case():
    # K = I, G = I: (K G x)_n - (K x)_{n+1} = x_n - x_{n+1}
    N = 5
    X = np.array([[1.0, 2.0, 4.0, 8.0, 16.0]])
    # margin 1: n = 1, 2 compared with 2, 3 -> diffs (2 - 4, 4 - 8), reference ‖(4, 8)‖
    expected = np.hypot(2.0, 4.0) / np.hypot(4.0, 8.0)
    assert equivariance_error(np.eye(N), np.eye(N), X, margin=1) == pytest.approx(expected)


def test_equivariance_error_bad_input():
    with pytest.raises(ValueError, match="margin"):
        equivariance_error(np.eye(3), np.eye(3), np.ones((2, 3)), margin=1)
    with pytest.raises(ValueError, match="shape"):
        equivariance_error(np.eye(5), np.eye(5), np.ones((2, 4)))


def test_signal_recovery():
    S = np.random.default_rng(0).normal(size=(100, 7))
    r = signal_recovery(-S[:, ::-1], S)
    assert r["correlation"] == pytest.approx(1.0)
    assert r["reflected"] is True and r["sign"] == -1.0
    np.testing.assert_allclose(r["per_component"], 1.0)
    r = signal_recovery(2.0 * S + 1.0, S)
    assert r["reflected"] is False and r["sign"] == 1.0 and r["correlation"] == pytest.approx(1.0)
    r = signal_recovery(np.random.default_rng(1).normal(size=(100, 7)), S)
    assert r["correlation"] < 0.2
    with pytest.raises(ValueError, match="equal-shape"):
        signal_recovery(S, S[:, :3])


# --- shifts of the output index (App. E: y is s up to sign, reflection and a shift) ---------

def _hand_shift(N, k):
    """(S_k)_{n, m} = 1 iff m = n + k, built entry by entry (independent of the package)."""
    return np.array([[1.0 if m == n + k else 0.0 for m in range(N)] for n in range(N)])


def _hand_reversal(N):
    return np.array([[1.0 if m == N - 1 - n else 0.0 for m in range(N)] for n in range(N)])


def _Q(name, N):
    return {"identity": np.eye(N), "dst": scipy.fft.dst(np.eye(N), type=1, norm="ortho", axis=0),
            "random": ortho_group.rvs(N, random_state=7)}[name]


def test_shift_matrix_hand_cases():
    np.testing.assert_array_equal(shift_matrix(4, 1), [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(shift_matrix(4, -2), [[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    np.testing.assert_array_equal(shift_matrix(4, 0), np.eye(4))
    for k in range(-6, 7):
        np.testing.assert_array_equal(shift_matrix(7, k), _hand_shift(7, k))


@pytest.mark.parametrize("Q", ["identity", "dst", "random"])
@pytest.mark.parametrize("k", [-7, -3, -1, 1, 2, 5])
@pytest.mark.parametrize("reflect", [False, True])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_alignment_finds_a_hand_made_shift(Q, k, reflect, sign):
    N = 11
    Qm = _Q(Q, N)
    core = _hand_shift(N, k) @ (_hand_reversal(N) if reflect else np.eye(N))
    K = sign * core @ Qm.T  # y = K Q s: y_n = sign * t_{n+k}, t = s or reversed s
    a = group_convolution_alignment(K, Qm)
    assert (a["shift"], a["reflected"], a["sign"]) == (k, reflect, sign)
    assert a["cosine"] == pytest.approx(1.0)
    np.testing.assert_allclose(a["ideal"], K, atol=1e-12)
    assert group_convolution_cosine_similarity(K, Qm) == pytest.approx(1.0)
    np.testing.assert_allclose(ideal_group_convolution(K, Qm), K, atol=1e-12)
    # without shifts the same K scores (N - |k|) overlapping ones out of sqrt(N - |k|) sqrt(N) at best
    # for the identity; in every basis it scores below 1
    assert group_convolution_cosine_similarity(K, Qm, max_shift=0) < 1 - 1e-6
    # noise on the edge rows does not move the found shift
    noisy = K + 0.05 * np.random.default_rng(3).normal(size=K.shape)
    assert group_convolution_alignment(noisy, Qm)["shift"] == k


def test_alignment_of_an_off_centre_delta_filter():
    """K built as the paper does (rows ψᵀ G^{n-c}, c the centre) from a delta filter d pixels
    right of the centre and the non-circular shift: index arithmetic gives e_jᵀ T^p = e_{j-p}ᵀ,
    so row n is e_{j+c-n}: the reflection moved by -d; with Tᵀ, row n is e_{n+d}: a shift of +d."""
    N, d = 13, 4
    c = (N - 1) // 2
    T = exact_shift_generator(N, circulant=False)

    def power(G, p):
        return np.linalg.matrix_power(G, p) if p >= 0 else np.linalg.matrix_power(G.T, -p)

    psi = delta_filter(N, c + d)
    Q = _Q("dst", N)
    for G, expected in ((T, (-d, True)), (T.T, (d, False))):
        K_hidden = np.stack([psi @ power(G, n - c) for n in range(N)])
        a = group_convolution_alignment(K_hidden @ Q.T, Q)
        assert (a["shift"], a["reflected"], a["sign"]) == (*expected, 1.0)
        assert a["cosine"] == pytest.approx(1.0)
    # the unshifted-only score of the same K is low: the rows do not meet the diagonal
    assert group_convolution_cosine_similarity(K_hidden @ Q.T, Q, max_shift=0) < 0.1


def test_an_unshifted_K_prefers_no_shift():
    N = 9
    Q = _Q("random", N)
    for K in (Q.T, -_hand_reversal(N) @ Q.T):
        a = group_convolution_alignment(K, Q)
        assert a["shift"] == 0 and a["cosine"] == pytest.approx(1.0)
    # a shifted candidate is orthogonal to an unshifted K: <Qᵀ, S_k Qᵀ> = trace(S_k) = 0
    cands = [cosine_similarity(Q.T, _hand_shift(N, k) @ Q.T) for k in range(1, N)]
    np.testing.assert_allclose(cands, 0.0, atol=1e-12)
    # a K that is shifted by 2 on its first N - 2 rows and has unit rows elsewhere (edge effects)
    # scores sqrt((N - 2) / N) against S_2 Qᵀ: the edge rows count against it
    K = _hand_shift(N, 2) @ Q.T
    K[N - 2:] = Q.T[:2]
    a = group_convolution_alignment(K, Q)
    assert a["shift"] == 2 and a["cosine"] == pytest.approx(np.sqrt((N - 2) / N))
    with pytest.raises(ValueError, match="max_shift"):
        group_convolution_alignment(Q.T, Q, max_shift=-1)


@pytest.mark.parametrize("k", [-4, -1, 2, 6])
@pytest.mark.parametrize("reflect", [False, True])
def test_signal_recovery_finds_a_hand_made_shift(k, reflect):
    B, N = 400, 15
    rng = np.random.default_rng(0)
    S = rng.normal(size=(B, N))
    T = S[:, ::-1] if reflect else S
    Y = np.zeros((B, N))
    for n in range(N):
        if 0 <= n + k < N:
            Y[:, n] = -3.0 * T[:, n + k] + 0.5  # a sign, a scale and an offset
    r = signal_recovery(Y, S)
    assert (r["shift"], r["reflected"], r["sign"]) == (k, reflect, -1.0)
    assert r["correlation"] == pytest.approx(1.0)
    matched = [n for n in range(N) if 0 <= n + k < N]
    np.testing.assert_allclose(r["per_component"][matched], 1.0)
    assert np.isnan(r["per_component"][[n for n in range(N) if n not in matched]]).all()
    # the same data scored without shifts is poor
    assert signal_recovery(Y, S, max_shift=0)["correlation"] < 0.2
    # edge columns filled with noise instead of zeros: same shift, correlation sqrt((N-|k|)/N) in expectation
    Yn = Y.copy()
    for n in range(N):
        if not 0 <= n + k < N:
            Yn[:, n] = 3.0 * rng.normal(size=B)
    rn = signal_recovery(Yn, S)
    assert rn["shift"] == k
    assert rn["correlation"] == pytest.approx(np.sqrt((N - abs(k)) / N), abs=0.03)


def test_signal_recovery_prefers_no_shift_when_none_is_needed():
    S = np.random.default_rng(4).normal(size=(300, 9))
    for Y, refl in ((S, False), (S[:, ::-1], True)):
        r = signal_recovery(Y, S)
        assert r["shift"] == 0 and r["reflected"] is refl and r["correlation"] == pytest.approx(1.0)


@pytest.mark.parametrize("N", [7, 15])
def test_cosine_without_exit_forgives_only_the_exit_pixel(N):
    Q = ortho_group.rvs(N, random_state=3)
    S = shift_matrix(N, -1)  # e_j -> e_{j+1}; e_{N-1} leaves the window
    cycle = S.copy()
    cycle[0, N - 1] = 1.0  # the last pixel closed onto the first
    conj = lambda M: Q @ M @ Q.T  # noqa: E731
    assert generator_cosine_similarity(conj(cycle), conj(S)) == pytest.approx(np.sqrt((N - 1) / N))
    assert cosine_without_exit(conj(cycle), conj(S)) == pytest.approx(1.0)
    assert cosine_without_exit(conj(cycle.T), conj(S)) == pytest.approx(1.0)  # the inverse direction
    assert cosine_without_exit(conj(S), conj(S)) == pytest.approx(1.0)
    # a defect inside the window still counts: pixel 2 kept in place instead of moved
    broken = S.copy()
    broken[:, 2] = 0.0
    broken[2, 2] = 1.0
    kept = N - 2  # links the exit-free comparison still shares with the truth
    assert cosine_without_exit(conj(broken), conj(S)) == pytest.approx(kept / np.sqrt((N - 1) * (N - 1)))


def test_cosine_without_exit_needs_a_single_exit():
    with pytest.raises(ValueError, match="exactly one direction"):
        cosine_without_exit(np.eye(5), np.diag([1.0, 1.0, 1.0, 0.0, 0.0]))
