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
# # 7. Claims ledger
#
# Every claim of the paper (those of its experiments section and the statements of its appendices)
# with the evidence from the notebooks above, read from their saved results in
# `results/<profile>/`. Each verdict is **decided by code** from the saved numbers with
# the thresholds defined below, not typed in:
#
# - **reproduced**: the evidence meets the threshold;
# - **qualified**: it meets a weaker threshold, or holds only in part;
# - **not reproduced**: it does not;
# - **not tested**: nothing in this companion measures it.
#
# A verdict is only as good as the profile behind it. At the `smoke` profile a model
# trains for a few hundred steps instead of the paper's million, so "not reproduced" there
# says that the smoke run did not get there, not that the paper is wrong.
#
# If a notebook's results are missing (or were made with another configuration), this
# notebook first runs that notebook with papermill, exactly as `make reproduce` does.

# %% tags=["parameters"]
profile = "smoke"
seed = 0
device = "auto"

# %% tags=["hide-input"]
import json
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm.auto, imported by symlens

import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from symlens import config, io, plotting, results
from symlens.train import resolve_device

NAME = "07_claims_ledger"
t_start = time.perf_counter()
out = results.notebook_dir(profile, NAME)
cfg = config.get_profile(profile)
study = config.get_study(profile)

# Thresholds of the verdicts.
COS_REPRODUCED = 0.90  # cosine similarity of a learned generator that counts as "learned"
COS_QUALIFIED = 0.50   # ... that counts as partly learned
SPREAD_MAX = 0.10      # max - min of the per-dataset mean cosine: "stable across datasets"
SEED_SD_MAX = 0.05     # sd over seeds: "restarts give similar results"
EDGE_SHARE_MIN = 0.50  # share of the squared error in the 3 edge rows/columns: "mostly edges"
FILTER_PEAK_MIN = 0.80  # hidden-basis peak energy fraction of the filter: "a delta along the symmetry"
RECOVERY_MIN = 0.90    # |corr(y, ±s or ±reversed s)|: "outputs almost equal the hidden signals"
print(f"profile {profile!r}: {config.PROFILE_NOTES[profile]}")

# %% [markdown]
# ## The evidence
#
# The saved results of notebooks 3 (accuracy), 5 (reconstruction) and 6 (appendix checks).

# %%
# NBVAL_IGNORE_OUTPUT
SOURCES = ("03_accuracy", "05_reconstruction", "06_appendix_checks")


def _current(name):
    path = results.results_root() / profile / name / "metrics.json"
    if not path.exists():
        return None
    saved = json.loads(path.read_text())
    same = json.loads(json.dumps(saved.get("config"))) == json.loads(json.dumps(cfg.to_dict()))
    return saved if same and saved["provenance"].get("profile") == profile else None


evidence = {}
for name in SOURCES:
    saved = _current(name)
    if saved is None:
        import papermill as pm

        print(f"{name}: no current results for profile {profile!r}; running the notebook ...", flush=True)
        nb_dir = io.repo_root() / "notebooks"
        pm.execute_notebook(str(nb_dir / f"{name}.ipynb"), str(results.notebook_dir(profile, name) / f"{name}.ipynb"),
                            parameters={"profile": profile, "seed": seed, "device": device},
                            kernel_name="python3", cwd=str(nb_dir), progress_bar=False)
        saved = _current(name)
    evidence[name] = saved
    print(f"{name}: {results.describe_provenance(saved['provenance'])}")

acc, rec, app = (evidence[n]["metrics"] for n in SOURCES)
runs = acc["runs"]
src_profiles = {evidence[n]["provenance"]["profile"] for n in SOURCES}

# %% [markdown]
# ## The verdicts
#
# The rules, in order, are in the code of this cell: each claim gets a measured value,
# the threshold it is held to, and the verdict.

# %%
# NBVAL_IGNORE_OUTPUT
ledger = []


def claim(cid, text, source, measured, rule, verdict):
    ledger.append({"id": cid, "claim": text, "source": source, "measured": measured, "rule": rule, "verdict": verdict})


by_ds = {r["dataset"]: r for r in acc["table2"]}
means = np.array([r["cos_mean"] for r in acc["table2"]])
cos_runs = np.array([r["cosine_similarity"] for r in runs])

# 1. Table 2: the learned generator is close to the true one, for all six datasets.
worst = float(means.min())
claim("T2", "The learned generator is close to the true one for all six datasets (Table 2).", "03",
      f"lowest per-dataset mean cosine {worst:.3f} ({acc['table2'][int(means.argmin())]['dataset']})",
      f"reproduced if ≥ {COS_REPRODUCED}, qualified if ≥ {COS_QUALIFIED}",
      "reproduced" if worst >= COS_REPRODUCED else "qualified" if worst >= COS_QUALIFIED else "not reproduced")

# 2. Accuracy is stable across datasets.
spread = float(means.max() - means.min())
claim("S1", "Accuracy is stable across datasets.", "03",
      f"spread of the per-dataset mean cosine {spread:.3f}; lowest {worst:.3f}",
      f"not reproduced if no dataset reaches {COS_QUALIFIED}; else reproduced if spread ≤ {SPREAD_MAX}, else qualified",
      "not reproduced" if means.max() < COS_QUALIFIED else "reproduced" if spread <= SPREAD_MAX else "qualified")

# 3. Most of the small error comes from edge effects.
learned = [r for r in runs if r["cosine_similarity"] >= COS_QUALIFIED]
edge = float(np.median([r["edge_fraction"] for r in learned])) if learned else float("nan")
claim("S2", "Most of the (small) remaining error comes from edge effects.", "03",
      f"median edge share {edge:.3f} over {len(learned)} of {len(runs)} runs with cosine ≥ {COS_QUALIFIED} "
      f"(an evenly spread error: {acc['uniform_edge_share']:.3f})",
      f"not tested unless some run reaches cosine {COS_QUALIFIED}; reproduced if median share ≥ {EDGE_SHARE_MIN}",
      "not tested" if not learned else "reproduced" if edge >= EDGE_SHARE_MIN else "not reproduced")

# 4. The minimal generator, not a power of it, is learned every time.
powers = [r["best_power"] for r in runs]
n_min = sum(1 for r in learned if r["best_power"] == 1)
claim("S3", "The minimal generator (not a power of it) is learned every time.", "03",
      f"best power per run {powers}; {n_min} of {len(runs)} runs closest to T¹ with cosine ≥ {COS_QUALIFIED}",
      f"reproduced if every run is closest to T¹ with cosine ≥ {COS_QUALIFIED}; qualified if every run with "
      f"cosine ≥ {COS_QUALIFIED} is closest to T¹",
      "reproduced" if n_min == len(runs) else "qualified" if learned and n_min == len(learned)
      else "not reproduced")

# 5. One hyperparameter set serves all datasets.
run_configs = {json.dumps(json.loads((results.results_root() / d / "metrics.json").read_text())["config"], sort_keys=True)
               for d in acc["run_dirs"].values()}
configs_equal = len(run_configs) == 1
claim("S4", "One set of hyperparameters serves all datasets.", "03",
      f"one configuration for all runs: {configs_equal}; lowest per-dataset mean cosine {worst:.3f}",
      f"same configuration, and reproduced / qualified as for T2",
      "not reproduced" if not configs_equal else
      "reproduced" if worst >= COS_REPRODUCED else "qualified" if worst >= COS_QUALIFIED else "not reproduced")

# 6. Restarts give similar results.
sds = [r["cos_sd"] for r in acc["table2"] if r["cos_sd"] is not None]
claim("S5", "Restarts from scratch give similar results.", "03",
      f"seeds per dataset: {acc['table2'][0]['seeds']}; largest sd of the cosine "
      + (f"{max(sds):.3f}" if sds else "n/a"),
      f"not tested with one seed; reproduced if every sd ≤ {SEED_SD_MAX} and the generators are learned "
      f"(cosine ≥ {COS_QUALIFIED}); qualified if the sd is small but they are not",
      "not tested" if not sds else
      ("reproduced" if worst >= COS_QUALIFIED else "qualified") if max(sds) <= SEED_SD_MAX else "not reproduced")

# 7. The learned filter is a delta along the symmetry.
peaks = np.array([r["filter_peak_fraction"] for r in runs])
n_peak = int((peaks >= FILTER_PEAK_MIN).sum())
claim("S6", "The learned filter is a delta along the symmetry: one spike for translations, a pure "
      "sinusoid for the frequency shift.", "03",
      f"{n_peak} of {len(runs)} runs have a hidden-basis peak fraction ≥ {FILTER_PEAK_MIN} "
      f"(median {np.median(peaks):.3f})",
      f"reproduced if all runs, qualified if at least half",
      "reproduced" if n_peak == len(runs) else "qualified" if n_peak >= len(runs) / 2 else "not reproduced")

# 8. The outputs are almost equal to the hidden local signals.
corr = np.array([r["correlation"] for r in rec["recovery"]])
claim("S7", "The outputs are almost equal to the hidden local signals (up to sign and reflection).", "05",
      f"held-out |correlation| per dataset: min {corr.min():.3f}, max {corr.max():.3f}",
      f"reproduced if all ≥ {RECOVERY_MIN}, qualified if some are",
      "reproduced" if (corr >= RECOVERY_MIN).all() else "qualified" if (corr >= RECOVERY_MIN).any()
      else "not reproduced")

# 9-11. Claims no notebook here measures.
claim("S8", "Preliminary runs at about twice the dimension (≈ 66) behaved similarly.", "—",
      "no such runs (symlens refuses even N, which eq. 5 would need half-integer powers for)", "—", "not tested")
claim("S9", "GAN-based baselines were limited to smaller generators.", "—",
      "no baseline is implemented in this companion", "—", "not tested")
claim("S10", "The time-dependent rank keeps training out of poor local minima.", "—",
      "no ablation of the rank schedule is run here", "—", "not tested")

# Appendices: identities and trained properties from notebook 6.
for appx, text in (("B", "The group convolution is equivariant: the symmetry acts on y as a shift."),
                   ("C", "InfoMax: for a deterministic map plus small noise, I(x; y) = H(y) − const."),
                   ("D", "The representation becomes a first-order (stationary) Markov field."),
                   ("E", "The hidden local signal is revealed: K Q ≈ ±I or ±R, up to a shift."),
                   ("F", "An orthogonal re-representation gives the conjugated generator and the same y.")):
    ident = [c for c in app["checks"] if c["appendix"] == appx and c["kind"] == "identity"]
    finding = [c for c in app["checks"] if c["appendix"] == appx and c["kind"] == "finding"]
    trained = [c for c in app["checks"] if c["appendix"] == appx and c["kind"] == "trained"]
    if ident:
        ok = sum(c["met"] for c in ident)
        claim(f"{appx}-exact", text + " (the identity)", "06", f"{ok} of {len(ident)} identities hold",
              "reproduced if all hold", "reproduced" if ok == len(ident) else "not reproduced")
    if finding:
        f0 = finding[0]
        claim(f"{appx}-signal", text + " (does the ideal representation, the hidden signal, satisfy it?)", "06",
              f"{f0['check']}: measured {f0['value']:.3f}",
              "qualified if the hidden signal itself fails the literal statement",
              "reproduced" if f0["met"] else "qualified")
    if trained:
        ok = sum(c["met"] for c in trained)
        claim(f"{appx}-trained", text + " (on the trained models)", "06",
              f"{ok} of {len(trained)} checks met: "
              + "; ".join(f"{c['check'].split(': ', 1)[-1]} = {c['value']:.3f}" for c in trained[:2])
              + (" …" if len(trained) > 2 else ""),
              "reproduced if all are met, qualified if at least half",
              "reproduced" if ok == len(trained) else "qualified" if ok >= len(trained) / 2 else "not reproduced")

# The profile qualifies every verdict on a trained model.
for c in ledger:
    c["profile"] = ", ".join(sorted(src_profiles))
    c["note"] = ("smoke profile: models not converged; says nothing about the paper"
                 if c["verdict"] == "not reproduced" and src_profiles == {"smoke"} and c["source"] != "—"
                 and not c["id"].endswith("-exact") else "")
display(Markdown(plotting.markdown_table(ledger, columns=["id", "claim", "measured", "rule", "verdict", "note"])))

# %%
# NBVAL_IGNORE_OUTPUT
counts = {v: sum(c["verdict"] == v for c in ledger) for v in ("reproduced", "qualified", "not reproduced", "not tested")}
print(f"profile {', '.join(sorted(src_profiles))}: " + ", ".join(f"{n} {v}" for v, n in counts.items()))

# %% [markdown]
# ## Where the paper, the authors' code and this companion differ
#
# The paper's and the code's columns summarise the paper's text and the authors' code (see
# the *Paper, code and this companion* page for each point in full); the last column is
# read from this profile's configuration (`symlens.config`), so a compressed profile shows
# its compressions here.

# %%
L = cfg.loss
paper = config.get_profile("paper")
differences = [
    ("loss weights (eq. 13)", "values lost in the text",
     "v1-era (1.5, 2.5, 1.5, 1.0); later (1, 2, 1, 0.75)",
     f"variant {L.variant!r}: ({L.alpha:g}, {L.beta:g}, {L.gamma:g}, {L.delta:g}); joint entropy × (γ + δ)"),
    ("uniformity (eqs. 7-8)", "pairs (i, j) vs shifted pair, averaged",
     "marginal KL to nearest neighbours + conditional KL over all ordered pairs, each floored at 0; "
     "v1 sums the two, later code halves the sum",
     f"the code's form, scale {L.uniformity_scale:g}"),
    ("alignment (eq. 9)", "correlation of successive components",
     "positive Pearson ρ of nearest neighbours (each pair counted twice)", "the same (each pair once, same value)"),
    ("low-rank entropy (eqs. 14-17)", "gain g lost; 'insensitive to g'",
     "SVD of the covariance; g = 100 (v1) or 50 (later); weighted mean",
     f"eigvalsh in float64; g = {L.gain:g}; weighted mean"),
    ("rank schedule (eqs. 18-19)", "threshold grows with training time",
     "threshold = lr-weighted τ", "the same"),
    ("generator powers (eq. 5)", "odd N, powers centred on the middle pixel",
     "spectral powers (half-integer for even N)", "integer powers by repeated products; even N refused"),
    ("padding", "used; 6-33 'made no difference'", "P = N = 33 in the v1 runs (helper default: none)",
     f"P = {cfg.resolved_padding(33)}"),
    ("filter noise (eq. 20)", "form only", "σ₀ = 0.1, t₀ = 10 epochs, fresh per forward pass",
     f"σ₀ = {cfg.filter_noise:g}, t₀ = {cfg.noise_decay_epochs:g} epochs, two draws per step"),
    ("conditional estimator (App. A.2)", "two hidden layers, linear mean output",
     "one hidden layer of 528, LeakyReLU mean output, non-squared L2 1e-5",
     f"the code's form, hidden width {cfg.resolved_hidden(33)}"),
    ("data scaling", "—", "each batch divided by its own scalar std",
     "the whole generated set divided by one scalar std (per-batch standardisation in the layer as in the code)"),
    ("Legendre scale L (Table 1)", "values lost", "[6, 15] (later ablation script); old helper [6, 8]",
     "[6, 15] (best guess)"),
    ("datasets", "'nine datasets', six table rows", "dispersion generator unused", "the six tabulated datasets"),
    ("permuted data", "—", "RNG re-seeded per batch: ~2 distinct batches (defect)", "fresh samples (defect not copied)"),
    ("training length", "10 000 epochs",
     f"{paper.epochs} epochs × {paper.steps_per_epoch} steps, batch {paper.batch_size}, lr {paper.model_lr:g} / {paper.estimator_lr:g}",
     f"{cfg.epochs} epochs × {cfg.steps_per_epoch} steps, batch {cfg.batch_size}, lr {cfg.model_lr:g} / {cfg.estimator_lr:g}"),
    ("RMSE (Table 2)", "reported", "never computed in the repository", "√mean of squared entries, better direction"),
    ("ideal K (evaluation)", "—", "anti-diagonal built with i + j = n (off by one)", "i + j = N − 1"),
    ("scoring samples", "—", "—", "Table 2 and K·Q on the training set (run_experiment); notebook 5 on held-out samples"),
]
diff_rows = [{"topic": t, "paper": p, "authors' code": c, f"symlens ({profile})": s} for t, p, c, s in differences]
display(Markdown(plotting.markdown_table(diff_rows)))

# %% [markdown]
# ## Save

# %% tags=["hide-input"]
# NBVAL_IGNORE_OUTPUT
summary = {"profile": profile, "source_profiles": sorted(src_profiles), "ledger": ledger, "counts": counts,
           "thresholds": {"cos_reproduced": COS_REPRODUCED, "cos_qualified": COS_QUALIFIED, "spread_max": SPREAD_MAX,
                          "seed_sd_max": SEED_SD_MAX, "edge_share_min": EDGE_SHARE_MIN,
                          "filter_peak_min": FILTER_PEAK_MIN, "recovery_min": RECOVERY_MIN},
           "differences": diff_rows,
           "sources": {n: evidence[n]["provenance"] for n in SOURCES}}
prov = io.provenance(profile, seed, resolve_device(device), wall_time_s=time.perf_counter() - t_start, notebook=NAME,
                     variant=cfg.loss.variant)
io.save_run(out, summary, config=cfg, provenance=prov)
for v, n in counts.items():
    glue(f"ledger_{v.replace(' ', '_')}", n, display=False)
print("saved", sorted(p.name for p in out.iterdir() if p.suffix != ".ipynb"))

# %% [markdown]
# ## Assertions

# %% tags=["hide-input"]
VERDICTS = {"reproduced", "qualified", "not reproduced", "not tested"}
assert all(c["verdict"] in VERDICTS for c in ledger)
assert len({c["id"] for c in ledger}) == len(ledger) == 19
assert sum(counts.values()) == len(ledger)
assert all(c["verdict"] == "reproduced" for c in ledger if c["id"].endswith("-exact"))  # identities hold
assert len(differences) == 17 and all(len(r) == 4 for r in differences)
print(f"{len(ledger)} claims, {len(differences)} differences")
