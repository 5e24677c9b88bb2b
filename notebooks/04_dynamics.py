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
# # 4. Training dynamics
#
# How the generator and the group convolution matrix form during training (the paper's
# Figs 16–17, pixel translation and frequency shift), the loss terms and the cosine
# similarity over time, and the *time-dependent rank* of the entropy estimate: the soft
# threshold of eq. 17 is centred at the learning-rate-weighted training time $\tau$
# (eq. 18), so the entropy counts about one direction at the start and all $N$ at the end.
#
# The runs are those of notebook 3 (`results/<profile>/03_accuracy/runs/`), reused when
# present and trained with the same call otherwise. The profile that produced them is
# printed below; at the `smoke` profile there are only a few snapshots and the matrices do
# not get far from their start.

# %% [markdown]
# :::{note}
# The trained counterpart of this page, the snapshots (Figs 16–17) and training curves of the best saved runs (today the `cpu`
# profile), is on {doc}`../best_evidence`; the outputs stored with this notebook in
# `notebooks/` are the `smoke` pipeline check; in the book the result cells are collapsed (click to show them).
# :::

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

from symlens import config, entropy, io, plotting, results, schedules
from symlens.train import resolve_device

NAME = "04_dynamics"
t_start = time.perf_counter()
out = results.notebook_dir(profile, NAME)
cfg = config.get_profile(profile)
DATASETS = ("gaussian-translation", "gaussian-dst")  # the two symmetries of Figs 16-17
print(f"profile {profile!r}: {config.PROFILE_NOTES[profile]}")
print(f"snapshots every {cfg.snapshot_every} steps, history every {cfg.log_every} steps, "
      f"{cfg.total_steps} steps in all")

# %% tags=["hide-output"]
# NBVAL_IGNORE_OUTPUT
runs = {}
for ds in DATASETS:
    t0 = time.perf_counter()
    runs[ds] = results.load_or_run(ds, profile, seed, device=device)
    print(f"{ds}: {'reused' if runs[ds]['reused'] else 'trained'} ({time.perf_counter() - t0:.1f} s); "
          + results.describe_provenance(runs[ds]["provenance"]))

# %% [markdown]
# ## Snapshots of the generator and of the group convolution matrix (Figs 16–17)
#
# Each panel has its own colour range, so the near-identity early generators stay visible.
# For the frequency-shift data the target $K$ is the DST matrix (up to sign and
# reflection). At step 0 the reported $K$ is zero: it is built with the clean filter, which
# starts at zero (training always uses the noisy, normalised filter of eqs. 20–21).

# %% tags=["hide-output"] mystnb={"figure": {"caption": "Snapshots of the generator and of the group convolution matrix during training, one strip per dataset."}}
# NBVAL_IGNORE_OUTPUT
for ds, run in runs.items():
    a = run["arrays"]
    fig = plotting.snapshot_strip(
        {"G": a["snapshot_generator"], "K": a["snapshot_group_convolution"]}, a["snapshot_step"],
        suptitle=f"{ds}, seed {seed}: generator (top) and group convolution matrix (bottom), profile {profile}",
    )
    plotting.save_figure(fig, out, f"snapshots_{ds}")
    display(fig)

# %% [markdown]
# ## Loss terms and accuracy over training
#
# `history_*` arrays of the saved runs: the total loss (eq. 13) and its terms, the
# estimators' own loss, and the cosine similarity / RMSE against the true generator
# (recorded for monitoring only; training never sees the true generator).

# %% tags=["hide-output"] mystnb={"figure": {"caption": "Loss terms, training time \u03c4, filter noise and accuracy over training, one figure per dataset."}}
# NBVAL_IGNORE_OUTPUT
histories = {ds: {k[len("history_"):]: v for k, v in run["arrays"].items() if k.startswith("history_")}
             for ds, run in runs.items()}
for ds, h in histories.items():
    fig = plotting.history_curves(
        h, keys=["total", "alignment", ["uniformity", "reg1", "reg2"], "resolution",
                 ["joint_entropy", "marginal_entropy"], "estimator", "cosine_similarity", "rmse",
                 ["tau", "filter_noise"]],
        ncols=3, suptitle=f"{ds}, seed {seed} (profile {profile})",
    )
    plotting.save_figure(fig, out, f"history_{ds}")
    display(fig)

# %% [markdown]
# ## The time-dependent rank (eqs. 17–19)
#
# Effective rank $\sum_k w_k$ of the entropy estimate against $\tau$, for the two published
# gains (100 in the v1-era code, 50 later), with the values this run logged. Below, $\tau$
# at fractions of the `paper` profile's schedule (10× log-spaced learning-rate decay over
# 10 000 epochs) against values worked out independently, by hand, from the authors'
# schedule (the columns "by hand"; the table is typed in the next cell).

# %% tags=["hide-output"] mystnb={"figure": {"caption": "Effective rank of the entropy estimate against the training time \u03c4 for the two published gains, with the values the runs logged."}}
taus = np.linspace(0, 1, 201)
curves = {"τ": taus, **{f"gain {g:g}": np.array([entropy.effective_rank(33, t, g) for t in taus]) for g in (100.0, 50.0)}}
fig_rank = plotting.history_curves(curves, keys=[["gain 100", "gain 50"]], x="τ", ncols=1, panel_size=(5.5, 3.6),
                                   suptitle="effective rank of the entropy estimate (N = 33)")
ax = fig_rank.axes[0]
for ds, h in histories.items():
    ax.plot(h["tau"], h["effective_rank"], "o", ms=4, label=f"logged: {ds}")
ax.legend(fontsize=7)
plotting.save_figure(fig_rank, out, "effective_rank")
fig_rank

# %%
paper = config.get_profile("paper")
spec_table = {0.01: (0.025, 1.3), 0.10: (0.23, 7.8), 0.25: (0.49, 16.0), 0.50: (0.76, 25.0), 0.75: (0.91, 30.0), 1.0: (1.0, 32.4)}
rank_rows = []
for f, (tau_spec, rank_spec) in spec_table.items():
    tau = schedules.training_time(paper, int(round(f * paper.total_steps)) - 1)
    rank_rows.append({"fraction of training": f, "τ (symlens)": tau, "τ (by hand)": tau_spec,
                      "rank g=100 (symlens)": entropy.effective_rank(33, tau, 100.0), "rank (by hand)": rank_spec,
                      "rank g=50 (symlens)": entropy.effective_rank(33, tau, 50.0)})
display(Markdown(plotting.markdown_table(rank_rows, digits=3)))
ends = {f"rank at τ={t:g}, g={g:g}": entropy.effective_rank(33, t, g) for t in (0.0, 1.0) for g in (100.0, 50.0)}
print(", ".join(f"{k}: {v:.2f}" for k, v in ends.items()))

# %% [markdown]
# ## Save

# %% tags=["remove-input"]
# NBVAL_IGNORE_OUTPUT
final = {ds: {k: float(h[k][-1]) for k in ("total", "alignment", "uniformity", "resolution", "information",
                                             "cosine_similarity", "rmse", "tau", "effective_rank")}
         for ds, h in histories.items()}
summary = {"profile": profile, "seed": seed, "datasets": list(DATASETS), "final_logged": final,
           "rank_schedule": rank_rows, "rank_ends": ends,
           "snapshot_steps": {ds: r["arrays"]["snapshot_step"].tolist() for ds, r in runs.items()}}
arrays = {"tau_grid": taus, **{k: v for k, v in curves.items() if k != "τ"}}
prov = io.provenance(profile, seed, resolve_device(device), wall_time_s=time.perf_counter() - t_start,
                     notebook=NAME, variant=cfg.loss.variant, run_git=runs[DATASETS[0]]["provenance"].get("git"))
io.save_run(out, summary, arrays, config=cfg, provenance=prov)
print("saved", sorted(p.name for p in out.iterdir() if p.suffix != ".ipynb"))

# %% [markdown]
# ## Assertions

# %% tags=["remove-input"]
for ds, run in runs.items():
    a, h = run["arrays"], histories[ds]
    n_snap = len(a["snapshot_step"])
    assert a["snapshot_generator"].shape == a["snapshot_group_convolution"].shape == (n_snap, 33, 33)
    assert a["snapshot_step"][0] == 0 and a["snapshot_step"][-1] == cfg.total_steps
    assert np.all(np.diff(h["step"]) > 0) and h["step"][-1] == cfg.total_steps
    assert np.all(np.diff(h["tau"]) >= 0) and abs(h["tau"][-1] - 1.0) < 1e-9  # τ runs from ~0 to 1
    assert np.all(np.diff(h["effective_rank"]) >= 0)
    assert all(np.isfinite(v).all() for v in h.values())
for r in rank_rows:  # the schedule matches the independently derived table
    assert abs(r["τ (symlens)"] - r["τ (by hand)"]) <= 0.01, r
    assert abs(r["rank g=100 (symlens)"] - r["rank (by hand)"]) <= 0.5, r
assert abs(ends["rank at τ=0, g=100"] - 0.55) < 0.01 and abs(ends["rank at τ=1, g=100"] - 32.46) < 0.01
assert abs(ends["rank at τ=0, g=50"] - 0.73) < 0.01 and abs(ends["rank at τ=1, g=50"] - 32.27) < 0.01
print("all checks passed")
