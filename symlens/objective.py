"""Does the objective prefer the truth?  Scoring candidate solutions by the loss of eq. 13
itself, on held-out data, with the density estimators refitted for each candidate.

A candidate is a padded generator G_big (M, M), M = N + 2P, and a filter ψ (N,): the
lift y = K x̃ of eq. 5 is fixed, the two estimators of Appendix A are fitted to it by
maximum likelihood (the model held fixed, as training does at every step), and the model
loss is evaluated at a chosen τ on samples neither the fit nor the estimators saw.

Candidates built here in the hidden basis (x = Q s), then carried to the data basis by
blockdiag(I_P, Q, I_P) (App. F):

- :func:`true_candidate`: the padded pixel shift with a delta filter at the centre (the
  solution the paper says the method finds);
- :func:`chain_candidate`: any visiting order of the M padded pixels, e.g. with one
  reversed segment (:func:`reversed_segment_order`) or one skipped pixel
  (:func:`jump_order`): the defects seen in rushed runs.
"""

from __future__ import annotations

import numpy as np
import torch

from .analysis import padding_embedding
from .config import LensConfig
from .estimators import MarginalMixture, MaskedConditional
from .group_conv import centring_statistics, group_convolution_matrix, standardize
from .whitening import Whitening
from .losses import estimator_loss, model_loss

__all__ = [
    "chain_generator",
    "true_order",
    "reversed_segment_order",
    "jump_order",
    "chain_candidate",
    "true_candidate",
    "held_out_objective",
    "lift_objective",
]


def chain_generator(order) -> np.ndarray:
    """The permutation matrix that moves ``order[i]`` to ``order[i + 1]`` (cyclically):
    an orthogonal (M, M) generator whose chain visits the pixels in ``order``."""
    order = [int(i) for i in order]
    M = len(order)
    if sorted(order) != list(range(M)):
        raise ValueError(f"order must be a permutation of 0..{M - 1}")
    G = np.zeros((M, M))
    for a, b in zip(order, order[1:] + order[:1]):
        G[b, a] = 1.0
    return G


def true_order(M: int) -> list[int]:
    """0, 1, ..., M-1: the padded pixel shift (cyclic on the padded space, which the crop
    never sees when P >= (N-1)/2)."""
    return list(range(M))


def reversed_segment_order(M: int, start: int, stop: int) -> list[int]:
    """The shift with pixels ``start..stop-1`` visited backwards: two walls and a domain
    moving the other way."""
    if not 0 <= start < stop <= M:
        raise ValueError(f"need 0 <= start < stop <= {M}, got {start}, {stop}")
    return list(range(start)) + list(range(stop - 1, start - 1, -1)) + list(range(stop, M))


def jump_order(M: int, skipped: int) -> list[int]:
    """The shift that jumps over pixel ``skipped`` and visits it last: one jump."""
    if not 0 < skipped < M - 1:
        raise ValueError(f"skipped must lie in 1..{M - 2}, got {skipped}")
    return [i for i in range(M) if i != skipped] + [skipped]


def chain_candidate(order, Q, padding: int, filter_position: int | None = None):
    """(G_big, ψ) in the data basis for a hidden-basis chain ``order`` over M = N + 2P
    padded pixels and a delta filter at hidden pixel ``filter_position`` (default: centre).
    Q: (N, N) orthogonal.  Returns (G_big (M, M), ψ (N,))."""
    Q = np.asarray(Q, np.float64)
    N = Q.shape[0]
    E = padding_embedding(Q, padding)
    G_big = E @ chain_generator(order) @ E.T
    c = (N - 1) // 2 if filter_position is None else int(filter_position)
    return G_big, Q[:, c].copy()


def true_candidate(Q, padding: int):
    """The solution the method should find: the padded shift and a centred delta filter."""
    N = np.asarray(Q).shape[0]
    return chain_candidate(true_order(N + 2 * padding), Q, padding)


def _lift(K, X, centring: str, mean=None, std=None) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    return (standardize(x, mean, std, centring=centring) @ torch.as_tensor(K, dtype=torch.float64).T).float()


def held_out_objective(
    G_big, psi, X_train, X_eval, config: LensConfig, tau: float = 1.0, estimator_steps: int = 600,
    estimator_lr: float = 1e-2, seed: int = 0,
) -> dict:
    """The model loss (eq. 13) of a fixed candidate on held-out data, estimators refitted.

    G_big: (M, M) orthogonal padded generator; psi: (N,) filter (normalised here);
    X_train: (n, N) samples the estimators are fitted on (minibatches of
    ``config.batch_size``); X_eval: (m, N) held-out samples, scored in batches of
    ``config.batch_size`` (m >= one batch).  Both are whitened with X_train's whitening when
    ``config.whiten`` is set, then standardised with X_train's statistics under
    ``config.centring``.  Returns the loss terms as floats (means over the
    held-out batches) and the final estimator loss.
    """
    N = np.asarray(psi).shape[0]
    P = config.for_dim(N).resolved_padding(N)
    if np.asarray(G_big).shape != (N + 2 * P, N + 2 * P):
        raise ValueError(f"G_big must be ({N + 2 * P}, {N + 2 * P}) for N = {N}, P = {P}")
    psi = np.asarray(psi, np.float64) / np.linalg.norm(psi)
    K = group_convolution_matrix(torch.as_tensor(np.asarray(G_big), dtype=torch.float64),
                                 torch.as_tensor(psi, dtype=torch.float64), P).numpy()
    return lift_objective(K, X_train, X_eval, config, tau, estimator_steps, estimator_lr, seed)


def lift_objective(
    K, X_train, X_eval, config: LensConfig, tau: float = 1.0, estimator_steps: int = 600,
    estimator_lr: float = 1e-2, seed: int = 0,
) -> dict:
    """:func:`held_out_objective` of a lift matrix K (N, N) given directly, y = K x̃: the loss
    depends on the candidate only through its lift, so lifts that no (G, ψ) of eq. 5 gives
    exactly (a path between two solutions, say) can be scored too."""
    K = np.array(K, np.float64)
    N = K.shape[0]
    if K.shape != (N, N) or np.asarray(X_train).shape[-1] != N:
        raise ValueError(f"K must be (N, N) with N the data's dimension; got K {K.shape}, "
                         f"data {np.asarray(X_train).shape}")
    config = config.for_dim(N)
    B = config.batch_size
    if B % N or len(X_eval) < B or len(X_train) < B:
        raise ValueError(f"batch_size {B} must be a multiple of N = {N} and at most the sample counts")
    if config.whiten is not None:  # as a fit with this config sees its data
        whitening = Whitening.fit(X_train, config.whiten)
        X_train, X_eval = whitening(X_train), whitening(X_eval)
    mean, std = centring_statistics(torch.as_tensor(np.asarray(X_train), dtype=torch.float64), config.centring)
    y_train = _lift(K, X_train, config.centring, mean, std)
    y_eval = _lift(K, X_eval, config.centring, mean, std)
    rng = torch.Generator().manual_seed(int(seed))
    marginal = MarginalMixture(N, config.n_kernels, rng)
    conditional = MaskedConditional(N, config.resolved_hidden(N), config.n_kernels, rng)
    opt = torch.optim.Adam([*marginal.parameters(), *conditional.parameters()], lr=estimator_lr,
                           eps=config.adam_eps)
    order = np.random.default_rng(seed)
    n_batches = len(y_train) // B
    for step in range(estimator_steps):
        k = order.integers(n_batches)
        opt.zero_grad(set_to_none=True)
        loss = estimator_loss(y_train[k * B:(k + 1) * B], marginal, conditional, config.loss.estimator_l2)
        loss.backward()
        opt.step()
    terms = []
    with torch.no_grad():
        tau_t = torch.tensor(float(tau), dtype=torch.float64)
        for k in range(len(y_eval) // B):
            t = model_loss(y_eval[k * B:(k + 1) * B], marginal, conditional, tau_t, config.loss)
            terms.append(t.as_floats())
        final_est = float(estimator_loss(y_eval[:B], marginal, conditional, config.loss.estimator_l2))
    out = {k: float(np.mean([t[k] for t in terms])) for k in terms[0]}
    out["estimator"] = final_est
    return out
