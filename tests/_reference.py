"""Independent NumPy/SciPy reference implementations of the spec's formulas (spec §1.5-1.11).

They are written from the reproduction spec, loop by loop, without the package's
vectorisation tricks (row lookup, roll, diagonal reshapes), so the tests can compare the
package against them.  Not a test module.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, softmax
from scipy.stats import norm


def leaky(z, slope=0.2):
    return np.where(z >= 0, z, slope * z)


def mixture_logpdf(v, w, mu, var, floor=1e-7):
    """log(Σ_m w_m N(v; mu_m, var_m) + floor) for scalar v and (K,) parameter vectors, via
    scipy; the floor is the authors' 1e-7 added to the density before the log."""
    return float(np.logaddexp(logsumexp(norm.logpdf(v, loc=mu, scale=np.sqrt(var)), b=w), np.log(floor)))


# ---------------------------------------------------------------- marginal estimator (eq. 27)
def marginal_params(logits, means, log_var):
    """(N, K) arrays of the raw parameters -> weights, means, variances (spec §1.11)."""
    logits, means, log_var = (np.asarray(a, np.float64) for a in (logits, means, log_var))
    return softmax(np.clip(logits, -4.5, 4.5), axis=-1), means, np.exp(np.clip(log_var, -4.5, 4.5))


def marginal_logp(params, i, v):
    """log p̂_i(v)."""
    w, mu, var = params
    return mixture_logpdf(v, w[i], mu[i], var[i])


def reg1(y, params):
    """Spec §1.5: (1/N) Σ_i avg_{j=i±1 in range} max(0, mean_b[log p̂_i(y_i) - log p̂_j(y_i)])."""
    B, N = y.shape
    total = 0.0
    for i in range(N):
        own = np.mean([marginal_logp(params, i, y[b, i]) for b in range(B)])
        kls = []
        for j in (i - 1, i + 1):
            if 0 <= j < N:
                other = np.mean([marginal_logp(params, j, y[b, i]) for b in range(B)])
                kls.append(max(0.0, own - other))
        total += np.mean(kls)
    return total / N


def marginal_entropies(y, params):
    """Ĥ(y_i) = -mean_b log p̂_i(y_i^b), (N,)."""
    B, N = y.shape
    return np.array([-np.mean([marginal_logp(params, i, y[b, i]) for b in range(B)]) for i in range(N)])


# ---------------------------------------------------------------- conditional estimator (eqs. 29-30)
class NumpyConditional:
    """Three one-hidden-layer MLPs N -> H -> N K run on the dense masked input y ⊙ 1_g."""

    def __init__(self, W1, b1, W2, b2, n_kernels):
        self.W1, self.b1, self.W2, self.b2 = (np.asarray(a, np.float64) for a in (W1, b1, W2, b2))
        self.N = self.W1.shape[1]
        self.K = n_kernels

    @classmethod
    def from_module(cls, mod):
        return cls(*(t.detach().double().numpy() for t in (mod.W1, mod.b1, mod.W2, mod.b2)), mod.n_kernels)

    def heads(self, g, u):
        """Mixture parameters of q̂_{g, j}(· | y_g = u) for every target j: three (N, K) arrays."""
        x = np.zeros(self.N)
        x[g] = u  # the dense masked input: all components but g are zero
        out = []
        for m in range(3):
            h = leaky(x @ self.W1[m] + self.b1[m])
            out.append((h @ self.W2[m] + self.b2[m]).reshape(self.N, self.K))
        z_w, z_mu, z_var = out
        w = softmax(3.5 * np.tanh(z_w), axis=-1)
        mu = leaky(z_mu)
        var = np.exp(3.5 * np.tanh(z_var))
        return w, mu, var

    def logq(self, g, j, v, u):
        """log q̂_{g, j}(v | y_g = u)."""
        w, mu, var = self.heads(g, u)
        return mixture_logpdf(v, w[j], mu[j], var[j])

    def pair_mean(self, y, cond_slot, g, j, src_k, src_j):
        """mean over the samples b with b mod N == cond_slot of log q̂_{g,j}(y_{src_j}^b | y_{src_k}^b)."""
        rows = [b for b in range(y.shape[0]) if b % self.N == cond_slot]
        return np.mean([self.logq(g, j, y[b, src_j], y[b, src_k]) for b in rows])


def reg2(y, net: NumpyConditional):
    """Spec §1.5: mean over (k, j), k≠j, of avg_{s=±1 valid} max(0, own - shifted), where own
    averages log q̂_{k,j}(y_j|y_k) over the samples conditioned on k and shifted averages
    log q̂_{k+s,j+s}(y_j|y_k) over the samples conditioned on k+s.  Pairs with no valid shift
    are left out of the mean."""
    N = y.shape[1]
    vals = []
    for k in range(N):
        for j in range(N):
            if k == j:
                continue
            own = net.pair_mean(y, k, k, j, k, j)
            kls = []
            for s in (-1, 1):
                if 0 <= k + s < N and 0 <= j + s < N:
                    other = net.pair_mean(y, k + s, k + s, j + s, k, j)
                    kls.append(max(0.0, own - other))
            if kls:
                vals.append(np.mean(kls))
    return float(np.mean(vals))


def conditional_nll(y, net: NumpyConditional):
    """mean_{k≠j} (-mean_{b: b mod N = k} log q̂_{k,j}(y_j^b | y_k^b))."""
    N = y.shape[1]
    return float(np.mean([-net.pair_mean(y, k, k, j, k, j) for k in range(N) for j in range(N) if k != j]))


# ---------------------------------------------------------------- alignment and entropy
def alignment(y):
    """-(1/(N-1)) Σ_i corrcoef(y_i, y_{i+1}) (eq. 9)."""
    N = y.shape[1]
    return -np.mean([np.corrcoef(y[:, i], y[:, i + 1])[0, 1] for i in range(N - 1)])


def soft_weights(N, tau, gain):
    """w_k = 1/(1 + exp(clip(g (s_k - τ), ±50))), s_k = (k-1)/(N-1) (eq. 17)."""
    s = np.array([(k - 1) / (N - 1) for k in range(1, N + 1)])
    return 1.0 / (1.0 + np.exp(np.clip(gain * (s - tau), -50, 50)))


def low_rank_entropy(y, tau, gain):
    """Σ w_k h_k / Σ w_k, h_k = ½(log(2π λ_k + 1e-7) + 1), λ descending eigenvalues of the
    biased sample covariance (eqs. 14-16)."""
    C = np.cov(np.asarray(y, np.float64), rowvar=False, bias=True)
    lam = np.clip(np.sort(np.linalg.eigvalsh(C))[::-1], 0, None)
    h = 0.5 * (np.log(2 * np.pi * lam + 1e-7) + 1)
    w = soft_weights(y.shape[1], tau, gain)
    return float((w * h).sum() / w.sum())
