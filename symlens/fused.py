"""Fused, chunked estimator passes for the training step, with hand-written backward passes.

Same mathematics as the reference path (:meth:`MaskedConditional.pair_means`,
:meth:`MarginalMixture.log_prob`, :func:`~symlens.estimators.mixture_log_prob`), organised
for speed; ``tests/test_fused.py`` checks equal loss terms and gradients against it.

Why it is faster (see benchmarks/README.md, "The fused training step"):

* **Mixture densities in linear space.**  With the authors' floor, log p̂ = log(Σ_k w_k
  N(y; μ_k, σ²_k) + 1e-7).  A term below 2⁻¹⁰⁰ changes that sum by less than 1e-23
  relative to the floor, so the sum is formed directly from exp2 (vectorised; torch's exp,
  tanh and reductions over a last axis of K = 4 are 3-20x slower on a CPU) and one log per
  (sample, target) replaces logsumexp, log_softmax and logaddexp.  tanh z = 2 σ(2z) - 1,
  with the factor 2 folded (exactly) into the output weights of the two heads that need it.
* **Local derivatives formed in the forward pass.**  Each log-density depends on its own
  target and on the network outputs z of its sample only, so dlog p̂/dz (three numbers per
  kernel) and dlog p̂/d target are formed where the forward values are still in cache.  For
  the model loss the derivative with respect to the conditioning value is pushed forward
  through the network (the tangent J = dh/dv rides in the same matrix product as h), so
  the backward pass only multiplies two (B, N) derivatives by the incoming per-pair
  coefficients (the loss depends on the conditional estimator only through per-pair means).
* **Layouts and chunks.**  The outputs are formed transposed, kernels outermost, so sums
  over the K kernels are sums of contiguous slabs; samples are processed in chunks of whole
  conditioning periods (~:data:`CHUNK_ROWS` product rows) so the work stays in cache; the
  three shifts of the model loss run as one batch.
* **The estimator loss in one pass.**  Its coefficients are constants (-1/(N(N-1)) per
  off-diagonal pair mean), so the parameter gradients are accumulated chunk by chunk in
  the forward pass and only scaled in the backward pass.

Requires the density floor (``DENSITY_FLOOR`` > 0): without it the linear-space sum would
underflow where logsumexp does not.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .estimators import DENSITY_FLOOR, MarginalMixture, MaskedConditional

__all__ = [
    "conditional_pair_means",
    "conditional_likelihood",
    "marginal_log_prob",
    "CHUNK_ROWS",
]

_LOG2E = 1.0 / math.log(2.0)
_KAPPA = 1.0 / math.sqrt(2.0 * math.pi)
_EXP2_MIN = -100.0  # exp2 arguments are clamped here: no denormals, error < 1e-23 of the floor
_SLOPE = 0.2  # LeakyReLU slope of the conditional MLPs
#: rows of the chunked matrix products on a CPU (samples x shifts, and x 2 where the tangent
#: J rides along); a chunk holds whole conditioning periods of N samples, at least one.  On
#: other devices the whole batch is one chunk (fewer, larger kernels).
CHUNK_ROWS = 1024
# the local gradients are formed without these per-head constants (da/dz = 7 s(1-s) for the
# weights head, where tanh z = 2 s - 1 with s = σ(2z); 3.5 for the log-variance head);
# they are applied with the incoming coefficients instead
_HEAD_SCALE = (7.0, 1.0, 3.5)
# heads whose pre-activation enters through tanh(z) = 2σ(2z) - 1: their output weights are
# doubled (exact in floating point) so the product gives 2z directly
_WEIGHT_SCALE = (2.0, 1.0, 2.0)


_CONSTANTS: dict = {}


def _constant(values: tuple, like: torch.Tensor) -> torch.Tensor:
    """A small constant tensor on ``like``'s device, made once (no host-to-device copy in a
    later step, so a step can be captured in a CUDA graph)."""
    key = (values, like.device, like.dtype)
    t = _CONSTANTS.get(key)
    if t is None:
        t = _CONSTANTS[key] = torch.tensor(values, dtype=like.dtype).to(like.device)
    return t


def _periods_per_chunk(n: int, N: int, rows_per_period: int, chunk: int | None, device: torch.device) -> int:
    """Conditioning periods (of N samples) per chunk, so that a chunk's matrix product has
    about ``chunk`` (default :data:`CHUNK_ROWS` on a CPU, everything elsewhere) rows; n
    periods in all."""
    if chunk is None:
        if device.type != "cpu":
            return n
        chunk = CHUNK_ROWS
    return max(1, min(n, chunk // (N * rows_per_period)))


def _leaky_backward(grad: torch.Tensor, out: torch.Tensor, *, self_is_result: bool, into=None) -> torch.Tensor:
    if into is None:
        return torch.ops.aten.leaky_relu_backward(grad, out, _SLOPE, self_is_result)
    return torch.ops.aten.leaky_relu_backward.grad_input(grad, out, _SLOPE, self_is_result, grad_input=into)


# ---------------------------------------------------------------- conditional estimator
# Layout: the network's outputs are formed transposed, z^T = W2^T h^T, so a chunk of T
# samples gives per head a (K, N, T) tensor: kernels outermost, samples innermost.  Sums
# over the K kernels are then sums of contiguous slabs, and per-(target, sample) factors
# broadcast over the outermost axis; both are 2-3x slower with K innermost.
def _output_layer(W2: torch.Tensor, b2: torch.Tensor, N: int, K: int) -> tuple[torch.Tensor, torch.Tensor]:
    """W2 (3, H, N K), b2 (3, N K) with the module's (target, kernel) column order ->
    W2t (3, K N, H) and b2t (3, K N): kernel-major rows, heads 0 and 2 doubled (exact)."""
    H = W2.shape[1]
    scale = _constant(_WEIGHT_SCALE, W2).view(3, 1, 1, 1)
    W2t = (W2.view(3, H, N, K).permute(0, 3, 2, 1) * scale).reshape(3, K * N, H)
    b2t = (b2.view(3, N, K).transpose(1, 2) * scale[:, 0]).reshape(3, K * N)
    return W2t, b2t


def _output_layer_grad(dW2t: torch.Tensor, db2t: torch.Tensor, N: int, K: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients with respect to :func:`_output_layer`'s W2t, b2t -> the module's W2, b2."""
    H = dW2t.shape[-1]
    scale = _constant(_WEIGHT_SCALE, dW2t).view(3, 1, 1, 1)
    dW2 = (dW2t.view(3, K, N, H) * scale).permute(0, 3, 2, 1).reshape(3, H, N * K)
    db2 = (db2t.view(3, K, N) * scale[:, 0]).transpose(1, 2).reshape(3, N * K)
    return dW2, db2


def _hidden(v: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, out=None) -> torch.Tensor:
    """Pre-activations v W1[g] + b1 of the first layer (a row lookup: the input is masked to
    one component).  v (S, r, N): value of conditioning slot g of each sample.
    Returns (3, S, r, N, H): rows in sample order (shift, period, slot)."""
    args = (b1[:, None, None, None, :], v[None, ..., None], W1[:, None, None, :, :])
    return torch.addcmul(*args) if out is None else torch.addcmul(*args, out=out)


def _conditional_chunk(v, tt, W1, b1, W2t, b2t, floor, gz=None, tangent=False):
    """Log-densities of one chunk of T = S r N samples and their local derivatives.

    v (S, r, N): conditioning values; tt (N, T): targets, transposed.  If given, gz
    (3, K, N, T) receives dlog p̂/dz per head (without the :data:`_HEAD_SCALE` constants).
    ``tangent=True`` also pushes the derivative with respect to v forward through the
    network (J = dh/dv; J W2 comes out of the same matrix product as z) and returns
    gv (N, T) = dlog p̂[j, b]/dv_b.
    Returns (log p̂ (N, T), gt (N, T) = dlog p̂/d target, gv or None, h (3, T, H)).
    """
    N, T = tt.shape
    H, KN = W1.shape[-1], W2t.shape[1]
    K = KN // N
    S, r = v.shape[:2]
    if tangent:  # rows [h; J] share one product with W2
        hj = tt.new_empty(3, 2, S, r, N, H)
        pre = _hidden(v, W1, b1, out=hj[:, 0])
        _leaky_backward(W1[:, None, None], pre, self_is_result=False, into=hj[:, 1])  # J = dh/dv
        h = F.leaky_relu_(pre, _SLOPE)
        zz = torch.bmm(W2t, hj.view(3, 2 * T, H).transpose(1, 2)).view(3, K, N, 2 * T)
        z, jz = zz[..., :T], zz[..., T:]
        z += b2t.view(3, K, N, 1)
    else:
        h = F.leaky_relu_(_hidden(v, W1, b1), _SLOPE)
        z = torch.baddbmm(b2t[:, :, None], W2t, h.view(3, T, H).transpose(1, 2)).view(3, K, N, T)
    zw, zm, zv = z.unbind(0)
    # mixture weights: a = 3.5 tanh(zw) = 7 σ(2 zw) - 3.5 (zw here is already 2 zw)
    sw = torch.sigmoid(zw)
    pik = sw.sub(0.5).mul_(7.0 * _LOG2E).exp2_()  # exp(a)
    pik.mul_(pik.sum(0).reciprocal_().mul_(_KAPPA))  # κ π, κ = 1/√(2π)
    # variances: log σ² = 3.5 tanh(zv); sdi = exp(-log σ²/2) = 1/σ
    sv = torch.sigmoid(zv)
    sdi = sv.sub(0.5).mul_(-3.5 * _LOG2E).exp2_()
    mu = F.leaky_relu(zm, _SLOPE)
    u = torch.sub(tt, mu).mul_(sdi)  # (t - μ)/σ
    q = u * u
    term = q.mul(-0.5 * _LOG2E).clamp_min_(_EXP2_MIN).exp2_().mul_(pik).mul_(sdi)  # w N(t; μ, σ²)
    P = term.sum(0)  # (N, T)
    Pf = P + floor
    lp = torch.log(Pf)
    rinv = Pf.reciprocal_()
    rho = term.mul_(rinv)  # responsibilities dlog p̂/de_k (the floor included)
    g0, g1, g2 = (None, None, None) if gz is None else gz.unbind(0)
    # weights head: dlog p̂/da_k = ρ_k - π_k Σρ, Σρ = P/(P + floor); da/dz = 7 σ(1-σ)
    tmp = torch.addcmul(rho, pik, P.mul_(rinv).mul_(-1.0 / _KAPPA))
    sw.addcmul_(sw, sw, value=-1.0)  # σ(1-σ)
    g0 = tmp.mul_(sw) if g0 is None else torch.mul(tmp, sw, out=g0)
    # means head: dlog p̂/dμ_k = ρ_k (t - μ_k)/σ²_k; dlog p̂/dt = -Σ_k of the same
    gmu = u.mul_(rho).mul_(sdi)
    gt = gmu.sum(0).neg_()
    g1 = _leaky_backward(gmu, mu, self_is_result=True, into=g1)
    # variances head: dlog p̂/dlog σ²_k = ρ_k (q_k - 1)/2; dlog σ²/dz = 7 σ(1-σ), i.e. 3.5 after the ½
    sv.addcmul_(sv, sv, value=-1.0)
    q.sub_(1.0).mul_(rho)
    g2 = q.mul_(sv) if g2 is None else torch.mul(q, sv, out=g2)
    gv = None
    if tangent:  # Σ_heads Σ_k dlog p̂/dz · dz/dv, with the per-head constants
        jw, jm, jv = jz.unbind(0)
        acc = g0.mul_(jw).mul_(_HEAD_SCALE[0])
        acc.addcmul_(g1, jm).addcmul_(g2, jv, value=_HEAD_SCALE[2])
        gv = acc.sum(0)
    return lp, gt, gv, h


class _ConditionalPairMeans(torch.autograd.Function):
    """Pair means of the conditional log-densities at several shifts; gradient for y only
    (the estimator is held fixed, as in the model loss).

    The forward pass forms, per sample b and target j, dlog p̂[b, j]/d target and
    dlog p̂[b, j]/d(conditioning value) (forward mode through the network, in the same
    matrix product as the network's output), so the backward pass is elementwise.
    """

    @staticmethod
    def forward(ctx, y, W1, b1, W2, b2, shifts, chunk, floor):
        B, N = y.shape
        K = W2.shape[-1] // N
        n, S = B // N, len(shifts)
        W2t, b2t = _output_layer(W2, b2, N, K)
        yr = torch.stack([torch.roll(y, s, 1) if s else y for s in shifts])  # (S, B, N)
        ytr = yr.view(S, n, N, N).permute(3, 0, 1, 2)  # (N_j, S, n, N_g): targets, transposed
        val = yr.view(S, n, N, N).diagonal(dim1=2, dim2=3)  # (S, n, N): y'_g of each sample
        M = y.new_zeros(N, S, N)  # [j, s, g]
        gt, gv = y.new_empty(N, S, n, N), y.new_empty(N, S, n, N)
        rows = _periods_per_chunk(n, N, 2 * S, chunk, y.device)
        for r0 in range(0, n, rows):
            r1 = min(n, r0 + rows)
            r = r1 - r0
            tt = ytr[:, :, r0:r1].reshape(N, S * r * N)
            lp, gt_c, gv_c, _ = _conditional_chunk(val[:, r0:r1], tt, W1, b1, W2t, b2t, floor, tangent=True)
            gt[:, :, r0:r1] = gt_c.view(N, S, r, N)
            gv[:, :, r0:r1] = gv_c.view(N, S, r, N)
            M += lp.view(N, S, r, N).sum(2)
        ctx.save_for_backward(gt, gv)
        ctx.shifts = shifts
        return M.permute(1, 2, 0).div(n)  # (S, N_g, N_j)

    @staticmethod
    def backward(ctx, gM):
        gt, gv = ctx.saved_tensors
        N, S, n, _ = gt.shape
        coef = (gM / n).permute(2, 0, 1)[:, :, None, :]  # (N_j, S, 1, N_g): dL/dlog p̂[b, j]
        g = gt * coef
        g.diagonal(dim1=0, dim2=3).add_((gv * coef).sum(0))  # the conditioning value y'_g
        gyr = g.permute(1, 2, 3, 0).reshape(S, n * N, N)  # (S, B, N_j)
        grad_y = None
        for i, s in enumerate(ctx.shifts):
            part = torch.roll(gyr[i], -s, 1) if s else gyr[i]
            grad_y = part if grad_y is None else grad_y + part
        return grad_y, None, None, None, None, None, None, None


class _ConditionalLikelihood(torch.autograd.Function):
    """-mean over ordered pairs k ≠ j of the pair means (the conditional part of the
    estimators' loss); gradient for the parameters only (y is detached there)."""

    @staticmethod
    def forward(ctx, y, W1, b1, W2, b2, chunk, floor):
        B, N = y.shape
        K, H = W2.shape[-1] // N, W1.shape[-1]
        n = B // N
        W2t, b2t = _output_layer(W2, b2, N, K)
        yt = y.view(n, N, N).permute(2, 0, 1)  # (N_j, n, N_g)
        val = y.view(1, n, N, N).diagonal(dim1=2, dim2=3)  # (1, n, N)
        off = 1.0 - torch.eye(N, dtype=y.dtype, device=y.device)
        scale = -1.0 / (N * (N - 1))
        # dL/dlog p̂[j, (r, g)] = scale/n for g != j, with the per-head constants: (3, 1, N_j, 1, N_g)
        coef = (off * (scale / n)).view(1, 1, N, 1, N) * _constant(_HEAD_SCALE, y).view(3, 1, 1, 1, 1)
        M = y.new_zeros(N, N)  # [j, g]
        dW1, db1 = torch.zeros_like(W1), torch.zeros_like(b1)
        dW2t, db2t = torch.zeros_like(W2t), torch.zeros_like(b2t)
        rows = _periods_per_chunk(n, N, 1, chunk, y.device)
        for r0 in range(0, n, rows):
            r1 = min(n, r0 + rows)
            r = r1 - r0
            T = r * N
            gz = y.new_empty(3, K, N, T)
            lp, _, _, h = _conditional_chunk(val[:, r0:r1], yt[:, r0:r1].reshape(N, T), W1, b1, W2t, b2t,
                                             floor, gz=gz)
            M += lp.view(N, r, N).sum(1)
            dz = gz.view(3, K, N, r, N).mul_(coef).view(3, K * N, T)
            hf = h.view(3, T, H)
            dW2t += torch.bmm(dz, hf)  # (not baddbmm_: FlopCounterMode does not count in-place products)
            db2t += dz.sum(-1)
            dpre = _leaky_backward(torch.bmm(dz.transpose(1, 2), W2t), hf, self_is_result=True).view(3, r, N, H)
            db1 += dpre.sum((1, 2))
            dW1 += dpre.mul_(val[0, r0:r1, :, None]).sum(1)
        dW2, db2 = _output_layer_grad(dW2t, db2t, N, K)
        ctx.save_for_backward(dW1, db1, dW2, db2)
        return (M * off).sum() * (scale / n)

    @staticmethod
    def backward(ctx, g):
        dW1, db1, dW2, db2 = ctx.saved_tensors
        return None, g * dW1, g * db1, g * dW2, g * db2, None, None


def conditional_pair_means(conditional: MaskedConditional, y: torch.Tensor, shifts=(0,), chunk: int | None = None) -> torch.Tensor:
    """Fused :meth:`MaskedConditional.pair_means` at several shifts, estimator held fixed
    (``detach_params=True``).  y (B, N) -> (len(shifts), N, N)."""
    conditional.check_batch(y.shape[0])
    c = conditional
    return _ConditionalPairMeans.apply(y, c.W1.detach(), c.b1.detach(), c.W2.detach(), c.b2.detach(),
                                       tuple(int(s) for s in shifts), chunk, DENSITY_FLOOR)


def conditional_likelihood(conditional: MaskedConditional, y: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
    """Fused ``-pair_means(y)[k ≠ j].mean()`` with gradients for the estimator's parameters
    only (y is treated as detached)."""
    conditional.check_batch(y.shape[0])
    c = conditional
    return _ConditionalLikelihood.apply(y.detach(), c.W1, c.b1, c.W2, c.b2, chunk, DENSITY_FLOOR)


# ---------------------------------------------------------------- marginal estimator
class _MixtureLogProb(torch.autograd.Function):
    """log(Σ_k w_k N(t; μ_k, σ²_k) + floor) of every column at S parameter sets.

    tt (N, B): the samples, transposed; log_w, mu, log_var (K, S, N).  Returns (S, N, B).
    Works in the layout (K, S, N, B): sums over the kernels are sums of contiguous slabs and
    the parameters broadcast along the contiguous sample axis.
    """

    @staticmethod
    def forward(ctx, tt, log_w, mu, log_var, floor):
        sdi = torch.exp(-0.5 * log_var)[..., None]  # (K, S, N, 1)
        coeff = (torch.exp(log_w) * _KAPPA)[..., None] * sdi
        u = torch.sub(tt, mu[..., None]).mul_(sdi)  # (K, S, N, B)
        q = u * u
        term = q.mul(-0.5 * _LOG2E).clamp_min_(_EXP2_MIN).exp2_().mul_(coeff)
        P = term.sum(0)
        Pf = P + floor
        lp = torch.log(Pf)
        rho = term.mul_(Pf.reciprocal_())
        gmu = u.mul_(rho).mul_(sdi)  # dlog p̂/dμ_k
        gt = gmu.sum(0).neg_() if ctx.needs_input_grad[0] else None
        params = any(ctx.needs_input_grad[1:4])
        glv = q.sub_(1.0).mul_(rho).mul_(0.5) if params else None  # dlog p̂/dlog σ²_k
        ctx.save_for_backward(gt, rho if params else None, gmu if params else None, glv)
        return lp

    @staticmethod
    def backward(ctx, g):
        gt, rho, gmu, glv = ctx.saved_tensors
        grad_t = grad_w = grad_mu = grad_lv = None
        if ctx.needs_input_grad[0]:
            grad_t = (g * gt).sum(0)
        if rho is not None:
            grad_w, grad_mu, grad_lv = ((g * x).sum(-1) for x in (rho, gmu, glv))
        return grad_t, grad_w, grad_mu, grad_lv, None


def marginal_log_prob(marginal: MarginalMixture, y: torch.Tensor, shifts=(0,), detach_params: bool = False) -> torch.Tensor:
    """Fused :meth:`MarginalMixture.log_prob` at several shifts: y (B, N) -> (len(shifts), B, N)."""
    log_w, mu, log_var = marginal._params(detach_params)
    N = y.shape[1]
    cols = torch.arange(N, device=y.device)
    idx = torch.stack([(cols + s).clamp(0, N - 1) for s in shifts])  # (S, N)
    p = [a[idx].permute(2, 0, 1) for a in (log_w, mu, log_var)]  # (K, S, N)
    return _MixtureLogProb.apply(y.t().contiguous(), *p, DENSITY_FLOOR).transpose(1, 2)
