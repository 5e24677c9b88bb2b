"""Synthetic datasets of the SymmetryLens paper (spec §2; paper §4, Table 1).

Every dataset follows the discrete data model of eq. 4: a hidden vector ``s`` that is local and
(approximately) stationary under the pixel shift ``T`` is mapped by a fixed orthogonal ``Q``,

    x = Q s        (eqs. 4, 26),    true generator  G = Q T Q^T,

with ``Q`` the identity ("translation"), a fixed permutation ("permuted", eq. 22) or the DST-I matrix
("dst"). ``s`` is a sum of randomly placed bumps, Gaussian (eq. 24) or cropped associated-Legendre
(eq. 25), followed by normalisation and white noise:

1. per feature and sample, ``n_lots`` candidate components, each present independently with
   probability ``p_exist / n_features`` (so Binomial(5, 0.5) Gaussians, or Binomial(5, 0.25) for each
   of the two Legendre features);
2. centre, scale and amplitude uniform; centres span twice the window, ``[-dim, dim]``, so bumps
   enter and leave the window and the process looks stationary inside it;
3. the sum is divided by one scalar std and ``noise_std`` white noise is added, before ``Q``.

Two deliberate differences from the authors' TensorFlow generator:

* **Normalisation over the whole set.** The authors divide each batch by that batch's std; here the
  scalar std is that of the whole generated set. With batches of 16 500 samples the two agree up to
  sampling noise.
* **Permuted data is not degenerate here.** The authors' permutation helper reseeds NumPy's global
  RNG with seed 0 every time it is read, i.e. once per batch, so every batch after the first starts
  from the same RNG state and the permuted training set holds only about two distinct batches
  (spec §2.7). This module does not reproduce that bug: the permutation is fixed (seed 0, identical
  to the authors' ``perm``) but every sample is drawn fresh from the caller's generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from fractions import Fraction

import numpy as np

__all__ = [
    "DATASET_NAMES", "DataConfig", "Dataset", "shift_matrix", "dst_matrix", "permutation_transform",
    "transform_matrix", "true_generator", "check_orthogonal", "gaussian_bump", "scaled_assoc_legendre",
    "legendre_bump", "sample_signals", "dataset_config", "make_dataset", "resample",
]

DATASET_NAMES: tuple[str, ...] = ("gaussian-translation", "gaussian-permuted", "gaussian-dst",
                                  "legendre-translation", "legendre-permuted", "legendre-dst")

_NAME_TRANSFORMS = {"translation": "identity", "permuted": "permutation", "dst": "dst"}
_SIGNALS = ("gaussian", "legendre")
_TRANSFORMS = ("identity", "permutation", "dst", "custom")
_DEFAULT_SCALES = {"gaussian": (0.5, 2.5), "legendre": (6.0, 15.0)}
# Components are summed this many array elements at a time, which bounds the temporaries at a few
# tens of MB however many samples are asked for.
_CHUNK_ELEMENTS = 1 << 21


def _check_range(name: str, r, positive: bool = False) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in r)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {r!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"{name} must be finite with low <= high, got {r!r}")
    if positive and lo <= 0:
        raise ValueError(f"{name} must be positive, got {r!r}")
    return lo, hi


@dataclass(frozen=True)
class DataConfig:
    """Parameters of one synthetic dataset (one row of Table 1).

    ``scale_range`` is the Gaussian std sigma (eq. 24) or the Legendre support length L (eq. 25);
    ``None`` picks the per-signal default. ``center_range=None`` means ``(-dim, dim)``.
    ``noise_std`` is relative to the unit std of the normalised signal.
    """

    signal: str = "gaussian"
    transform: str = "identity"
    dim: int = 33
    n_lots: int = 5
    p_exist: float = 0.5
    amplitude_range: tuple[float, float] = (0.5, 1.5)
    scale_range: tuple[float, float] | None = None
    legendre_degrees: tuple[tuple[int, int], ...] = ((2, 1), (3, 1))
    center_range: tuple[float, float] | None = None
    noise_std: float = 0.05
    permutation_seed: int = 0

    def __post_init__(self):
        if self.signal not in _SIGNALS:
            raise ValueError(f"signal must be one of {_SIGNALS}, got {self.signal!r}")
        if self.transform not in _TRANSFORMS:
            raise ValueError(f"transform must be one of {_TRANSFORMS}, got {self.transform!r}")
        if int(self.dim) != self.dim or self.dim < 2:
            raise ValueError(f"dim must be an integer >= 2, got {self.dim!r}")
        if int(self.n_lots) != self.n_lots or self.n_lots < 1:
            raise ValueError(f"n_lots must be an integer >= 1, got {self.n_lots!r}")
        degrees = tuple((int(l), int(m)) for l, m in self.legendre_degrees)
        for l, m in degrees:
            if not 0 <= m <= l:
                raise ValueError(f"legendre_degrees need l >= m >= 0, got (l, m) = {(l, m)}")
        if self.signal == "legendre" and not degrees:
            raise ValueError("legendre_degrees must not be empty for a legendre signal")
        # Normalise to hashable, plain types: the dataclass is frozen and used as a record.
        object.__setattr__(self, "dim", int(self.dim))
        object.__setattr__(self, "n_lots", int(self.n_lots))
        object.__setattr__(self, "legendre_degrees", degrees)
        object.__setattr__(self, "amplitude_range", _check_range("amplitude_range", self.amplitude_range))
        if self.scale_range is not None:
            object.__setattr__(self, "scale_range", _check_range("scale_range", self.scale_range, True))
        if self.center_range is not None:
            object.__setattr__(self, "center_range", _check_range("center_range", self.center_range))
        p = self.p_exist / _n_features(self)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p_exist / n_features must lie in [0, 1], got {self.p_exist!r} / "
                             f"{_n_features(self)}")
        if not (math.isfinite(self.noise_std) and self.noise_std >= 0):
            raise ValueError(f"noise_std must be finite and >= 0, got {self.noise_std!r}")

    def table_row(self) -> dict:
        """Plain-python parameters, defaults resolved, for generating Table 1 from code."""
        n_feat = _n_features(self)
        return {
            "signal": self.signal,
            "transform": self.transform,
            "dim": self.dim,
            "features": ([f"P~_{l}^{m}" for l, m in self.legendre_degrees]
                         if self.signal == "legendre" else ["gaussian"]),
            "n_lots": self.n_lots,
            "p_exist": float(self.p_exist),
            "p_component": float(self.p_exist) / n_feat,
            "mean_components_per_sample": self.n_lots * float(self.p_exist),
            "amplitude_range": list(self.amplitude_range),
            "scale_name": "L" if self.signal == "legendre" else "sigma",
            "scale_range": list(_scale_range(self)),
            "center_range": list(_center_range(self)),
            "noise_std": float(self.noise_std),
            "permutation_seed": int(self.permutation_seed),
        }


@dataclass(frozen=True)
class Dataset:
    """Generated samples with their ground truth.

    X: (n_samples, dim) float32, observed ``x = Q s`` in row form ``X = S Q^T``.
    signals: (n_samples, dim) float32, hidden local signal ``s`` (normalised, noise included).
    transform: (dim, dim) float64 orthogonal ``Q``; generator: (dim, dim) float64 ``Q T Q^T``.
    """

    name: str
    X: np.ndarray
    signals: np.ndarray
    transform: np.ndarray
    generator: np.ndarray
    config: DataConfig
    seed: int


def _n_features(config: DataConfig) -> int:
    return len(config.legendre_degrees) if config.signal == "legendre" else 1


def _scale_range(config: DataConfig) -> tuple[float, float]:
    return config.scale_range if config.scale_range is not None else _DEFAULT_SCALES[config.signal]


def _center_range(config: DataConfig) -> tuple[float, float]:
    return config.center_range if config.center_range is not None else (-float(config.dim), float(config.dim))


def _pixel_grid(dim: int) -> np.ndarray:
    # Centred on the middle pixel; for even dim the grid is half-integer and symmetric about 0.
    return np.arange(dim, dtype=np.float64) - (dim - 1) / 2.0


# ---------------------------------------------------------------------------------------------
# Transforms and generators (spec §2.4; eqs. 22-23, 26)
# ---------------------------------------------------------------------------------------------

def shift_matrix(n: int) -> np.ndarray:
    """Non-circulant pixel shift ``T`` (n, n): ``T e_i = e_{i+1}``, ones on the sub-diagonal only."""
    return np.eye(n, k=-1)


def dst_matrix(n: int) -> np.ndarray:
    """DST-I matrix (n, n): ``D[a, b] = sin(pi a b / (n+1)) / sqrt((n+1)/2)`` for a, b = 1..n.

    Symmetric and orthonormal, hence its own inverse; the frequency-shift datasets use ``Q = D``.
    """
    k = np.arange(1, n + 1, dtype=np.float64)
    return np.sin(np.pi * np.outer(k, k) / (n + 1)) / np.sqrt((n + 1) / 2.0)


def permutation_transform(n: int, seed: int = 0) -> np.ndarray:
    """Permutation ``Q`` (n, n) of the shuffled-pixel datasets (eq. 22 gives a 4-D example).

    ``perm = RandomState(seed).permutation(n)`` reproduces the authors' ``np.random.seed(seed)``
    draw; their matrix ``P[i, perm[i]] = 1`` acts on row vectors (``x @ P``), so ``Q = P^T`` and
    ``(Q s)[perm[i]] = s[i]``.
    """
    perm = np.random.RandomState(seed).permutation(n)
    p_code = np.zeros((n, n))
    p_code[np.arange(n), perm] = 1.0
    return p_code.T


def transform_matrix(kind: str, n: int, permutation_seed: int = 0) -> np.ndarray:
    """Orthogonal ``Q`` (n, n) for ``kind`` in ``"identity" | "permutation" | "dst"``."""
    if kind == "identity":
        return np.eye(n)
    if kind == "permutation":
        return permutation_transform(n, permutation_seed)
    if kind == "dst":
        return dst_matrix(n)
    raise ValueError(f"unknown transform kind {kind!r}; expected 'identity', 'permutation' or 'dst'")


def true_generator(Q: np.ndarray) -> np.ndarray:
    """True generator ``G = Q T Q^T`` (n, n) for data ``x = Q s`` (eqs. 4, 26)."""
    Q = np.asarray(Q, dtype=np.float64)
    return Q @ shift_matrix(Q.shape[0]) @ Q.T


def check_orthogonal(Q, name: str = "transform", atol: float = 1e-5) -> np.ndarray:
    """Validate a square orthogonal matrix and return it as a float64 copy (n, n)."""
    Q = np.array(Q, dtype=np.float64, copy=True)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
        raise ValueError(f"{name} must be a square 2-D matrix, got shape {Q.shape}")
    if not np.all(np.isfinite(Q)):
        raise ValueError(f"{name} contains NaN or inf")
    err = float(np.max(np.abs(Q @ Q.T - np.eye(Q.shape[0]))))
    if err > atol:
        raise ValueError(f"{name} is not orthogonal: max|Q Q^T - I| = {err:.3g} > atol = {atol:g}")
    return Q


# ---------------------------------------------------------------------------------------------
# Basis signals (spec §2.2; eqs. 24-25)
# ---------------------------------------------------------------------------------------------

def gaussian_bump(t, center, width, amplitude) -> np.ndarray:
    """Gaussian bump of eq. 24 as a *normalised pdf* times ``amplitude`` (broadcasting).

    ``A exp(-(t-c)^2 / (2 w^2)) / (sqrt(2 pi) w)``: it integrates to ``A``, so narrow bumps are
    taller, as in the authors' generator.
    """
    t, center, width, amplitude = (np.asarray(v, dtype=np.float64) for v in (t, center, width, amplitude))
    z = (t - center) / width
    return amplitude * np.exp(-0.5 * z * z) / (math.sqrt(2.0 * math.pi) * width)


def _generalised_binomial(a: Fraction, k: int) -> Fraction:
    out = Fraction(1)
    for j in range(k):
        out *= (a - j) / (j + 1)
    return out


def scaled_assoc_legendre(l: int, m: int, x) -> np.ndarray:
    """``P~_l^m(x) = P_l^m(x) / ((-1)^m 2^l)`` on ``|x| <= 1`` (eq. 25; standard ``P_l^m`` carries the
    Condon-Shortley phase), from the closed sum

        P~_l^m(x) = (1-x^2)^(m/2) sum_{k=m}^{l} k!/(k-m)! C(l,k) C((l+k-1)/2, l) x^(k-m).
    """
    if int(l) != l or int(m) != m or not 0 <= m <= l:
        raise ValueError(f"need integers l >= m >= 0, got l={l!r}, m={m!r}")
    l, m = int(l), int(m)
    x = np.asarray(x, dtype=np.float64)
    if np.any(np.abs(x) > 1.0 + 1e-12):
        raise ValueError("scaled_assoc_legendre is defined on |x| <= 1")
    # Exact rational coefficients: C((l+k-1)/2, l) has a half-integer top for half the k's.
    coeffs = [math.factorial(k) // math.factorial(k - m) * math.comb(l, k)
              * _generalised_binomial(Fraction(l + k - 1, 2), l) for k in range(m, l + 1)]
    poly = np.zeros_like(x)
    for c in reversed(coeffs):  # Horner in powers x^(k-m)
        poly = poly * x + float(c)
    return poly * np.maximum(1.0 - x * x, 0.0) ** (m / 2.0)


def legendre_bump(t, center, length, amplitude, l, m) -> np.ndarray:
    """Cropped Legendre bump of eq. 25 (broadcasting): ``A P~_l^m(sin(pi (t-c)/L))`` for
    ``|t-c| <= L/2`` and 0 outside, so the support has width ``L``."""
    t, center, length, amplitude = (np.asarray(v, dtype=np.float64) for v in (t, center, length, amplitude))
    d = t - center
    inside = np.abs(d) <= length / 2.0
    x = np.sin(np.pi * np.clip(d / length, -0.5, 0.5))
    return np.where(inside, amplitude * scaled_assoc_legendre(l, m, x), 0.0)


# ---------------------------------------------------------------------------------------------
# Sampling (spec §2.1)
# ---------------------------------------------------------------------------------------------

def _draw_components(config: DataConfig, n: int, rng: np.random.Generator) -> list[dict]:
    """Random components of ``n`` samples: one dict per feature with (n, n_lots) arrays
    ``present`` (bool), ``center``, ``scale``, ``amplitude`` and the feature's ``l``, ``m``."""
    p = config.p_exist / _n_features(config)
    c_lo, c_hi = _center_range(config)
    s_lo, s_hi = _scale_range(config)
    a_lo, a_hi = config.amplitude_range
    degrees = config.legendre_degrees if config.signal == "legendre" else ((None, None),)
    shape = (n, config.n_lots)
    out = []
    for l, m in degrees:
        out.append({"l": l, "m": m,
                    "present": rng.random(shape) < p,
                    "center": rng.uniform(c_lo, c_hi, shape),
                    "scale": rng.uniform(s_lo, s_hi, shape),
                    "amplitude": rng.uniform(a_lo, a_hi, shape)})
    return out


def _render(config: DataConfig, components: list[dict], out: np.ndarray) -> None:
    """Add the present components onto ``out`` (n, dim) in place."""
    t = _pixel_grid(config.dim)[None, :]
    for feat in components:
        for j in range(config.n_lots):
            # Only present components are evaluated; within one lot each sample appears at most
            # once, so the fancy-indexed += below never drops a duplicate.
            idx = np.flatnonzero(feat["present"][:, j])
            if idx.size == 0:
                continue
            c, s, a = (feat[k][idx, j][:, None] for k in ("center", "scale", "amplitude"))
            if config.signal == "gaussian":
                out[idx] += gaussian_bump(t, c, s, a)
            else:
                out[idx] += legendre_bump(t, c, s, a, feat["l"], feat["m"])


def _generate(config: DataConfig, n_samples: int, rng: np.random.Generator, dtype) -> np.ndarray:
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
    n_samples, dim = int(n_samples), config.dim
    rows = max(1, _CHUNK_ELEMENTS // dim)
    out = np.empty((n_samples, dim), dtype=dtype)
    total = total_sq = 0.0
    for start in range(0, n_samples, rows):
        stop = min(start + rows, n_samples)
        chunk = np.zeros((stop - start, dim))
        _render(config, _draw_components(config, stop - start, rng), chunk)
        total += float(chunk.sum())
        total_sq += float(np.square(chunk).sum())
        out[start:stop] = chunk
    count = n_samples * dim
    mean = total / count
    std = math.sqrt(max(total_sq / count - mean * mean, 0.0))
    if not std > 0.0:
        raise ValueError("generated signals are constant (no component present?); cannot normalise "
                         "by their std; increase n_samples or p_exist")
    # One scalar std for the whole set; no demeaning (as in the authors' generator).
    for start in range(0, n_samples, rows):
        stop = min(start + rows, n_samples)
        block = out[start:stop].astype(np.float64) / std
        if config.noise_std > 0:
            block += config.noise_std * rng.standard_normal(block.shape)
        out[start:stop] = block
    return out


def sample_signals(config: DataConfig, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Hidden local signals ``s`` (n_samples, dim) float64 of eq. 4.

    Sum of present components, divided by the scalar std of the whole set (so the noiseless signal
    has unit std), plus ``config.noise_std`` times i.i.d. N(0, 1) white noise.
    """
    return _generate(config, n_samples, rng, np.float64)


# ---------------------------------------------------------------------------------------------
# Named datasets
# ---------------------------------------------------------------------------------------------

def dataset_config(name: str, dim: int = 33, **overrides) -> DataConfig:
    """``DataConfig`` of a named dataset (one of ``DATASET_NAMES``); ``overrides`` replace any field
    except ``signal`` and ``transform``, which the name fixes."""
    if name not in DATASET_NAMES:
        raise ValueError(f"unknown dataset {name!r}; expected one of {DATASET_NAMES}")
    signal, kind = name.split("-")
    allowed = {f.name for f in fields(DataConfig)} - {"signal", "transform", "dim"}
    for key in overrides:
        if key in ("signal", "transform"):
            raise ValueError(f"override {key!r} is fixed by the dataset name {name!r}; "
                             "pick another name or pass transform=Q to make_dataset")
        if key not in allowed:
            raise TypeError(f"unknown DataConfig override {key!r}; allowed: {sorted(allowed)}")
    return DataConfig(signal=signal, transform=_NAME_TRANSFORMS[kind], dim=dim, **overrides)


def make_dataset(name: str, n_samples: int, dim: int = 33, seed: int = 0,
                 transform: np.ndarray | None = None, **overrides) -> Dataset:
    """Generate ``n_samples`` samples of a named dataset: ``X = S Q^T`` (eqs. 4, 26).

    ``transform`` (an orthogonal (dim, dim) matrix) replaces the name's ``Q``; the signal type still
    comes from the name and ``config.transform`` becomes ``"custom"`` (the dataset is then named
    ``"<signal>-custom"``). ``signals`` depend only on the signal parameters and ``seed``
    (``np.random.default_rng(seed)``), never on ``Q``.
    """
    config = dataset_config(name, dim, **overrides)
    if transform is not None:
        Q = check_orthogonal(transform, "transform")
        if Q.shape != (config.dim, config.dim):
            raise ValueError(f"transform must have shape ({config.dim}, {config.dim}), got {Q.shape}")
        config = replace(config, transform="custom")
        name = f"{config.signal}-custom"
    else:
        Q = transform_matrix(config.transform, config.dim, config.permutation_seed)
    return _sample(name, config, Q, n_samples, seed)


def resample(data: Dataset, n_samples: int, seed: int) -> Dataset:
    """Fresh samples of ``data``'s data model (same config, same transform), drawn with
    ``seed``; e.g. a held-out set for a dataset made with custom parameters."""
    return _sample(data.name, data.config, data.transform, n_samples, seed)


def _sample(name: str, config: DataConfig, Q: np.ndarray, n_samples: int, seed: int) -> Dataset:
    signals = _generate(config, n_samples, np.random.default_rng(seed), np.float32)
    X = np.empty_like(signals)
    rows = max(1, _CHUNK_ELEMENTS // config.dim)
    for start in range(0, signals.shape[0], rows):
        X[start:start + rows] = signals[start:start + rows] @ Q.T
    return Dataset(name=name, X=X, signals=signals, transform=Q, generator=true_generator(Q),
                   config=config, seed=int(seed))
