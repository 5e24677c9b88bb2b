"""symlens.analysis: the appendix checks and per-run evidence on exact cases."""

import numpy as np
import pytest
import torch

from symlens import analysis, data, testing
from symlens.group_conv import group_convolution_matrix

N, P = 9, 9


def test_hidden_basis_turns_every_true_generator_into_the_shift():
    T = data.shift_matrix(N)
    for kind in ("identity", "permutation", "dst"):
        Q = data.transform_matrix(kind, N)
        np.testing.assert_allclose(analysis.hidden_basis(data.true_generator(Q), Q), T, atol=1e-12)


def test_shift_powers_and_filter_peak():
    Q = data.dst_matrix(N)
    T = data.shift_matrix(N)
    res = analysis.shift_power_similarities(Q @ np.linalg.matrix_power(T, 2) @ Q.T, Q)
    assert res["best_power"] == 2 and res["cosines"][1] == pytest.approx(1.0)
    peak = analysis.filter_peak_fraction(Q @ testing.delta_filter(N, 3), Q)  # a sinusoid
    assert peak == {"peak_fraction": pytest.approx(1.0), "peak_index": 3}


def test_edge_error_fraction():
    G_true = data.shift_matrix(N)
    G = G_true.copy()
    G[0, 0] = 0.5  # an error in the corner only
    assert analysis.edge_error_fraction(G, G_true, np.eye(N)) == pytest.approx(1.0)
    G = G_true.copy()
    G[4, 4] = 0.5  # in the middle only
    assert analysis.edge_error_fraction(G, G_true, np.eye(N)) == pytest.approx(0.0)
    assert np.isnan(analysis.edge_error_fraction(G_true, G_true, np.eye(N)))
    assert analysis.edge_uniform_fraction(33) == pytest.approx(1 - (27 / 33) ** 2)


def test_uncropped_lift_is_equivariant_for_any_rotation_and_crops_to_K():
    rng = np.random.default_rng(0)
    G_big = analysis.random_orthogonal(N + 2 * P, seed=1)
    psi = rng.standard_normal(N)
    K_big = analysis.uncropped_lift(G_big, psi, P)
    assert K_big.shape == (N, N + 2 * P)
    assert analysis.lifting_equivariance_residual(K_big, G_big) < 1e-12
    K = group_convolution_matrix(torch.from_numpy(G_big), torch.from_numpy(psi), P).numpy()
    np.testing.assert_allclose(K_big[:, P:P + N], K, atol=1e-12)
    # for the exact padded shift the cropped K is equivariant too
    T_big = testing.padded_shift_generator(N, P)
    K = group_convolution_matrix(torch.from_numpy(T_big), torch.from_numpy(testing.delta_filter(N)), P).numpy()
    assert analysis.matrix_equivariance_error(K, T_big[P:-P, P:-P], margin=1) < 1e-12


def test_padding_embedding_conjugates_K():
    Q = analysis.random_orthogonal(N, seed=2)
    G_big = analysis.random_orthogonal(N + 2 * P, seed=3)
    psi = np.random.default_rng(4).standard_normal(N)
    psi /= np.linalg.norm(psi)
    E = analysis.padding_embedding(Q, P)
    K = group_convolution_matrix(torch.from_numpy(G_big), torch.from_numpy(psi), P).numpy()
    K2 = group_convolution_matrix(torch.from_numpy(E @ G_big @ E.T), torch.from_numpy(Q @ psi), P).numpy()
    np.testing.assert_allclose(K2, K @ Q.T, atol=1e-12)


def test_neighbour_correlations_of_a_markov_chain():
    rng = np.random.default_rng(0)
    n, a = 200_000, 0.8
    y = np.zeros((n, 6))
    y[:, 0] = rng.standard_normal(n)
    for i in range(1, 6):  # stationary AR(1): first-order Markov
        y[:, i] = a * y[:, i - 1] + np.sqrt(1 - a * a) * rng.standard_normal(n)
    st = analysis.neighbour_correlations(y)
    np.testing.assert_allclose(st["adjacent"], a, atol=0.01)
    np.testing.assert_allclose(st["second"], a * a, atol=0.01)
    np.testing.assert_allclose(st["partial"], 0.0, atol=0.01)


def test_gaussian_mutual_information_two_ways():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 5))
    Sigma = A @ A.T + 0.1 * np.eye(5)
    for K in (rng.standard_normal((5, 5)), analysis.random_orthogonal(5), np.ones((5, 5))):
        mi = analysis.gaussian_mutual_information(K, Sigma, 0.1)
        assert mi["from_output"] == pytest.approx(mi["from_input"], rel=1e-9)
        assert mi["from_output"] == pytest.approx(mi["output_entropy"] - mi["constant"])
    # 1-D closed form: I = ½ log(1 + k² s² / σ²)
    mi = analysis.gaussian_mutual_information(np.array([[2.0]]), np.array([[3.0]]), 0.5)
    assert mi["from_output"] == pytest.approx(0.5 * np.log(1 + 4 * 3 / 0.25))


def test_random_orthogonal_and_conjugation_similarity():
    Q = analysis.random_orthogonal(N, seed=5)
    testing.assert_orthogonal(Q)
    np.testing.assert_array_equal(Q, analysis.random_orthogonal(N, seed=5))
    G = data.shift_matrix(N)
    assert analysis.conjugation_similarity(Q @ G @ Q.T, G, Q) == pytest.approx(1.0)
    assert analysis.conjugation_similarity((Q @ G @ Q.T).T, G, Q) == pytest.approx(1.0)  # either direction
    # two generators that never left the identity are not "conjugate" in this measure
    assert analysis.conjugation_similarity(np.eye(N) + 1e-3 * G, np.eye(N) + 1e-3 * G.T @ G, Q) < 0.9


def test_representation_standardises_like_the_layer():
    X = np.random.default_rng(0).standard_normal((50, N)) * 3 + 2
    Y = analysis.representation(np.eye(N), X)
    assert Y.mean() == pytest.approx(0.0, abs=1e-12) and Y.std() == pytest.approx(1.0)


def test_run_evidence_on_a_perfect_run():
    Q = data.transform_matrix("permutation", N)
    G = data.true_generator(Q)
    run = {
        "arrays": {"generator": G, "true_generator": G, "transform": Q, "filter": Q @ testing.delta_filter(N)},
        "metrics": {"cosine_similarity": 1.0, "rmse": 0.0, "group_convolution_cosine": 1.0,
                    "equivariance_error": 0.0, "signal_correlation": 1.0, "steps": 10},
        "provenance": {"dataset": "gaussian-permuted", "seed": 0},
    }
    ev = analysis.run_evidence(run)
    assert ev["best_power"] == 1 and ev["filter_peak_fraction"] == pytest.approx(1.0)
    assert np.isnan(ev["edge_fraction"]) and ev["identity_cosine"] == pytest.approx(0.0)


def test_fit_estimators_decreases_the_estimator_loss():
    y = np.random.default_rng(0).standard_normal((5 * 20, 5)).astype(np.float32)
    _, _, first = analysis.fit_estimators(y, hidden=8, steps=1, seed=0)
    _, _, last = analysis.fit_estimators(y, hidden=8, steps=60, seed=0)
    assert np.isfinite(last) and last < first


def _chain(moves, N):
    """Generator moving pixel j to j + moves[j] (None: the pixel leaves the window)."""
    G = np.zeros((N, N))
    for j, d in enumerate(moves):
        if d is not None:
            G[j + d, j] = 1.0
    return G


def test_defect_census_of_constructed_chains():
    N = 9
    perfect = analysis.defect_census(data.shift_matrix(N), np.eye(N))
    assert perfect["chain"] == "++++++++." and perfect["walls"] == 0 and perfect["defects"] == 0
    inverse = analysis.defect_census(data.shift_matrix(N).T, np.eye(N))
    assert inverse["chain"] == ".--------" and inverse["majority"] == -1 and inverse["defects"] == 0
    # two domains meeting head on: 0..3 move right, 5..8 move left, pixel 4 stays (a wall)
    G = _chain([1, 1, 1, 1, 0, -1, -1, -1, -1], N)
    c = analysis.defect_census(G, np.eye(N))
    assert c["chain"] == "++++o----"
    assert (c["forward"], c["backward"], c["fixed"], c["walls"], c["minority"]) == (4, 4, 1, 1, 4)
    assert c["defects"] == 2 and c["identity_weight"] == pytest.approx(1 / N)
    # a jump of three pixels and a sign flip on one link
    G = _chain([1, 1, 3, None, 1, 1, 1, 1, None], N)
    G[2, 1] = -1.0
    c = analysis.defect_census(G, np.eye(N))
    assert c["chain"] == "++x.++++."
    assert c["jumps"] == 1 and c["weak"] == 2 and c["negative_links"] == 1 and c["defects"] == 2


def test_defect_census_end_weights_follow_the_direction():
    N = 9
    G = data.shift_matrix(N)
    G[-2:, -2:] = np.eye(2)  # the last two pixels of a + chain stay put
    c = analysis.defect_census(G, np.eye(N), end=3)
    assert c["exit_weight"] == pytest.approx(2 / 3) and c["entrance_weight"] == 0.0
    # the same defect on the inverse chain sits at its exit end, now the first pixels
    c = analysis.defect_census(np.flip(G).copy(), np.eye(N), end=3)
    assert c["majority"] == -1 and c["exit_weight"] == pytest.approx(2 / 3) and c["entrance_weight"] == 0.0


def test_cyclic_ceiling_and_convergence_threshold():
    assert analysis.cyclic_ceiling(33) == pytest.approx(np.sqrt(32 / 33))
    assert analysis.convergence_threshold(33) == 0.95  # the target lies under the ceiling 0.985
    assert analysis.convergence_threshold(7) == pytest.approx(np.sqrt(6 / 7) - 0.01)  # 0.926 - 0.01
    with pytest.raises(ValueError, match="N"):
        analysis.cyclic_ceiling(1)


def test_unseen_defects_lie_beyond_the_filters_reach():
    N = 9
    G = _chain([-1, 1, 1, 1, 1, 1, 1, 1, None], N)  # pixel 0 jumps to the far end (index -1), the rest +
    # a filter peaked at pixel 6 visits 6 - 4 .. 6 + 4 -> 2..8: the wrong link at 0 is unseen
    psi = np.zeros(N)
    psi[6] = 1.0
    u = analysis.unseen_defects(G, psi, np.eye(N))
    assert u["filter_peak"] == 6 and u["visited"] == (2, 8)
    assert 0 in u["defects"] and u["unseen"] == [0]
    # a centred filter sees every pixel
    psi = np.zeros(N)
    psi[4] = 1.0
    assert analysis.unseen_defects(G, psi, np.eye(N))["unseen"] == []


def test_padding_diagonal():
    N, P = 5, 2
    G = np.eye(N + 2 * P)
    G[:P, :P] = -np.eye(P)  # left padding flipped, right padding untouched
    assert analysis.padding_diagonal(G, P) == pytest.approx(0.0)
    G[N + P:, N + P:] = -np.eye(P)
    assert analysis.padding_diagonal(G, P) == pytest.approx(-1.0)
    assert np.isnan(analysis.padding_diagonal(np.eye(N), 0))
    with pytest.raises(ValueError, match="padding"):
        analysis.padding_diagonal(np.eye(N), 3)


def test_defect_census_reads_the_hidden_basis():
    N = 9
    G = _chain([1, 1, 1, 1, 0, -1, -1, -1, -1], N)
    for kind in ("permutation", "dst"):
        Q = data.transform_matrix(kind, N)
        assert analysis.defect_census(Q @ G @ Q.T, Q)["chain"] == "++++o----"
    # a smeared column counts as weak
    Gs = data.shift_matrix(N)
    Gs[:, 3] = 0.3
    assert analysis.defect_census(Gs, np.eye(N))["chain"] == "+++.++++."


def test_smeared_defects_of_constructed_chains():
    N = 11
    perfect = analysis.smeared_defects(data.shift_matrix(N), np.eye(N))
    assert perfect["blurred"] == 0 and perfect["widths"] == [] and perfect["widest"] == 0
    assert np.isnan(perfect["sharpness"][-1]) and perfect["sharpness"][0] == pytest.approx(1.0)
    G = data.shift_matrix(N)
    # pixels 2-4 move together onto 3-5 through an orthogonal mix whose entries are all
    # at most 2/3 of their column's norm: one defect three pixels wide
    G[3:6, 2:5] = np.array([[1, 2, 2], [2, 1, -2], [2, -2, 1]]) / 3.0
    # pixel 7 split 0.8 / 0.6 between 8 and 9 (ratio 0.8): a defect one pixel wide
    G[:, 7] = 0.0
    G[8, 7], G[9, 7] = 0.8, 0.6
    # pixel 8 half leaves through the padding but is sharp: neither blurred nor an exit
    G[:, 8] = 0.0
    G[9, 8] = 0.6
    c = analysis.smeared_defects(G, np.eye(N))
    assert c["widths"] == [3, 1] and c["blurred"] == 4 and c["widest"] == 3
    assert c["sharpness"][7] == pytest.approx(0.8) and c["sharpness"][8] == pytest.approx(1.0)
    # read through the basis the data come in
    Q = data.transform_matrix("dst", N)
    assert analysis.smeared_defects(Q @ G @ Q.T, Q)["widths"] == [3, 1]
    # a column that mostly leaves the window ends a run and is not counted
    G[:, 3] = 0.0
    G[4, 3], G[5, 3] = 0.3, 0.3
    c = analysis.smeared_defects(G, np.eye(N))
    assert c["widths"] == [1, 1, 1] and np.isnan(c["sharpness"][3])


def test_standardized_follows_the_layer_for_both_centrings():
    from symlens.group_conv import standardize

    X = np.random.default_rng(0).normal(size=(40, N)) + np.arange(N)
    for centring in ("scalar", "component"):
        layer = standardize(torch.tensor(X), centring=centring).numpy()
        np.testing.assert_allclose(analysis.standardized(X, centring), layer, atol=1e-12)
    Z = analysis.standardized(X, "component")
    np.testing.assert_allclose(Z.mean(0), 0.0, atol=1e-12)
    assert np.mean(Z**2) == pytest.approx(1.0)


def test_steps_needed_is_the_shortest_schedule_with_enough_converged_fits():
    def fits(dim, steps, cos):
        return [{"dim": dim, "steps": steps, "cos": c} for c in cos]
    rows = (fits(15, 1500, [0.97, 0.5, 0.5, 0.5]) + fits(15, 3000, [0.97, 0.96, 0.951, 0.2])
            + fits(15, 6000, [0.97] * 4) + fits(21, 6000, [0.96, 0.96, 0.9, 0.9])
            + fits(7, 750, [0.92, 0.92, 0.92, 0.1]))  # N = 7 counts 0.916 (ceiling 0.926 - 0.01)
    assert analysis.steps_needed(rows) == {7: 750, 15: 3000, 21: None}
    assert analysis.steps_needed(rows, need=2)[21] == 6000


def test_orientation_field_reads_the_direction_of_each_pair():
    from scipy.linalg import expm

    N = 7
    T = np.eye(N, k=-1)  # T e_j = e_{j+1}
    Q = analysis.random_orthogonal(N, seed=3)
    np.testing.assert_allclose(analysis.orientation_field(Q @ T @ Q.T, Q), np.ones(N - 1), atol=1e-12)
    np.testing.assert_allclose(analysis.orientation_field(Q @ T.T @ Q.T, Q), -np.ones(N - 1), atol=1e-12)
    # near the identity: 2 A[j+1, j] to first order
    A = np.zeros((N, N))
    a = np.array([1, 1, -1, -1, -1, 1]) * 1e-3
    for j, v in enumerate(a):
        A[j + 1, j], A[j, j + 1] = v, -v
    o = analysis.orientation_field(Q @ expm(A) @ Q.T, Q)
    np.testing.assert_allclose(o, 2 * a, rtol=1e-5)
    assert analysis.orientation_walls(o, min_strength=1e-4) == 2  # + + | - - - | +
    assert analysis.orientation_walls(o, min_strength=1.0) == 0  # none strong enough yet


def test_orientation_walls_skip_weak_pairs():
    assert analysis.orientation_walls([1.0, 0.9, -0.1, 0.8, -0.7, -1.0]) == 1  # the -0.1 pair is not oriented
    assert analysis.orientation_walls([1.0, -1.0, 1.0, -1.0]) == 3
    assert analysis.orientation_walls([]) == 0


def test_oriented_far_from_counts_pairs_by_their_distance_to_the_filter():
    # 8 pairs; filter at pixel 3: pairs 2 (pixels 2-3) and 3 (3-4) touch it (distance 0),
    # pair 0 is 2 pixels away, pair 7 (7-8) 4 away; pair 5 is too weak to count
    o = np.array([0.5, 0.0, -0.9, 0.3, 0.0, 0.1, 0.0, -0.4])
    # pair distances 2 1 0 0 1 2 3 4
    assert analysis.oriented_far_from(o, centre=3, near=1) == {"oriented": 4, "far": 2, "far_pairs": 4}
    assert analysis.oriented_far_from(o, centre=3, near=3) == {"oriented": 4, "far": 1, "far_pairs": 1}
    assert analysis.oriented_far_from(o, centre=3, near=4) == {"oriented": 4, "far": 0, "far_pairs": 0}


def test_row_positions_of_pixel_mixtures():
    Q = analysis.random_orthogonal(9, seed=2)
    theta = np.array([0.0, 0.3, 0.7, np.pi / 2])
    rows = np.zeros((4, 9))
    rows[np.arange(4), [1, 3, 5, 6]] = np.cos(theta)
    rows[np.arange(4), [2, 4, 6, 7]] = np.sin(theta)
    np.testing.assert_allclose(analysis.row_positions(rows @ Q.T, Q), [1, 3, 5, 6] + np.sin(theta) ** 2)
    assert np.isnan(analysis.row_positions(np.zeros((1, 9)), Q)[0])


def test_chain_speed_of_constructed_chains():
    from symlens.seriation import chain_generator

    N, P = 15, 15
    Q = analysis.random_orthogonal(N, seed=4)
    exact = analysis.chain_speed(chain_generator(Q.T, P)[0], Q[:, 7], Q, P)
    np.testing.assert_allclose(exact["steps"], np.ones(N - 1), atol=1e-9)
    assert (exact["direction"], exact["slow"], exact["fast"], exact["back"]) == (1, 0, 0, 0)
    backwards = analysis.chain_speed(chain_generator(Q.T[::-1], P)[0], Q[:, 7], Q, P)
    assert backwards["direction"] == -1 and backwards["slow"] == backwards["back"] == 0
    # a stretch: pixels 5 and 6 rotated into each other by 35°, rows at 5.33 and 5.67, so
    # the chain moves 1.33, 0.34, 1.33 pixels there
    c, s = np.cos(np.radians(35)), np.sin(np.radians(35))
    U = Q.T.copy()
    U[5], U[6] = c * Q.T[5] + s * Q.T[6], -s * Q.T[5] + c * Q.T[6]
    stretched = analysis.chain_speed(chain_generator(U, P)[0], Q[:, 7], Q, P)
    np.testing.assert_allclose(stretched["steps"][4:7], [1 + s**2, c**2 - s**2, 1 + s**2], atol=1e-9)
    assert (stretched["slow"], stretched["fast"], stretched["back"]) == (1, 2, 0)
    walled = list(range(5)) + list(range(10, 4, -1)) + list(range(11, N))
    assert analysis.chain_speed(chain_generator(Q.T[walled], P)[0], Q[:, walled[7]], Q, P)["back"] >= 2


def test_lift_orthogonality_defect_of_a_delta_and_a_two_pixel_filter():
    from symlens.seriation import chain_generator

    N, P = 15, 15
    Q = analysis.random_orthogonal(N, seed=5)
    G, _ = chain_generator(Q.T, P)
    assert analysis.lift_orthogonality_defect(G, 2.0 * Q[:, 7], P) == pytest.approx(0.0, abs=1e-12)
    # filter a e_7 + b e_8: the rows sit on pixels (7 + k, 8 + k), k = -7 ... 7; each of the
    # N - 1 neighbouring pairs overlaps by ab, and the last row has its b part in the padding
    a, b = 0.8, 0.6
    defect = analysis.lift_orthogonality_defect(G, Q @ (a * np.eye(N)[7] + b * np.eye(N)[8]), P)
    assert defect == pytest.approx(np.sqrt((2 * (N - 1) * (a * b) ** 2 + b**4) / N), rel=1e-9)
