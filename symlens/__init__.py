"""symlens: a reproducible PyTorch companion of SymmetryLens (Efe & Ozakin, arXiv 2410.05232).

Learn the minimal generator of a one-parameter symmetry, a resolving filter and an
equivariant representation from unlabelled samples::

    import symlens
    data = symlens.make_dataset("gaussian-translation", 8184)
    lens = symlens.SymmetryLens(profile="smoke", seed=0).fit(data.X, true_generator=data.generator)
    symlens.metrics.generator_cosine_similarity(lens.generator_, data.generator)
"""

from . import config, data, metrics
from .config import LensConfig, LossConfig, get_profile, profile_names
from .data import DATASET_NAMES, Dataset, make_dataset
from .lens import NotFittedError, SymmetryLens
from .restarts import fit_best_of

__version__ = "0.1.0"

__all__ = [
    "SymmetryLens",
    "NotFittedError",
    "fit_best_of",
    "make_dataset",
    "Dataset",
    "DATASET_NAMES",
    "LensConfig",
    "LossConfig",
    "get_profile",
    "profile_names",
    "config",
    "data",
    "metrics",
    "__version__",
]
