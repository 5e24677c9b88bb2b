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
# # 6. The appendices, checked numerically
#
# The paper's appendices B–F state properties of the construction and of the learned
# solution. Each is computed here with a stated tolerance. There
# are two kinds of check, and they are kept apart:
#
# - **identities** (B with an exact shift and for the uncropped lifting, C analytic, F's
#   algebra) hold for any parameters; they must pass at every profile, and the notebook
#   asserts them;
# - **properties of a trained model** (B with the learned, cropped generator, D, E, F after
#   training) hold only if training converged. The notebook reports the measured value and
#   whether it met the tolerance. At the `smoke` profile the models are *not* converged, so
#   "not met" is the expected, honest outcome there, not a finding about the method.
#
# The trained checks use the runs of notebook 3 (the seed given by the `seed` parameter, 0 by default), reused when present; check F
# trains one more model, on rotated data.

# %% [markdown]
# :::{note}
# The trained counterpart of this page, the checks on trained models of the best saved runs (today the `cpu`
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
import torch
from IPython.display import Markdown, display

import symlens
from symlens import analysis, config, entropy, io, metrics, plotting, results, testing
from symlens.group_conv import group_convolution_matrix
from symlens.train import resolve_device

NAME = "06_appendix_checks"
t_start = time.perf_counter()
out = results.notebook_dir(profile, NAME)
study = config.get_study(profile)
cfg = config.get_profile(profile)
N = 33
P = cfg.resolved_padding(N)

# Tolerances.  Identities: rounding level.  Trained properties: what "learned" means here.
TOL = {
    "identity": 1e-8,          # float64 identities
    "identity_f32": 1e-5,      # identities involving the float32 matrices of a saved run
    "equivariance": 0.10,      # relative ‖K G x − shift(K x)‖ (interior, cropped G)
    "mi_monte_carlo": 0.02,    # relative error of the sample-covariance MI estimate
    "markov_literal": 0.10,    # |mean partial ρ(y_i, y_{i+2} | y_{i+1})| of a first-order Markov field
    "markov_adjacent": 0.10,   # max_i |ρ(y_i, y_{i+1}) − ρ(s_i, s_{i+1})| (interior)
    "markov_partial": 0.15,    # max_i |partial ρ of y − partial ρ of s| (interior)
    "recovery": 0.90,          # |correlation| of y with ±s / ±reversed s; cosine of K Q to ±I, ±R
    "conjugation": 0.90,       # cosine of G' with Q G Qᵀ; agreement of the two representations
}
checks = []


def record(appendix, check, kind, value, tol, sense="<="):
    met = bool(value <= tol) if sense == "<=" else bool(value >= tol)
    checks.append({"appendix": appendix, "check": check, "kind": kind, "value": float(value),
                   "tolerance": float(tol), "sense": sense, "met": met})


def b_values(K, G, X):
    """App. B on a model with the cropped generator G (trained property)."""
    Xd = analysis.standardized(X)
    return [("cropped G, ‖KGx − shift(Kx)‖ / ‖Kx‖ (interior)", metrics.equivariance_error(K, G, Xd, margin=2),
             TOL["equivariance"], "<="),
            ("cropped G, ‖KG − TK‖_F / ‖K‖_F (interior rows)", analysis.matrix_equivariance_error(K, G, margin=2),
             TOL["equivariance"], "<=")]


def d_values(K, X, S):
    """App. D: neighbour statistics of y = K x against those of the hidden signal (or its reversal)."""
    y_stats = analysis.neighbour_correlations(analysis.representation(K, X))
    s_stats = analysis.neighbour_correlations(S)
    out = []
    for key in ("adjacent", "partial"):  # interior indices
        dev = min(np.abs(y_stats[key] - ref)[2:-2].max() for ref in (s_stats[key], s_stats[key][::-1]))
        out.append((f"max_i |{key} ρ of y − {key} ρ of s| (interior)", dev, TOL[f"markov_{key}"], "<="))
    return out


def e_values(K, Q, X, S):
    """App. E: K Q against ±S_k, ±S_k R (sign, reflection and a shift by k pixels), and the
    correlation of y with the hidden signal up to the same."""
    return [("cosine of K Q to the best of ±S_k, ±S_k R", metrics.group_convolution_cosine_similarity(K, Q),
             TOL["recovery"], ">="),
            ("|corr(y, ±s or ±reversed s, shifted)| (held-out)",
             metrics.signal_recovery(analysis.representation(K, X), S)["correlation"], TOL["recovery"], ">=")]


def record_all(appendix, label, kind, values):
    for name, value, tol, sense in values:
        record(appendix, f"{label}: {name}", kind, value, tol, sense)


print(f"profile {profile!r}: {config.PROFILE_NOTES[profile]}")
print(f"N = {N}, padding P = {P}")

# %% tags=["hide-output"]
# NBVAL_IGNORE_OUTPUT
runs = {}
for ds in ("gaussian-translation", "gaussian-dst"):
    t0 = time.perf_counter()
    runs[ds] = results.load_or_run(ds, profile, seed, device=device)
    print(f"{ds}: {'reused' if runs[ds]['reused'] else 'trained'} ({time.perf_counter() - t0:.1f} s); "
          + results.describe_provenance(runs[ds]["provenance"]))
ev = {ds: results.evaluation_dataset(ds, seed, study.n_eval) for ds in runs}

# %% [markdown]
# ## B. Equivariance of the group convolution (eqs. 31–35)
#
# Row $n$ of $K$ is $\hat\psi^\top G^{p_n}$, so $K G x$ is $Kx$ with the index moved by one:
# the group acts on the representation as a shift. Three versions:
#
# 1. **exact shift, delta filter** ($N = 33$, padding $P$): $\lVert KGx - \text{shift}(Kx)\rVert$
#    vanishes on the interior (identity);
# 2. **learned model, before the crop**: with the learned padded generator $G_\text{big}$
#    and the uncropped lifting $K_\text{big}$ (rows $\tilde\psi^\top G_\text{big}^{p_n}$),
#    $K_\text{big} G_\text{big} = $ shifted $K_\text{big}$ holds for *any* orthogonal
#    $G_\text{big}$ (identity); its central columns are the saved $K$ (identity);
# 3. **learned model, cropped** (the check as the paper states it): relative
#    $\lVert K G x - \text{shift}(Kx)\rVert$ on interior indices and
#    $\lVert KG - TK\rVert_F$ away from the boundary rows, with the cropped learned $G$.
#    Small only if $G_\text{big}$ keeps the window's content inside the window, i.e. after
#    training.

# %%
X_eval = analysis.standardized(ev["gaussian-translation"].X)
T_big = testing.padded_shift_generator(N, P)
K_exact = group_convolution_matrix(torch.from_numpy(T_big), torch.from_numpy(testing.delta_filter(N)), P).numpy()
record("B", "exact shift: K G x = shift(K x)", "identity",
       metrics.equivariance_error(K_exact, T_big[P:-P, P:-P], X_eval, margin=1), TOL["identity"])

for ds, run in runs.items():
    a = run["arrays"]
    K_big = analysis.uncropped_lift(a["generator_full"], a["filter"], P)
    record("B", f"{ds}: uncropped K_big G_big = shift(K_big)", "identity",
           analysis.lifting_equivariance_residual(K_big, a["generator_full"]), TOL["identity"])
    record("B", f"{ds}: crop(K_big) = saved K", "identity",
           float(np.abs(K_big[:, P:P + N] - a["group_convolution"]).max()), TOL["identity_f32"])
    record_all("B", ds, "trained", b_values(a["group_convolution"], a["generator"], ev[ds].X))

# %% [markdown]
# ## C. Mutual information and output entropy (eqs. 36–37)
#
# For $y = Kx + \nu$ with small fixed noise $\nu \sim \mathcal N(0, \sigma^2 I)$,
# $I(x; y) = H(y) - H(y\mid x)$ and $H(y\mid x) = H(\nu)$ does not depend on $K$: maximising
# the output entropy maximises the mutual information (InfoMax). On Gaussian toy data
# $x \sim \mathcal N(0, \Sigma)$, with $\Sigma$ the covariance of the hidden Gaussian-bump
# signals, this is checked three ways:
#
# - analytic: $\tfrac12\log\det(K\Sigma K^\top + \sigma^2 I) - \tfrac12\log\det(\sigma^2 I)$
#   equals $H(x) - H(x\mid y)$ computed from the Gaussian posterior (identity);
# - the package's Gaussian entropy (eqs. 14–15, all $N$ directions) on samples of $y$,
#   minus the constant, estimates $I$ (Monte Carlo, sampling tolerance);
# - for an orthogonal $K$, $I$ is the same for every $K$: InfoMax alone cannot select the
#   symmetry, which is why the loss needs the alignment and uniformity terms (identity).
#   What it does penalise is a collapsed map such as the starting point $G = I$, where
#   every row of $K$ is the same filter.

# %%
Sigma = np.cov(ev["gaussian-translation"].signals.astype(np.float64).T) + 1e-6 * np.eye(N)
sigma_noise = 0.05
Ks = {"ideal K = R (exact shift, delta filter)": K_exact,
      "random orthogonal K": analysis.random_orthogonal(N, seed=seed + 7),
      "collapsed K (G = I): every row ψᵀ": np.outer(np.ones(N), testing.delta_filter(N))}
mi = {k: analysis.gaussian_mutual_information(K, Sigma, sigma_noise) for k, K in Ks.items()}
for k, v in mi.items():
    record("C", f"{k}: ½ log det(KΣKᵀ+σ²I) − const = H(x) − H(x|y)", "identity",
           abs(v["from_output"] - v["from_input"]) / abs(v["from_input"]), TOL["identity"])
record("C", "orthogonal K: I(x; y) does not depend on K", "identity",
       abs(mi["random orthogonal K"]["from_output"] - mi["ideal K = R (exact shift, delta filter)"]["from_output"]),
       TOL["identity"])

rng = np.random.default_rng(seed)
n_mc = 20_000
x_mc = rng.standard_normal((n_mc, N)) @ np.linalg.cholesky(Sigma).T
K_mc = Ks["random orthogonal K"]
y_mc = x_mc @ K_mc.T + sigma_noise * rng.standard_normal((n_mc, N))
h_sample = float(entropy.gaussian_entropies(torch.from_numpy(y_mc)).sum())
mi_sample = h_sample - mi["random orthogonal K"]["constant"]
mi_exact = mi["random orthogonal K"]["from_output"]
record("C", f"Monte Carlo: Σ_k h_k (eqs. 14-15, {n_mc} samples) − const ≈ I", "identity",
       abs(mi_sample - mi_exact) / abs(mi_exact), TOL["mi_monte_carlo"])
display(Markdown(plotting.markdown_table(
    [{"K": k, "I(x; y) analytic [nats]": v["from_output"], "H(y)": v["output_entropy"], "H(y|x) = const": v["constant"]}
     for k, v in mi.items()], digits=2)))
print(f"Monte Carlo estimate for the random orthogonal K: {mi_sample:.2f} nats (analytic {mi_exact:.2f})")

# %% [markdown]
# ## D. First-order Markov structure of the representation (eqs. 38–41)
#
# Low total correlation plus strong neighbour dependence push $y$ towards a first-order
# stationary Markov field, for which $y_i$ and $y_{i+2}$ are independent given $y_{i+1}$.
# Gaussian proxy: the partial correlation $\rho(y_i, y_{i+2}\mid y_{i+1})$ should be small
# while the adjacent correlation $\rho(y_i, y_{i+1})$ is large.
#
# The hidden signal itself is the reference: the ideal representation is $y = \pm s$, so
# the learned $y$ is compared with $s$. The smooth bumps of these datasets are **not**
# first-order Markov: their partial correlation is clearly negative. The literal form of
# the claim (partial correlation ≈ 0) therefore does not hold even for the perfect
# representation (reported as a *finding*); the trained check asks for the learned
# representation to have the hidden signal's neighbour statistics, index by index on the
# interior (which also asks for them to be stationary). Large mean neighbour correlations
# alone prove little: a collapsed map, where every row of $K$ is nearly the same filter, has
# them too.

# %%
markov = {}
for ds in runs:
    s_stats = analysis.neighbour_correlations(ev[ds].signals)
    markov[ds, "hidden signal s"] = s_stats
record("D", "hidden signal s: |mean partial ρ| ≤ 0.1 (literal first-order Markov)", "finding",
       abs(markov["gaussian-translation", "hidden signal s"]["partial"].mean()), TOL["markov_literal"])

# %% tags=["hide-output"] mystnb={"figure": {"caption": "Appendix D: partial correlation \u03c1(y_i, y_i+2 | y_i+1) of the learned representation against that of the hidden signal, per dataset."}}
# NBVAL_IGNORE_OUTPUT
for ds, run in runs.items():
    Y = analysis.representation(run["arrays"]["group_convolution"], ev[ds].X)
    y_stats = analysis.neighbour_correlations(Y)
    markov[ds, "learned y"] = y_stats
    record_all("D", ds, "trained", d_values(run["arrays"]["group_convolution"], ev[ds].X, ev[ds].signals))
display(Markdown(plotting.markdown_table(
    [{"dataset": ds, "representation": which, "mean adjacent ρ": st["adjacent"].mean(),
      "mean ρ(y_i, y_i+2)": st["second"].mean(), "mean partial ρ(y_i, y_i+2 | y_i+1)": st["partial"].mean()}
     for (ds, which), st in markov.items()], digits=3)))
fig_d = plotting.history_curves(
    {"i": np.arange(N - 2), **{f"{ds}: {w}": st["partial"] for (ds, w), st in markov.items()}},
    keys=[[f"{ds}: {w}" for (ds, w) in markov if ds == d] for d in runs], x="i", ncols=2,
    suptitle=f"partial correlation ρ(y_i, y_i+2 | y_i+1) (profile {profile})",
)
plotting.save_figure(fig_d, out, "markov_partial_correlation")
fig_d

# %% [markdown]
# ## E. The hidden signal is revealed (eqs. 42–45)
#
# With $x = Qs$, $y = KQs = As$; Appendix E argues that $A$ must be a signed shift or
# reflection, so $KQ \approx \pm S_k$ or $\pm S_k R$ ($S_k$ a shift by $k$ pixels, $R$ the
# reversal) and $y$ correlates with $\pm s$ or $\pm$ reversed $s$, moved by $k$, at about 1.

# %% tags=["hide-output"] mystnb={"figure": {"caption": "Appendix E: K Q per dataset; a perfect fit gives \u00b1I or \u00b1R, possibly shifted."}}
# NBVAL_IGNORE_OUTPUT
for ds, run in runs.items():
    a = run["arrays"]
    record_all("E", ds, "trained", e_values(a["group_convolution"], a["transform"], ev[ds].X, ev[ds].signals))
fig_e = plotting.matrix_grid({f"K Q, {ds}": r["arrays"]["group_convolution"] @ r["arrays"]["transform"]
                              for ds, r in runs.items()}, ncols=2, suptitle=f"K Q (profile {profile})")
plotting.save_figure(fig_e, out, "KQ")
fig_e

# %% [markdown]
# ## F. An orthogonal re-representation (eqs. 46–48)
#
# Seeing the data through an orthogonal $Q$ gives an equivalent problem: generator
# $G' = QGQ^\top$ (extended by the identity on the padding), filter $\psi' = Q\psi$, and the
# *same* representation, since $K' = KQ^\top$ and $K'x' = KQ^\top Q s = y$.
#
# - **algebra** (identity): transform the learned $G_\text{big}$ and $\psi$ of the
#   translation run by a random orthogonal $Q$, rebuild $K'$ with the package's
#   `group_convolution_matrix`, and compare with $KQ^\top$ and $K'x'$ with $Kx$;
# - **training** (trained): fit a second model on $x' = Qs$ (same hidden signals, same seed)
#   and compare its generator with $QGQ^\top$ (up to direction) and its representation with
#   the first model's (up to sign and reflection). The generators are compared through
#   their departure from the identity, $G' - I$ against $Q(G - I)Q^\top$: both start at
#   $G \approx I = QIQ^\top$, so the plain cosine of $G'$ with $QGQ^\top$ is high for two
#   models that have hardly moved (it is printed for comparison).

# %%
Q = analysis.random_orthogonal(N, seed=seed + 2024)
a = runs["gaussian-translation"]["arrays"]
E = analysis.padding_embedding(Q, P)
psi = a["filter"] / np.linalg.norm(a["filter"])
K1 = group_convolution_matrix(torch.from_numpy(a["generator_full"]), torch.from_numpy(psi), P).numpy()
K2 = group_convolution_matrix(torch.from_numpy(E @ a["generator_full"] @ E.T), torch.from_numpy(Q @ psi), P).numpy()
record("F", "algebra: K' = K Qᵀ", "identity", float(np.abs(K2 - K1 @ Q.T).max()), TOL["identity"])
S_ev = ev["gaussian-translation"].signals.astype(np.float64)
y1, y2 = S_ev @ K1.T, (S_ev @ Q.T) @ K2.T
record("F", "algebra: K' x' = K x", "identity", float(np.abs(y2 - y1).max() / np.abs(y1).max()), TOL["identity"])
record("F", "algebra: G' = E G Eᵀ is orthogonal", "identity",
       float(np.abs((E @ a["generator_full"] @ E.T) @ (E @ a["generator_full"] @ E.T).T - np.eye(N + 2 * P)).max()),
       TOL["identity"])

# %% tags=["hide-output"]
# NBVAL_IGNORE_OUTPUT
t0 = time.perf_counter()
n_train = cfg.n_batches * cfg.batch_size
rotated = symlens.make_dataset("gaussian-translation", n_train, dim=N, seed=seed, transform=Q)
run_rot = results.load_or_fit(rotated, profile, seed, out / "runs" / "rotated" / f"seed{seed}", device=device)
print(f"rotated data: {'reused' if run_rot['reused'] else 'trained'} in {time.perf_counter() - t0:.1f} s")
b = run_rot["arrays"]
print(f"plain cos(G', Q G Qᵀ) = {metrics.generator_cosine_similarity(b['generator'], Q @ a['generator'] @ Q.T):.3f}; "
      f"cos(G, I) = {metrics.cosine_similarity(a['generator'], np.eye(N)):.3f}, "
      f"cos(G', I) = {metrics.cosine_similarity(b['generator'], np.eye(N)):.3f}")
record("F", "trained on Q s: cos(G' − I, Q (G − I) Qᵀ), better direction", "trained",
       analysis.conjugation_similarity(b["generator"], a["generator"], Q), TOL["conjugation"], ">=")
y_s = analysis.representation(a["group_convolution"], ev["gaussian-translation"].X)
y_q = analysis.representation(b["group_convolution"], ev["gaussian-translation"].X @ Q.T)
record("F", "trained on Q s: representations agree (|corr| up to sign, reflection, shift)", "trained",
       metrics.signal_recovery(y_q, y_s)["correlation"], TOL["conjugation"], ">=")
record("F", "trained on Q s: cos(G', true Q T Qᵀ)", "trained",
       run_rot["metrics"]["cosine_similarity"], TOL["recovery"], ">=")

# %% [markdown]
# ## Positive control: the exact solution
#
# The trained checks of B, D and E applied to the exact solution of each dataset (the
# padded shift conjugated by $Q$, $G_\text{big} = E\,T_\text{big}E^\top$ with
# $E = \text{diag}(I_P, Q, I_P)$, and the filter $Q\delta$): it must meet every tolerance, which
# shows that the tolerances can be met and that the checks measure what they should.

# %%
for ds in runs:
    Qd = runs[ds]["arrays"]["transform"]
    Ed = analysis.padding_embedding(Qd, P)
    G_exact = Ed @ T_big @ Ed.T
    K_ctrl = group_convolution_matrix(torch.from_numpy(G_exact), torch.from_numpy(Qd @ testing.delta_filter(N)), P).numpy()
    G_ctrl = G_exact[P:-P, P:-P]
    label = f"{ds}, exact solution"
    record_all("B", label, "control", b_values(K_ctrl, G_ctrl, ev[ds].X))
    record_all("D", label, "control", d_values(K_ctrl, ev[ds].X, ev[ds].signals))
    record_all("E", label, "control", e_values(K_ctrl, Qd, ev[ds].X, ev[ds].signals))
display(Markdown(plotting.markdown_table(
    [{"appendix": c["appendix"], "check on the exact solution": c["check"], "measured": c["value"],
      "tolerance": f"{c['sense']} {c['tolerance']:g}", "met": c["met"]} for c in checks if c["kind"] == "control"],
    digits=3)))

# %% [markdown]
# ## All checks
#
# Identities and findings first (compared by the notebook tests; the identities are
# asserted below), then the trained properties (their values depend on the run; not
# compared by the tests).

# %% tags=["hide-input"]
display(Markdown(plotting.markdown_table(
    [{"appendix": c["appendix"], "kind": c["kind"], "check": c["check"],
      "tolerance": f"{c['sense']} {c['tolerance']:.0e}", "holds": c["met"]}
     for c in checks if c["kind"] in ("identity", "finding")])))

# %% tags=["hide-input", "hide-output"]
# NBVAL_IGNORE_OUTPUT
prov_runs = runs["gaussian-translation"]["provenance"]
display(Markdown(
    f"Trained checks, **profile `{prov_runs['profile']}`** (seed {seed}):\n\n"
    + plotting.markdown_table(
        [{"appendix": c["appendix"], "property of the trained model": c["check"], "measured": c["value"],
          "tolerance": f"{c['sense']} {c['tolerance']:g}",
          "result": "met" if c["met"] else f"not met at {prov_runs['profile']} profile"}
         for c in checks if c["kind"] == "trained"], digits=3)))

# %% [markdown]
# ## Save

# %% tags=["remove-input"]
# NBVAL_IGNORE_OUTPUT
summary = {"profile": profile, "seed": seed, "tolerances": TOL, "checks": checks,
           "markov": {f"{ds}|{w}": {k: v.tolist() for k, v in st.items()} for (ds, w), st in markov.items()},
           "mutual_information": mi}
arrays = {"Q_rotation": Q, "K_rotated_algebra": K2, "G_rotated_trained": b["generator"], "Sigma": Sigma}
prov = io.provenance(profile, seed, resolve_device(device), wall_time_s=time.perf_counter() - t_start,
                     notebook=NAME, variant=cfg.loss.variant, run_git=prov_runs.get("git"))
io.save_run(out, summary, arrays, config=cfg, provenance=prov)
print("saved", sorted(p.name for p in out.iterdir() if p.suffix != ".ipynb"))

# %% [markdown]
# ## Assertions
#
# Every identity must hold at every profile, and the exact solution must meet every
# tolerance. The "finding" (the literal Markov statement about the hidden signal) is
# reported, not asserted. The trained checks are only required to have produced finite
# values.

# %% tags=["remove-input"]
broken = [c for c in checks if c["kind"] in ("identity", "control") and not c["met"]]
assert not broken, broken
assert all(np.isfinite(c["value"]) for c in checks)
assert {c["appendix"] for c in checks} == {"B", "C", "D", "E", "F"}
assert sum(c["kind"] == "trained" for c in checks) == 15 and sum(c["kind"] == "control" for c in checks) == 12
print(f"{sum(c['kind'] == 'identity' for c in checks)} identities, "
      f"{sum(c['kind'] == 'trained' for c in checks)} trained checks recorded")
