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
"""

from __future__ import annotations

import torch

from .config import MODEL_OPTIMIZERS

__all__ = ["MODEL_OPTIMIZERS", "TensorwiseAdam", "model_optimizer"]


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
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
        if not eps >= 0:
            raise ValueError(f"eps must be >= 0, got {eps!r}")
        if batch_dims < 0:
            raise ValueError(f"batch_dims must be >= 0, got {batch_dims!r}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, batch_dims=batch_dims))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
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


def model_optimizer(name: str, params, lr: float, betas, eps: float, batch_dims: int = 0):
    """The model subsystem's optimiser: ``"adam"`` (faithful, elementwise) or
    ``"adam-tensorwise"`` (:class:`TensorwiseAdam`)."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps)
    if name == "adam-tensorwise":
        return TensorwiseAdam(params, lr=lr, betas=betas, eps=eps, batch_dims=batch_dims)
    raise ValueError(f"unknown model optimizer {name!r}; choose one of {MODEL_OPTIMIZERS}")
