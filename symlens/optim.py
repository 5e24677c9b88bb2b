"""Optimisers of the model subsystem (generator A, eq. 6, and resolving filter ψ, eq. 20).

The paper trains both subsystems with Adam (spec §3).  Adam divides every coordinate's step
by that coordinate's own gradient scale, so a coordinate whose gradient is a thousand times
weaker than its neighbours' still moves by about the learning rate.  For the generator this
has two consequences (book, Convergence page, mechanism 6):

* the padding block of A, whose gradient is 50-100x weaker than the window block's, is
  driven to large rotations within the first steps (G_big's padding diagonal ends near
  -0.5 in the saved fits);
* the training trajectory depends on the basis the data come in (pixel, permuted, DST),
  although the model, the losses and the initialisation do not.

The guess that the first of these holds the chain back was tested and refuted: at N = 15
the tensorwise optimiser, which leaves the padding still, converges worse (mean cos 0.593
and 0.485 at model rates 0.03 and 0.01, against 0.806 with Adam).  It stays an option,
off in every recipe.

:class:`TensorwiseAdam` is Adam with one second-moment scalar per parameter tensor (the mean
of the squared gradient over the tensor) instead of one per coordinate.  Its update is
``lr * m_hat / (sqrt(v_hat) + eps)`` with ``m`` the usual elementwise first moment, so it
commutes with any orthogonal change of coordinates of a tensor that preserves the Frobenius
norm (A -> Q A Q^T, ψ -> Q ψ), and weak coordinates move in proportion to their gradient.

:class:`BasisAdam` is elementwise Adam taken in a fixed orthonormal basis of each tensor
instead of the data's coordinates (``model_optimizer="adam-covariance"``: the eigenbasis of
the training set's covariance, which the trainer sets before the first step).  It is exactly
Adam on a reparametrised model, A = L B Rᵀ and ψ = L φ, so the objective and its optima are
unchanged; only the preconditioning changes.  In the covariance eigenbasis each frequency
pair of A gets its own step size, so the directions in which the data carry little power
move as fast as the strong ones, and the trajectory no longer depends on the basis the data
come in (rotate the data by Q and the basis rotates with them).
"""

from __future__ import annotations

import torch

from .config import MODEL_OPTIMIZERS

__all__ = ["BasisAdam", "MODEL_OPTIMIZERS", "TensorwiseAdam", "covariance_basis", "model_optimizer"]


def _check_hyperparameters(lr: float, betas: tuple[float, float], eps: float) -> None:
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
        raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")


def _evaluate(closure):
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


class TensorwiseAdam(torch.optim.Optimizer):
    """Adam whose second moment is one scalar per tensor (per fit, for stacked tensors).

    Parameters
    ----------
    params : iterable of tensors or parameter groups.
    lr, betas, eps : as in :class:`torch.optim.Adam` (bias-corrected moments).
    batch_dims : the number of leading dimensions that index independent fits
        (0 for one fit; 1 for the stacked (M, ...) tensors of :mod:`symlens.batched`): the
        second moment is averaged over the remaining dimensions only, so stacked fits do not
        share it.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, batch_dims: int = 0):
        _check_hyperparameters(lr, betas, eps)
        if batch_dims < 0:
            raise ValueError(f"batch_dims must be >= 0, got {batch_dims!r}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, batch_dims=batch_dims))

    @torch.no_grad()
    def step(self, closure=None):
        loss = _evaluate(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lead = group["batch_dims"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if p.dim() < lead:
                    raise ValueError(f"a parameter of shape {tuple(p.shape)} has fewer than "
                                     f"batch_dims={lead} dimensions")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros(p.shape[:lead] + (1,) * (p.dim() - lead),
                                                      dtype=p.dtype, device=p.device)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                reduce = tuple(range(lead, p.dim()))
                g2 = (g * g).mean(dim=reduce, keepdim=True) if reduce else g * g
                v.mul_(beta2).add_(g2, alpha=1 - beta2)
                m_hat = m / (1 - beta1 ** t)
                denom = (v / (1 - beta2 ** t)).sqrt().add_(group["eps"])
                p.addcdiv_(m_hat, denom, value=-group["lr"])
        return loss


class BasisAdam(torch.optim.Optimizer):
    """Elementwise Adam in a fixed orthonormal basis per tensor (plain Adam where none is set).

    For a matrix parameter P with basis (L, R) the gradient is read as Lᵀ ∇P R, Adam's
    moments and step are formed in those coordinates, and the step is mapped back as
    L Δ Rᵀ; for a vector parameter with basis L, as Lᵀ ∇p and L Δ.  This is Adam on B with
    P = L B Rᵀ, to rounding.  Bases are set with :meth:`set_basis` (float64, orthonormal
    columns); the rotations are done in float64, the moments kept in the parameter's dtype in
    the basis's coordinates.

    Parameters
    ----------
    params, lr, betas, eps : as in :class:`torch.optim.Adam` (bias-corrected moments).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        _check_hyperparameters(lr, betas, eps)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
        self._bases: dict[torch.Tensor, tuple[torch.Tensor, torch.Tensor | None]] = {}

    def set_basis(self, p: torch.Tensor, left, right=None) -> None:
        """Take ``p``'s steps in the basis ``left`` (p (n,): (n, n)) or ``(left, right)``
        (p (m, n): (m, m) and (n, n); ``right`` defaults to ``left``).  Refused once ``p``
        has moments: they would be in the old coordinates."""
        if not any(p is q for g in self.param_groups for q in g["params"]):
            raise ValueError("set_basis: the tensor is not one of this optimiser's parameters")
        if self.state.get(p):
            raise RuntimeError("set_basis after the first step: the moments belong to the old basis")
        if p.dim() not in (1, 2):
            raise ValueError(f"a basis applies to a vector or a matrix, got a tensor of shape {tuple(p.shape)}")
        L = torch.as_tensor(left, dtype=torch.float64, device=p.device)
        R = None
        if p.dim() == 2:
            R = L if right is None else torch.as_tensor(right, dtype=torch.float64, device=p.device)
        elif right is not None:
            raise ValueError("a vector parameter takes one basis, not two")
        for name, B, n in (("left", L, p.shape[0]), ("right", R, p.shape[-1] if p.dim() == 2 else None)):
            if B is None:
                continue
            if B.shape != (n, n):
                raise ValueError(f"the {name} basis must be ({n}, {n}) for a parameter of shape {tuple(p.shape)}, "
                                 f"got {tuple(B.shape)}")
            if not torch.allclose(B.T @ B, torch.eye(n, dtype=B.dtype, device=B.device), atol=1e-8):
                raise ValueError(f"the {name} basis is not orthonormal")
        self._bases[p] = (L, R)

    @torch.no_grad()
    def release_basis(self, p: torch.Tensor) -> None:
        """Step ``p`` in its own coordinates from now on, its moments carried over: the first
        moment exactly (L m Rᵀ), the second as the diagonal of its rotation ((L∘L) v (R∘R)ᵀ,
        exact for a signed permutation), so the step sizes stay where they were."""
        L, R = self._bases.pop(p)
        state = self.state.get(p)
        if not state:
            return
        m, v = state["exp_avg"].double(), state["exp_avg_sq"].double()
        if R is None:
            m, v = L @ m, L.square() @ v
        else:
            m, v = L @ m @ R.T, L.square() @ v @ R.square().T
        state["exp_avg"] = m.to(p.dtype)
        state["exp_avg_sq"] = v.to(p.dtype)

    def basis_of(self, p: torch.Tensor) -> torch.Tensor | None:
        """The left basis of ``p`` (its only one for a vector), or None."""
        b = self._bases.get(p)
        return None if b is None else b[0]

    def _to_basis(self, p, g):
        L, R = self._bases[p]
        return L.T @ g @ R if R is not None else L.T @ g

    def _from_basis(self, p, d):
        L, R = self._bases[p]
        return L @ d @ R.T if R is not None else L @ d

    @torch.no_grad()
    def step(self, closure=None):
        loss = _evaluate(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                rotated = p in self._bases
                g = self._to_basis(p, p.grad.double()).to(p.dtype) if rotated else p.grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(g)
                    state["exp_avg_sq"] = torch.zeros_like(g)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                d = (m / (1 - beta1 ** t)) / (v / (1 - beta2 ** t)).sqrt().add_(group["eps"])
                p.add_(self._from_basis(p, d.double()).to(p.dtype) if rotated else d, alpha=-group["lr"])
        return loss

    def __getstate__(self):
        # torch's Optimizer pickles only defaults, state and param_groups; the bases must
        # travel too (fit_best_of moves stopped candidates between worker processes)
        return {**super().__getstate__(), "_bases": self._bases}

    def __setstate__(self, state):
        state = dict(state)
        bases = state.pop("_bases", {})
        super().__setstate__(state)
        self._bases = bases

    def state_dict(self):
        out = super().state_dict()
        ids = {id(q): i for i, q in enumerate(q for g in self.param_groups for q in g["params"])}
        out["bases"] = {ids[id(p)]: (L, R) for p, (L, R) in self._bases.items()}
        return out

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        bases = state_dict.pop("bases", {})
        super().load_state_dict(state_dict)
        flat = [q for g in self.param_groups for q in g["params"]]
        self._bases = {}
        for i, (L, R) in bases.items():
            p = flat[int(i)]
            self._bases[p] = (L.to(p.device), None if R is None else R.to(p.device))


def covariance_basis(X) -> torch.Tensor:
    """The eigenvectors (N, N) float64 of the covariance of X (n, N), as columns in increasing
    order of their eigenvalue (the basis of ``model_optimizer="adam-covariance"``)."""
    X = torch.as_tensor(X).detach().to(torch.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"a covariance basis needs a sample matrix (n >= 2, N), got shape {tuple(X.shape)}")
    Xc = X - X.mean(0)
    return torch.linalg.eigh(Xc.T @ Xc / (X.shape[0] - 1))[1]


def model_optimizer(name: str, params, lr: float, betas, eps: float, batch_dims: int = 0):
    """The model subsystem's optimiser: ``"adam"`` (faithful, elementwise),
    ``"adam-tensorwise"`` (:class:`TensorwiseAdam`) or ``"adam-covariance"``
    (:class:`BasisAdam`, whose bases the trainer sets from the training set)."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps)
    if name == "adam-tensorwise":
        return TensorwiseAdam(params, lr=lr, betas=betas, eps=eps, batch_dims=batch_dims)
    if name == "adam-covariance":
        if batch_dims:
            raise ValueError("model_optimizer 'adam-covariance' trains one fit at a time: stacked fits "
                             "(symlens.batched) are not supported; use Trainer")
        return BasisAdam(params, lr=lr, betas=betas, eps=eps)
    raise ValueError(f"unknown model optimizer {name!r}; choose one of {MODEL_OPTIMIZERS}")
