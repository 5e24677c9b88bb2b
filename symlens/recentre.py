"""Filter recentring: keep the resolving filter in the middle of the generator's chain.

A symlens option (``LensConfig.recentre_filter_every``), not part of the paper.  Eq. 5
transports the filter by the powers -(N-1)/2 ... (N-1)/2 only.  With the filter peaked at
hidden pixel c, the loss therefore depends on G only along pixels c - (N-1)/2 ... c + (N-1)/2
of the window; off centre, the far end of the window is never visited and the generator's
defects there get no gradient (mechanism 7 of the convergence page).  Nothing in the loss
pulls the filter back to the centre.  Recentring moves the filter along the chain that G
itself draws, so it needs no knowledge of the hidden basis:

    offset = (F - B) / 2,   F = Σ_{p=1}^{N-1} ‖(G_wᵀ)^p ψ̂‖²,   B = Σ_{p=1}^{N-1} ‖G_w^p ψ̂‖²,

with G_w the window block of the padded generator (what leaves the window is dropped) and
ψ̂ = ψ/‖ψ‖.  For the exact shift and a delta filter at hidden pixel c, transport by Gᵀ stays
in the window for F = N-1-c steps and transport by G for B = c steps, so the offset is
(N-1)/2 - c; a wider filter gives its mass-weighted mean, and a cycle closed inside the window
(which never loses mass) gives 0.  :func:`recentre_filter` then replaces ψ by
(G_wᵀ)^k ψ, k = round(offset), rescaled to its old norm, which moves the peak to the middle.
"""

from __future__ import annotations

import torch

__all__ = ["chain_offset", "recentring_matrix", "recentre_filter"]


def _window(G_big: torch.Tensor, dim: int, padding: int) -> torch.Tensor:
    return G_big[..., padding : padding + dim, padding : padding + dim]


def chain_offset(G_big: torch.Tensor, psi: torch.Tensor, padding: int) -> torch.Tensor:
    """How many steps of Gᵀ move the filter to the middle of the generator's chain.

    G_big: (..., M, M) padded generator, M = N + 2P.  psi: (..., N) filter (any norm, not
    zero).  Returns (...,) float64: (F - B)/2 of the module docstring; positive when the
    filter sits towards the chain's start (transport by Gᵀ has further to go).
    """
    N = psi.shape[-1]
    G = _window(G_big.double(), N, padding)
    v = psi.double() / psi.double().norm(dim=-1, keepdim=True)
    fwd, bwd = v.unsqueeze(-1), v.unsqueeze(-1)
    F = torch.zeros(psi.shape[:-1], dtype=torch.float64, device=psi.device)
    B = torch.zeros_like(F)
    Gt = G.transpose(-1, -2)
    for _ in range(N - 1):
        fwd, bwd = Gt @ fwd, G @ bwd
        F = F + fwd.square().sum((-1, -2))
        B = B + bwd.square().sum((-1, -2))
    return (F - B) / 2


def recentring_matrix(G_big: torch.Tensor, dim: int, padding: int, k: int) -> torch.Tensor:
    """R = (G_wᵀ)^k for k >= 0, G_w^{-k} for k < 0: the window's transport by k steps.
    G_big: (M, M).  Returns (N, N) float64."""
    G = _window(G_big.double(), dim, padding)
    return torch.linalg.matrix_power(G.transpose(0, 1) if k >= 0 else G, abs(int(k)))


@torch.no_grad()
def recentre_filter(psi: torch.Tensor, G_big: torch.Tensor, padding: int, optimizer=None) -> list[int]:
    """Move the filter parameter in place to the middle of the chain; return the shifts.

    psi: the parameter, (N,) or stacked (R, N).  G_big: (M, M) or (R, M, M).  Each filter
    becomes R ψ rescaled to ‖ψ‖, with R = :func:`recentring_matrix` for k = round(offset).
    ``optimizer``: an Adam-like optimiser holding ψ; its moment estimates are moved with the
    parameter (first moment by R, an elementwise second moment by R∘R, exact when R is a
    signed permutation and the diagonal of R diag(v) Rᵀ otherwise), so the next step does
    not pull ψ back to where it was.
    """
    stacked = psi.dim() == 2
    ps = psi if stacked else psi.unsqueeze(0)
    Gs = G_big if stacked else G_big.unsqueeze(0)
    if ps.shape[0] != Gs.shape[0]:
        raise ValueError(f"{ps.shape[0]} filters but {Gs.shape[0]} generators")
    N = ps.shape[-1]
    ks = torch.round(chain_offset(Gs, ps, padding)).to(torch.int64).tolist()
    state = optimizer.state.get(psi, {}) if optimizer is not None else {}
    m = state.get("exp_avg")
    v = state.get("exp_avg_sq")
    # an optimiser stepping in its own basis B (symlens.optim.BasisAdam) keeps its moments in
    # B's coordinates, where the transport is Bᵀ R B
    basis = optimizer.basis_of(psi) if hasattr(optimizer, "basis_of") else None
    if basis is not None and stacked:
        raise ValueError("recentre_filter: stacked filters with an optimiser basis are not supported")
    for i, k in enumerate(ks):
        if k == 0:
            continue
        R = recentring_matrix(Gs[i], N, padding, k)
        old = ps[i].double()
        new = R @ old
        if new.norm() < 1e-3 * old.norm():  # the transport lost the filter: leave it be
            ks[i] = 0
            continue
        ps[i] = (new * (old.norm() / new.norm())).to(ps.dtype)
        if basis is not None:
            R = basis.T @ R @ basis
        if m is not None:
            mi = m[i] if stacked else m
            mi.copy_((R @ mi.double()).to(mi.dtype))
        if v is not None and v.shape == psi.shape:  # elementwise (Adam); a tensorwise scalar stays
            vi = v[i] if stacked else v
            vi.copy_((R.square() @ vi.double()).to(vi.dtype))
    return ks
