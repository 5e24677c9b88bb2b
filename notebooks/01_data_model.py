# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: mystnb
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   mystnb:
#     render_markdown_format: myst
# ---

# %% [markdown]
# # 1. The data model and the six datasets
#
# Every dataset of the paper follows the discrete data model of its eq. 4: a hidden vector
# $s \in \mathbb{R}^N$ that is *local* (nearby components are strongly related) and
# approximately *stationary* under the pixel shift $T$ is observed through a fixed
# orthogonal matrix $Q$,
#
# $$ x = Q s, \qquad G_\text{true} = Q\,T\,Q^\top , $$
#
# with $Q$ the identity (translation), a fixed permutation (permuted) or the DST-I matrix
# (frequency shift). $s$ is a sum of randomly placed bumps, Gaussian (eq. 24) or cropped
# associated-Legendre (eq. 25), divided by one scalar standard deviation, plus 5 % white noise.
#
# This notebook builds Table 1 from the code's own configuration (`DataConfig.table_row()`,
# nothing typed in) and draws example samples (the paper's Figs 5–7), the hidden signal
# beside the observed one, and the true generators. Nothing here is trained, so the page is
# the same at every profile.

# %% tags=["parameters", "hide-input"]
profile = "smoke"
seed = 0
device = "auto"

# %% tags=["hide-input"]
# %matplotlib inline
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm.auto, imported by symlens

import matplotlib

matplotlib.rcParams["figure.dpi"] = 100  # inline figures, legible in the book; the saved PNGs use their own dpi

import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

import symlens
from symlens import data, io, plotting, results
from symlens.train import resolve_device


NAME = "01_data_model"
t_start = time.perf_counter()
out = results.notebook_dir(profile, NAME)
N = 33
n_samples = 2048  # samples per dataset for the examples and the statistics below
print(f"profile {profile}, seed {seed}; results go to results/{profile}/{NAME}/")

# %% [markdown]
# ## Table 1: the datasets
#
# Each row is `symlens.data.dataset_config(name).table_row()`: the parameters the generator
# actually uses, with every default resolved. The paper's printed ranges were lost in the
# text extraction; these values come from the authors' code (see the *Paper, code and this
# companion* page). The scale is the Gaussian width $\sigma$ or the Legendre support length
# $L$; centres range over twice the window, so bumps enter and leave it.

# %%
table1 = []
for name in data.DATASET_NAMES:
    row = data.dataset_config(name, dim=N).table_row()
    table1.append({"dataset": name, **row})


def _range(r):
    return f"[{r[0]:g}, {r[1]:g}]"


display(Markdown(plotting.markdown_table(
    [{
        "dataset": r["dataset"],
        "signal (features)": ", ".join(r["features"]),
        "Q": r["transform"],
        "N": r["dim"],
        "amplitude A": _range(r["amplitude_range"]),
        "scale": f"{r['scale_name']} ∈ {_range(r['scale_range'])}",
        "centres": _range(r["center_range"]),
        "components / sample": f"Bin({r['n_lots']}, {r['p_component']:g}) per feature",
        "mean components": r["mean_components_per_sample"],
        "noise std": r["noise_std"],
    } for r in table1],
    digits=2,
)))

# %% [markdown]
# ## How one sample is made (paper Fig. 5)
#
# A sample is a sum of localised bumps at random centres. Below, the bumps of one
# Gaussian sample and one Legendre sample are drawn one by one with the package's basis
# functions (`gaussian_bump`, eq. 24, a *normalised* density, so narrow bumps are taller;
# `legendre_bump`, eq. 25), then summed. Centres outside the window $[-16, 16]$ still
# contribute their tails.

# %% mystnb={"figure": {"caption": "How one sample is made: the bumps of one Gaussian and one Legendre sample, drawn one by one, and their sums (paper Fig. 5)."}}
rng = np.random.default_rng(seed)
t = np.arange(N) - (N - 1) / 2
gauss_parts = [data.gaussian_bump(t, c, w, a) for c, w, a in
               zip(rng.uniform(-N, N, 3), rng.uniform(0.5, 2.5, 3), rng.uniform(0.5, 1.5, 3))]
leg_parts = [data.legendre_bump(t, c, L, a, l, 1) for c, L, a, l in
             zip(rng.uniform(-N / 2, N / 2, 3), rng.uniform(6, 15, 3), rng.uniform(0.5, 1.5, 3), (2, 3, 2))]
fig_gen = plotting.history_curves(
    {"pixel t": t,
     **{f"bump {i + 1}": p for i, p in enumerate(gauss_parts)}, "sum": np.sum(gauss_parts, 0),
     **{f"L-bump {i + 1}": p for i, p in enumerate(leg_parts)}, "L-sum": np.sum(leg_parts, 0)},
    keys=[["bump 1", "bump 2", "bump 3", "sum"], ["L-bump 1", "L-bump 2", "L-bump 3", "L-sum"]],
    x="pixel t", ncols=2, suptitle="one sample = a sum of randomly placed bumps (Gaussian | Legendre)",
)
plotting.save_figure(fig_gen, out, "fig5_generating_process")
fig_gen

# %% [markdown]
# ## Samples of the six datasets (paper Figs 6–7)
#
# For each dataset: three samples of the hidden local signal $s$ (left) and the same samples
# as observed, $x = Qs$ (right). For the translation datasets the two are identical; for the
# permuted ones the locality is invisible to the eye; for the DST ones the observed vector
# is a superposition of sinusoids.

# %% mystnb={"figure": {"caption": "Samples of the six datasets, as the method sees them (paper Figs 6\u20137)."}}
datasets = {name: symlens.make_dataset(name, n_samples, dim=N, seed=seed) for name in data.DATASET_NAMES}
fig_samples = plotting.sample_grid({name: (ds.signals[:3], ds.X[:3]) for name, ds in datasets.items()})
plotting.save_figure(fig_samples, out, "fig6_7_samples")
fig_samples

# %% [markdown]
# ## The true generators and transforms
#
# $G_\text{true} = Q T Q^\top$ with $T$ the non-circulant shift (ones on the sub-diagonal).
# The Gaussian and Legendre datasets with the same $Q$ share the generator, so three
# generators cover all six datasets. The learned generator is scored against $G_\text{true}$
# or its transpose (the other direction of the shift), whichever matches better.

# %% mystnb={"figure": {"caption": "The true generators Q T Q\u1d40 and the transforms Q of the six datasets."}}
kinds = {"translation": "gaussian-translation", "permuted": "gaussian-permuted", "dst": "gaussian-dst"}
fig_true = plotting.matrix_grid(
    {**{f"G_true, {k}": datasets[v].generator for k, v in kinds.items()},
     **{f"Q, {k}": datasets[v].transform for k, v in kinds.items()}},
    ncols=3, suptitle="true generators (top) and transforms Q (bottom)",
)
plotting.save_figure(fig_true, out, "true_generators")
fig_true

# %% [markdown]
# ## Checks on the generated data
#
# - $x = Qs$ holds sample by sample, $Q$ is orthogonal, $G_\text{true} = QTQ^\top$;
# - the noiseless signal is scaled to unit standard deviation (with the noise, the overall
#   standard deviation is $\sqrt{1 + 0.05^2}$, up to the mean);
# - inside the window the per-pixel standard deviation of $s$ is nearly flat: the process
#   is approximately stationary, which is what makes the shift a symmetry of the data.

# %% mystnb={"figure": {"caption": "Per-pixel standard deviation and mean of the hidden signal s for the two translation datasets: nearly flat inside the window, so the process is approximately stationary."}}
stats = []
for name, ds in datasets.items():
    S, X, Q = ds.signals.astype(np.float64), ds.X.astype(np.float64), ds.transform
    per_pixel_std = S.std(axis=0)
    stats.append({
        "dataset": name,
        "max|x - Qs|": float(np.abs(X - S @ Q.T).max()),
        "max|QQᵀ - I|": float(np.abs(Q @ Q.T - np.eye(N)).max()),
        "max|G - QTQᵀ|": float(np.abs(ds.generator - Q @ data.shift_matrix(N) @ Q.T).max()),
        "std of s": float(S.std()),
        "pixel std min/max": float(per_pixel_std.min() / per_pixel_std.max()),
        "mean |s|": float(np.abs(S).mean()),
    })
# exact identities are shown as passed/failed at a stated tolerance (their rounding-level
# size depends on the BLAS build); the statistics are rounded
display(Markdown(plotting.markdown_table(
    [{"dataset": s["dataset"],
      "x = Qs (1e-4, float32)": s["max|x - Qs|"] < 1e-4,
      "Q orthogonal (1e-12)": s["max|QQᵀ - I|"] < 1e-12,
      "G = QTQᵀ (1e-12)": s["max|G - QTQᵀ|"] < 1e-12,
      **{k: s[k] for k in ("std of s", "pixel std min/max", "mean |s|")}} for s in stats],
    digits=3)))

fig_stat = plotting.history_curves(
    {"component": np.arange(N),
     **{f"{k} std": datasets[k].signals.std(0) for k in ("gaussian-translation", "legendre-translation")},
     **{f"{k} mean": datasets[k].signals.mean(0) for k in ("gaussian-translation", "legendre-translation")}},
    keys=[["gaussian-translation std", "legendre-translation std"],
          ["gaussian-translation mean", "legendre-translation mean"]],
    x="component", ncols=2, suptitle=f"per-pixel statistics of s over {n_samples} samples",
)
plotting.save_figure(fig_stat, out, "stationarity")
fig_stat

# %% [markdown]
# ## Save

# %% tags=["remove-input"]
metrics = {
    "table1": table1,
    "checks": stats,
    "n_samples": n_samples,
}
arrays = {f"{name}__{k}": getattr(ds, k)[:8] for name, ds in datasets.items() for k in ("signals", "X")}
arrays.update({f"{v}__generator": datasets[v].generator for v in kinds.values()})
prov = io.provenance(profile, seed, resolve_device(device), wall_time_s=time.perf_counter() - t_start,
                     notebook=NAME)
io.save_run(out, metrics, arrays, provenance=prov)
for r in table1:
    glue(f"table1_{r['dataset']}_noise", float(r["noise_std"]), display=False)
print("saved", sorted(p.name for p in out.iterdir() if p.suffix != ".ipynb"))

# %% [markdown]
# ## Assertions

# %% tags=["remove-input"]
assert len(table1) == 6 and {r["dataset"] for r in table1} == set(data.DATASET_NAMES)
assert all(r["dim"] == N for r in table1)
for s in stats:
    assert s["max|x - Qs|"] < 1e-4, s  # float32 storage
    assert s["max|QQᵀ - I|"] < 1e-12 and s["max|G - QTQᵀ|"] < 1e-12, s
    assert 0.9 < s["std of s"] < 1.1, s
for ds in datasets.values():
    assert ds.X.shape == ds.signals.shape == (n_samples, N)
    assert np.isfinite(ds.X).all()
# the Gaussian and Legendre datasets with the same transform share the generator
assert np.array_equal(datasets["gaussian-dst"].generator, datasets["legendre-dst"].generator)
# the hidden signals depend only on the signal type and the seed, not on Q
assert np.array_equal(datasets["gaussian-translation"].signals, datasets["gaussian-dst"].signals)
print("all checks passed")
