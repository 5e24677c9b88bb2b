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
# with the evidence from the notebooks above, and the findings of this companion's own
# convergence study, read from saved results. Each verdict is **decided by code** from the
# saved numbers with the thresholds defined below, not typed in:
#
# - **reproduced**: the evidence meets the threshold;
# - **partly**: it meets a weaker threshold, or holds only in part;
# - **not yet**: it does not;
# - **not tested**: nothing in this companion measures it.
#
# **Best evidence.** For each notebook the ledger reads, it uses the most faithful profile
# that has saved results (`smoke` < `cpu` < `fast` < `paper`, the order the
# {doc}`../best_evidence` page uses), in this session's `results/` or the committed one, and
# names that profile beside every verdict. A verdict is only as good as the profile behind
# it: at `smoke` a model trains for a few hundred steps instead of the paper's million, so
# "not yet" there says that the smoke run did not get there, not that the paper is
# wrong. The ledger trains nothing; only when a notebook has no saved results at any profile
# does it first run that notebook with papermill at this notebook's profile, exactly as
# `make reproduce` does.

# %% tags=["parameters"]
profile = "smoke"
seed = 0
device = "auto"

# %% tags=["hide-input"]
import csv
import json
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm.auto, imported by symlens

import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from symlens import analysis, config, io, plotting, results, verdicts
from symlens.restarts import best_of_record, early_choice, saved_best_of, saved_early_selection, selection_statistics
from symlens.train import resolve_device

NAME = "07_claims_ledger"
t_start = time.perf_counter()
out = results.notebook_dir(profile, NAME)
cfg = config.get_profile(profile)

# Thresholds of the verdicts; those of the generator's cosine are the status table's
# (symlens.verdicts), so the two pages never judge the same runs differently.
COS_REPRODUCED = verdicts.COS_REPRODUCED  # cosine similarity of a generator close to the true one
COS_PARTLY = verdicts.CONVERGED        # ... of a run that learned its generator
SPREAD_MAX = 0.10      # max - min of the per-dataset mean cosine: "stable across datasets"
RECOVERY_MIN = 0.90    # |corr(y, ±s or ±reversed s)|: "outputs almost equal the hidden signals"
print(f"profile {profile!r}: {config.PROFILE_NOTES[profile]}")

# %% [markdown]
# ## The evidence
#
# The saved results of notebooks 3 (accuracy), 5 (reconstruction) and 6 (appendix checks),
# each at the most faithful profile saved.

# %% tags=["hide-input"]
# NBVAL_IGNORE_OUTPUT
SOURCES = ("03_accuracy", "05_reconstruction", "06_appendix_checks")
evidence, ev_profile, ev_dir = {}, {}, {}
for name in SOURCES:
    found = results.best_saved(name)
    if found is None:
        import papermill as pm

        print(f"{name}: no saved results at any profile; running the notebook at {profile!r} ...", flush=True)
        nb_dir = io.repo_root() / "notebooks"
        pm.execute_notebook(str(nb_dir / f"{name}.ipynb"), str(results.notebook_dir(profile, name) / f"{name}.ipynb"),
                            parameters={"profile": profile, "seed": seed, "device": device},
                            kernel_name="python3", cwd=str(nb_dir), progress_bar=False)
        found = results.best_saved(name)
    ev_profile[name], ev_dir[name] = found
    evidence[name] = json.loads((ev_dir[name] / "metrics.json").read_text())
display(Markdown(plotting.markdown_table(
    [{"saved results": f"`results/{ev_profile[name]}/{name}/`", "profile": f"`{ev_profile[name]}`",
      "commit": evidence[name]["provenance"].get("git"),
      "machine": f"{evidence[name]['provenance'].get('device')} ({evidence[name]['provenance'].get('hardware')})",
      "date": str(evidence[name]["provenance"].get("date", ""))[:10]} for name in SOURCES])))

acc, rec, app = (evidence[n]["metrics"] for n in SOURCES)
runs = acc["runs"]
acc_root = ev_dir["03_accuracy"].parent.parent  # the results tree of the notebook 03 evidence
acc_profile = ev_profile["03_accuracy"]

# %% [markdown]
# ## The verdicts
#
# The rules, in order, are in the code of this cell (shown on request): each claim gets a
# measured value, the threshold it is held to (the table of rules below the ledger), and
# the verdict. *Evidence* names the notebook and the profile of its saved results.

# %% tags=["hide-input"]
# NBVAL_IGNORE_OUTPUT
ledger = []
SOURCE_NAME = {"03": "03_accuracy", "05": "05_reconstruction", "06": "06_appendix_checks"}


def claim(cid, text, source, measured, rule, verdict):
    prof = ev_profile.get(SOURCE_NAME.get(source.split()[0], ""), None)
    ledger.append({"id": cid, "claim": text, "source": source, "profile": prof, "measured": measured, "rule": rule,
                   "verdict": verdict})


means = np.array([r["cos_mean"] for r in acc["table2"]])

# The rules of T2, S2, S3, S5, S6 and the appendices' trained checks are the status table's too
# (symlens.verdicts): one rule per claim.

# 1. Table 2: the learned generator is close to the true one, for all six datasets.
worst = float(means.min())
v_t2 = verdicts.all_datasets_learned({r["dataset"]: float(r["cos_mean"]) for r in acc["table2"]})
claim("T2", "The learned generator is close to the true one for all six datasets (Table 2).", "03",
      v_t2.measured, v_t2.rule, v_t2.level)

# 2. Accuracy is stable across datasets.
spread = float(means.max() - means.min())
claim("S1", "Accuracy is stable across datasets.", "03",
      f"spread of the per-dataset mean cosine {spread:.3f}; lowest {worst:.3f}",
      f"not yet if no dataset reaches {COS_PARTLY}; else reproduced if spread ≤ {SPREAD_MAX}, else partly",
      "not yet" if means.max() < COS_PARTLY else "reproduced" if spread <= SPREAD_MAX else "partly")

# 3. Most of the small error comes from edge effects.
v_edge = verdicts.edge_error(runs, acc["uniform_edge_share"])
claim("S2", "Most of the (small) remaining error comes from edge effects.", "03", v_edge.measured,
      v_edge.rule, v_edge.level)

# 4. The minimal generator, not a power of it, is learned every time.
v_min = verdicts.minimal_generator(runs)
claim("S3", "The minimal generator (not a power of it) is learned every time.", "03",
      f"best power per run {[r['best_power'] for r in runs]}; {v_min.measured}", v_min.rule,
      v_min.level)

# 5. One hyperparameter set serves all datasets.
run_saved = {k: json.loads((acc_root / d / "metrics.json").read_text()) for k, d in acc["run_dirs"].items()}
# compared with every option filled in: a run saved before an option existed ran with its default
run_configs = {json.dumps(results.comparable_config(r["config"]), sort_keys=True) for r in run_saved.values()}
configs_equal = len(run_configs) == 1
claim("S4", "One set of hyperparameters serves all datasets.", "03",
      f"one configuration for all runs: {configs_equal}; lowest per-dataset mean cosine {worst:.3f}",
      f"same configuration, and reproduced / partly as for T2",
      "not yet" if not configs_equal else v_t2.level)

# 6. Restarts give similar results: every saved run of the evidence profile with the same
# configuration as that dataset's Table 2 run (other seeds may be saved elsewhere, e.g. by the
# time-to-accuracy benchmark); where a seed has several, its Table 2 run is kept.
table2_cos = {}
for r in runs:
    table2_cos.setdefault(r["dataset"], {})[int(r["seed"])] = r["cosine_similarity"]
restarts = results.saved_restarts(acc_root, acc_profile,
                                  {r["provenance"]["dataset"]: r["config"] for r in run_saved.values()},
                                  keep=table2_cos)
v_restarts = verdicts.restarts_similar(restarts)
claim("S5", "Restarts from scratch give similar results.", "03", v_restarts.measured,
      v_restarts.rule,
      v_restarts.level)

# 7. The learned filter is a delta along the symmetry.
v_filter = verdicts.filter_delta(runs)
claim("S6", "The learned filter is a delta along the symmetry: one spike for translations, a pure "
      "sinusoid for the frequency shift.", "03",
      v_filter.measured + f"; median {np.median([r['filter_peak_fraction'] for r in runs]):.3f}",
      v_filter.rule, v_filter.level)

# 8. The outputs are almost equal to the hidden local signals: notebook 5 scores held-out samples;
# when notebook 3 has a more faithful profile, its runs' scores (training samples) are used instead.
if results.PROFILE_ORDER.index(acc_profile) > results.PROFILE_ORDER.index(ev_profile["05_reconstruction"]):
    corr = np.array([r["signal_correlation_train"] for r in runs])
    src7, where7 = "03", "training samples"
else:
    corr = np.array([r["correlation"] for r in rec["recovery"]])
    src7, where7 = "05", "held-out samples"
claim("S7", "The outputs are almost equal to the hidden local signals (up to sign, reflection and shift).", src7,
      f"|correlation| per dataset ({where7}): min {corr.min():.3f}, max {corr.max():.3f}",
      f"reproduced if all ≥ {RECOVERY_MIN}, partly if some are",
      "reproduced" if (corr >= RECOVERY_MIN).all() else "partly" if (corr >= RECOVERY_MIN).any()
      else "not yet")

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
              "reproduced if all hold", "reproduced" if ok == len(ident) else "not yet")
    if finding:
        f0 = finding[0]
        claim(f"{appx}-signal", text + " (does the ideal representation, the hidden signal, satisfy it?)", "06",
              f"{f0['check']}: measured {f0['value']:.3f}",
              "partly if the hidden signal itself fails the literal statement",
              "reproduced" if f0["met"] else "partly")
    if trained:
        v_trained = verdicts.trained_checks(trained)
        claim(f"{appx}-trained", text + " (on the trained models)", "06",
              f"{v_trained.measured}: "
              + "; ".join(f"{c['check'].split(': ', 1)[-1]} = {c['value']:.3f}" for c in trained[:2])
              + (" …" if len(trained) > 2 else ""),
              v_trained.rule, v_trained.level)

# The profile qualifies every verdict on a trained model.
for c in ledger:
    c["evidence"] = f"notebook {c['source']}, `{c['profile']}`" if c["profile"] else "—"
    c["note"] = ("smoke profile: models not converged; says nothing about the paper"
                 if c["verdict"] == "not yet" and c["profile"] == "smoke"
                 and not c["id"].endswith("-exact") else "")
    c["verdict shown"] = c["verdict"] + (f" ({c['note']})" if c["note"] else "")
display(Markdown(plotting.markdown_table(ledger, columns=["id", "claim", "evidence", "measured", "verdict shown"])
                 .replace("verdict shown", "verdict")))

# %% tags=["hide-input"]
# NBVAL_IGNORE_OUTPUT
counts = {v: sum(c["verdict"] == v for c in ledger) for v in ("reproduced", "partly", "not yet", "not tested")}
src_profiles = sorted({c["profile"] for c in ledger if c["profile"]})
print(f"profiles {', '.join(src_profiles)}: " + ", ".join(f"{n} {v}" for v, n in counts.items()))

# %% [markdown]
# The rule behind each verdict (shown on request):

# %% tags=["hide-cell"]
display(Markdown(plotting.markdown_table(ledger, columns=["id", "rule"])))

# %% [markdown]
# ## Findings of the convergence study
#
# The {doc}`../convergence` page tests, in a laboratory of small fits (N = 11 or 15, a few
# seeds) and at the paper's N = 33, why training fails and what helps. Its findings are
# claims of this companion, held to rules as the paper's are. Their verdicts:
#
# - **confirmed**: the saved numbers meet the rule;
# - **partly**: they meet a weaker form of it;
# - **refuted**: they do not;
# - **not tested**: the saved results are missing.
#
# Each finding names its rule, the saved file it is computed from (under `results/`, written
# by the scripts in `benchmarks/`) and the commits that produced that file. The laboratory uses the `cpu` schedule compressed to
# 3 000 steps (6 000 where the schedule is studied); a finding with one or two seeds says so.

# %% tags=["hide-input"]
# NBVAL_IGNORE_OUTPUT
COS_TARGET = 0.95       # the convergence study's target cosine
NOISE_SLOPE_TOL = 0.15  # |log-log slope of reg2 against samples per slot + 1/2| for "noise"
NOISE_FLAT_MAX = 1.25   # max / min of reg2 × √(samples per slot) for "noise"
findings = []


def _saved(rel):
    """The first evidence root holding results/<rel>, or None."""
    for root in results.evidence_roots():
        if (root / rel).exists():
            return root / rel
    return None


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _commits(rows):
    gits = sorted({str((r.get("provenance") or r).get("git")) for r in rows} - {"None"})
    return f" (git {', '.join(gits)})" if gits else ""


def finding(fid, text, rels, measure, rule):
    """Add a finding: ``measure(*paths) -> (measured, verdict, commits)``, or "not tested"
    when a file in ``rels`` (paths under results/) is missing."""
    paths = [_saved(r) for r in rels]
    if any(p is None for p in paths):
        missing = [r for r, p in zip(rels, paths) if p is None]
        measured, verdict, commits = f"no saved results: {', '.join(missing)}", "not tested", ""
    else:
        measured, verdict, commits = measure(*paths)
    findings.append({"id": fid, "finding": text, "measured": measured, "rule": rule, "verdict": verdict,
                     "evidence": ", ".join(f"`results/{r}`" for r in rels) + commits})


def _mean(xs):
    return float(np.mean(list(xs)))


def _by_setting(rows):
    by = {}
    for r in rows:
        by.setdefault(r["setting"], []).append(r)
    return by


def _by_setting_dataset(rows):
    cells = {}
    for r in rows:
        cells.setdefault((r["setting"], r["dataset"]), []).append(r)
    return cells


# (a) At N = 33, does the held-out objective (eq. 13 at τ = 1, estimators refitted to each
# candidate) rank the true solution first?  rows.json: one row per dataset, centring, candidate.
def _objective(path, centring):
    rows = json.loads(path.read_text())
    out = {}
    for r in rows:
        if r["centring"] == centring:
            out.setdefault(r["dataset"], {})[r["candidate"]] = r
    return rows, out


def _truth_first(path):
    rows, comp = _objective(path, "component")
    lead = {ds: {k: v["total"] - c["truth"]["total"] for k, v in c.items() if k != "truth"} for ds, c in comp.items()}
    wins = [ds for ds, d in lead.items() if min(d.values()) > 0]
    ds_min = min(lead, key=lambda ds: min(lead[ds].values()))
    cand_min = min(lead[ds_min], key=lead[ds_min].get)
    learned = [v for d in lead.values() for k, v in d.items() if k.startswith("learned")]
    measured = (f"N = {rows[0]['N']}, per-component centring: the truth has the lowest loss on {len(wins)} of "
                f"{len(lead)} datasets; its smallest lead {lead[ds_min][cand_min]:.3f} ({ds_min}, over "
                f"'{cand_min}'); over the learned faithful `cpu` solutions {min(learned):.2f} to {max(learned):.2f}")
    verdict = ("confirmed" if len(wins) == len(lead) == 6 else "partly" if len(wins) > len(lead) / 2 else "refuted")
    return measured, verdict, _commits(rows)


finding("C1", "With per-component centring the held-out objective prefers the true generator on all six "
        "datasets at N = 33: the failures are failures of the search, not of the objective.",
        ["lab/objective/N33/rows.json"], _truth_first,
        "confirmed if the truth scores lowest of all candidates on all six datasets, partly on most")


def _scalar_flips(path):
    rows, scal = _objective(path, "scalar")
    _, comp = _objective(path, "component")
    beaten = {ds: {k: c["truth"]["total"] - v["total"] for k, v in c.items() if k != "truth"
                   and v["total"] < c["truth"]["total"]} for ds, c in scal.items()}
    beaten = {ds: d for ds, d in beaten.items() if d}
    t_s, t_c = scal["gaussian-dst"]["truth"], comp["gaussian-dst"]["truth"]
    comp_wins = all(v["total"] > comp["gaussian-dst"]["truth"]["total"]
                    for k, v in comp["gaussian-dst"].items() if k != "truth")
    measured = ("scalar centring: the truth is beaten on "
                + ("; ".join(f"{ds} by '{k}' ({d[k]:.3f} lower)" for ds, d in beaten.items() for k in d)
                   if beaten else "no dataset")
                + f"; the truth's reg1 + reg2 on gaussian-dst {t_s['reg1'] + t_s['reg2']:.3f} (scalar) against "
                f"{t_c['reg1'] + t_c['reg2']:.3f} (per-component)")
    verdict = ("confirmed" if "gaussian-dst" in beaten and comp_wins and len(beaten) < len(scal) else
               "partly" if beaten else "refuted")
    return measured, verdict, _commits(rows)


finding("C2", "The authors' scalar mean subtraction makes the objective basis-dependent: at N = 33 it scores the "
        "learned gaussian-dst solution (a DST basis) below the truth, which wins with per-component centring.",
        ["lab/objective/N33/rows.json"], _scalar_flips,
        "confirmed if a candidate beats the truth on gaussian-dst with scalar centring, not with per-component "
        "centring, and not on every dataset; partly if the truth is beaten anywhere")


# (b) The centring study at N = 11: the same seeds with the scalar (authors') and the
# per-component mean subtraction.
def _centring(path):
    rows = _jsonl(path)
    cos = {}
    for r in rows:
        cos.setdefault((r["setting"], r["dataset"]), {})[r["seed"]] = r["cos"]
    parts, gains = [], None
    for ds in dict.fromkeys(r["dataset"] for r in rows):
        a, b = cos.get(("scalar", ds), {}), cos.get(("component", ds), {})
        seeds = sorted(set(a) & set(b))
        if not seeds:
            continue
        if ds == "gaussian-dst":
            gains = [b[k] - a[k] for k in seeds]
        parts.append(f"{ds} (seeds {', '.join(map(str, seeds))}) {_mean(a[k] for k in seeds):.3f} → "
                     f"{_mean(b[k] for k in seeds):.3f}")
    dims = sorted({r["dim"] for r in rows})
    measured = (f"N = {', '.join(map(str, dims))}, mean cos scalar → per-component: " + "; ".join(parts)
                + (f"; gaussian-dst gains per seed {min(gains):+.3f} to {max(gains):+.3f}" if gains else ""))
    verdict = ("not tested" if not gains else "confirmed" if min(gains) > 0 else
               "partly" if np.mean(gains) > 0 else "refuted")
    return measured, verdict, _commits(rows)


finding("C3", "The scalar mean subtraction is basis-dependent: per-component centring raises the cosine on "
        "gaussian-dst at N = 11.", ["lab/centring/runs.jsonl"], _centring,
        "confirmed if every seed run with both centrings gains on gaussian-dst, partly if the mean gains")


# (c) Domain walls against the length of the schedule (the same schedule stretched).
def _schedule(path):
    rows = _jsonl(path)
    by = {}
    for r in rows:
        by.setdefault(int(r["steps"]), []).append(r)
    lengths = sorted(by)
    walls = [_mean(r["census_walls"] for r in by[n]) for n in lengths]
    cos = [_mean(r["cos"] for r in by[n]) for n in lengths]
    picks = [max(by[n], key=lambda r: r["cos"]) is min(by[n], key=lambda r: r["held_out_total"])
             for n in lengths if all("held_out_total" in r for r in by[n])]
    ds = ", ".join(sorted({r["dataset"] for r in rows}))
    measured = (f"{ds}, N = {rows[0]['dim']}, {len(by[lengths[0]])} seeds at {' / '.join(map(str, lengths))} "
                f"steps: walls per fit {' / '.join(f'{w:.2f}' for w in walls)}, mean cos "
                f"{' / '.join(f'{c:.3f}' for c in cos)}"
                + (f"; the lowest held-out loss picks the best seed at {sum(picks)} of {len(picks)} lengths"
                   if picks else ""))
    falling = all(b <= a for a, b in zip(walls, walls[1:])) and walls[-1] < walls[0]
    verdict = ("confirmed" if falling and walls[-1] == 0 and cos[-1] > cos[0] else
               "partly" if walls[-1] < walls[0] else "refuted")
    return measured, verdict, _commits(rows)


finding("C4", "Domain walls come from a fast quench: they fall with the length of the schedule, and the "
        "longest schedule leaves none.", ["lab/schedule/runs.jsonl"], _schedule,
        "confirmed if the mean number of walls never rises with the length and is 0 at the longest while the "
        "mean cos rises; partly if it falls")


# (d) The conditional uniformity term at the true solution against the estimators' samples per slot.
def _noise(path):
    rows = sorted(json.loads(path.read_text()), key=lambda r: r["slot"])
    slot = np.array([r["slot"] for r in rows], float)
    reg2 = np.array([r["reg2"] for r in rows])
    reg1 = np.array([r["reg1"] for r in rows])
    slope = float(np.polyfit(np.log(slot), np.log(reg2), 1)[0])
    scaled = reg2 * np.sqrt(slot)
    slope_txt = f"{slope:.2f}".replace("-", "−")
    measured = (f"{rows[0]['dataset']}, N = {rows[0]['N']}, at the truth: reg2 {reg2[0]:.3f} → {reg2[-1]:.3f} "
                f"from {slot[0]:.0f} to {slot[-1]:.0f} samples per slot; log-log slope {slope_txt} (−0.5 for "
                f"noise); reg2 × √slot {scaled.min():.2f}–{scaled.max():.2f}; "
                f"reg1 {reg1.min():.3f}–{reg1.max():.3f} (no trend)")
    verdict = ("confirmed" if abs(slope + 0.5) <= NOISE_SLOPE_TOL and scaled.max() / scaled.min() <= NOISE_FLAT_MAX
               else "partly" if slope < 0 else "refuted")
    return measured, verdict, _commits(rows)


finding("C5", "The conditional uniformity term (reg2) left at the true solution is estimator noise: it falls as "
        "1/√(samples per slot).", ["lab/estimator_noise/N15/rows.json"], _noise,
        f"confirmed if the log-log slope is −0.5 ± {NOISE_SLOPE_TOL} and reg2 × √slot varies by at most a factor "
        f"{NOISE_FLAT_MAX}; partly if reg2 falls")


# (e) The ablation: each term's coefficient set to zero, against the full loss run in the same
# study with the same seeds and settings (setting "full").
TERM = {"alpha": "alignment", "beta": "uniformity", "gamma": "resolution", "delta": "information preservation"}


def _ablation(path):
    by = _by_setting(_jsonl(path))
    full = {r["seed"]: r["cos"] for r in by.get("full", [])}
    off = {name: rs for name, rs in by.items() if name != "full"}
    first = next(iter(off.values()))[0]
    measured = (f"{first['dataset']}, N = {first['dim']}, seeds {', '.join(map(str, sorted(full)))}: full loss mean "
                + (f"{_mean(full.values()):.3f} ({min(full.values()):.3f}–{max(full.values()):.3f})" if full else "not saved")
                + "; without " + ", ".join(
                    f"{' and '.join(TERM[k] for k in rs[0]['overrides'] if k in TERM)} {_mean(r['cos'] for r in rs):.3f}"
                    for rs in off.values()))
    ablated = [r for rs in off.values() for r in rs]
    below_same = bool(full) and all(r["cos"] < full[r["seed"]] for r in ablated if r["seed"] in full)
    verdict = ("not tested" if not full else
               "confirmed" if all(r["cos"] < min(full.values()) for r in ablated) else
               "partly" if below_same else "refuted")
    return measured, verdict, _commits([r for rs in by.values() for r in rs])


finding("C6", "Every term of eq. 13 is needed: switching any one off (its coefficient set to 0) lowers the "
        "final cosine.", ["lab/ablation/runs.jsonl"], _ablation,
        "confirmed if every ablated fit ends below the full loss's worst seed; partly if below the full loss "
        "with the same seed")


# (f) A basis never tuned on: signals behind a Haar-random orthogonal Q (the Gaussian bumps, and
# two families made up for the laboratory), faithful against the recipe (`symlens`, or `est4`
# with the estimator rate x4), grouped by dataset and N.
def _is_recipe(setting):
    return setting == "symlens" or setting.startswith("est4")


def _haar(*paths):
    rows = [r for path in paths for r in _jsonl(path)]
    groups = {}
    for r in rows:
        kind = "faithful" if r["setting"] == "faithful" else "recipe" if _is_recipe(r["setting"]) else None
        if kind:
            g = groups.setdefault((r["dataset"], r["dim"]), {"faithful": [], "recipe": {}})
            if kind == "faithful":
                g["faithful"].append(r["cos"])
            else:
                g["recipe"].setdefault((r["setting"], r["steps"]), []).append(r["cos"])
    parts, ok_all, better_all = [], True, True
    for (ds, dim), g in sorted(groups.items()):
        f = g["faithful"]
        for (name, steps), rec in sorted(g["recipe"].items()):
            parts.append(f"{ds} N = {dim}: faithful mean {_mean(f):.3f}, `{name}` ({steps} steps, {len(rec)} seeds) "
                         f"mean {_mean(rec):.3f} ({min(rec):.3f}–{max(rec):.3f})")
            ok_all &= bool(f) and min(rec) >= COS_TARGET and min(rec) > max(f)
            better_all &= bool(f) and _mean(rec) > _mean(f)
    verdict = ("not tested" if not parts else "confirmed" if ok_all else "partly" if better_all else "refuted")
    return "; ".join(parts), verdict, _commits(rows)


finding("C7", "Behind a basis never tuned on (Haar-random Q), and for signal families never seen, the recipe "
        f"(per-component centring, unit-norm filter) learns the generator (cos ≥ {COS_TARGET}) where the faithful "
        "method does not.",
        ["lab/haar/runs.jsonl", "lab/made_up/runs.jsonl"], _haar,
        f"confirmed if in every group every recipe fit reaches {COS_TARGET} and beats every faithful fit; partly if "
        "the recipe's mean is higher in every group")


# The longer schedule at N = 33: the recipe on gaussian-dst, seed 0, at the `cpu` profile's
# 6 000 steps and the `fast` profile's 12 000, beside the faithful `cpu` Table 2 run.
def _n33(short, long):
    a, b = (json.loads((p / "metrics.json").read_text()) for p in (short, long))
    pa = a["provenance"]
    f_path = _saved(f"{pa['profile']}/03_accuracy/runs/{pa['dataset']}/seed{pa['seed']}/metrics.json")
    faithful = json.loads(f_path.read_text()) if f_path else None  # the faithful Table 2 run, same profile
    ca, cb = a["metrics"]["cosine_similarity"], b["metrics"]["cosine_similarity"]
    with np.load(short / "arrays.npz") as arrays:
        n_dim = arrays["generator"].shape[0]
    measured = (f"{pa['dataset']}, N = {n_dim}, seed {pa['seed']}: cos {ca:.3f} at {a['metrics']['steps']} steps "
                f"(`{pa['profile']}`) → {cb:.3f} at {b['metrics']['steps']} (`{b['provenance']['profile']}`)"
                + (f"; faithful method, {faithful['metrics']['steps']} steps: "
                   f"{faithful['metrics']['cosine_similarity']:.3f}" if faithful else ""))
    verdict = "confirmed" if cb >= COS_TARGET else "partly" if cb > ca else "refuted"
    return measured, verdict, _commits([a, b])


finding("C8", f"At N = 33 a longer schedule lifts the `symlens` recipe to cos ≥ {COS_TARGET}.",
        ["cpu/recipe/gaussian-dst/seed0", "fast/recipe/gaussian-dst/seed0"], _n33,
        f"confirmed if the longer run reaches {COS_TARGET}; partly if it improves on the shorter one")


# Mechanism 5: the estimators at four times the `cpu` profile's rate, N = 15, 1 500 steps.
def _estimator_lag(path):
    by = _by_setting(_jsonl(path))
    base, fast = by["base1500"], by["est4"]
    walls = lambda rs: sum(r["census_walls"] > 0 for r in rs)  # noqa: E731
    measured = (f"{base[0]['dataset']}, N = {base[0]['dim']}, {len(base)} seeds, 1 500 steps: mean cos "
                f"{_mean(r['cos'] for r in base):.3f} → {_mean(r['cos'] for r in fast):.3f}; fits with a wall "
                f"{walls(base)} → {walls(fast)} of {len(fast)}")
    verdict = ("confirmed" if walls(fast) == 0 < walls(base) and _mean(r["cos"] for r in fast) > _mean(r["cos"] for r in base)
               else "partly" if _mean(r["cos"] for r in fast) > _mean(r["cos"] for r in base) else "refuted")
    return measured, verdict, _commits(base + fast)


finding("C9", "The estimators lag behind the model: with the `cpu` profile's rates (model 300×, estimators 3× the "
        "paper's) walls freeze; four times the estimator rate removes them.",
        ["lab/estimator_lr/runs.jsonl"], _estimator_lag,
        "confirmed if no fit at 4× the estimator rate has a wall, some base fit has one, and the mean cos rises; "
        "partly if only the mean cos rises")


# Steps against N with that recipe: a fit converges at cos >= min(0.95, cyclic ceiling - 0.01).
def _steps_vs_n(path):
    rows = _jsonl(path)
    needed = analysis.steps_needed(rows, need=3)
    dims = sorted(needed)
    longest = max(r["steps"] for r in rows)
    measured = "; ".join(f"N = {n}: {needed[n] if needed[n] else f'> {longest}'} steps" for n in dims)
    measured = f"{rows[0]['dataset']}, 4 seeds, steps for 3 of 4 fits to converge: {measured}"
    known = [(n, st) for n, st in needed.items() if st]
    growth = [np.log(b[1] / a[1]) / np.log(b[0] / a[0]) for a, b in zip(known, known[1:])]
    steep = any(needed[n] is None and known and longest / known[-1][1] >= (n / known[-1][0]) ** 2 for n in dims)
    verdict = ("confirmed" if steep or (growth and growth[-1] >= 2) else "partly" if growth and growth[-1] >= 1 else "refuted")
    return measured, verdict, _commits(rows)


finding("C10", "With that recipe the steps a fit needs grow at least as fast as N², so the `cpu` profile's "
        "6 000 steps stop sufficing between N = 15 and N = 33.",
        ["lab/steps_vs_n/runs.jsonl"], _steps_vs_n,
        "on the grid of schedules run (each twice the last), confirmed if the last step in N needs at least "
        "(N/N')² times the steps, counting an N that no schedule run converges as needing more than the longest; "
        "partly if the steps grow at least linearly")


# Higher learning rates in place of steps (N = 15): both rates x2 at 3 000 steps against est4 at 6 000.
def _rates(path, steps_path):
    by = _by_setting(_jsonl(path))
    est4 = [r for r in _jsonl(steps_path) if r["dim"] == 15]
    long = [r for r in est4 if r["steps"] == 6000]
    same = [r for r in est4 if r["steps"] == 3000]
    x2 = by["m2e8-3000"]
    measured = (f"N = 15, 3 000 steps, {len(x2)} seeds: both rates ×2 mean cos {_mean(r['cos'] for r in x2):.3f}; est4 "
                f"{_mean(r['cos'] for r in same):.3f} at 3 000 and {_mean(r['cos'] for r in long):.3f} at 6 000 steps")
    gap = _mean(r["cos"] for r in long) - _mean(r["cos"] for r in same)
    gain = _mean(r["cos"] for r in x2) - _mean(r["cos"] for r in same)
    verdict = "confirmed" if gain >= 0.8 * gap else "partly" if gain >= 0.3 * gap else "refuted"
    return measured, verdict, _commits(x2 + est4)


finding("C11", "Raising both learning rates buys what a longer schedule buys (τ of eq. 18 is learning-rate-weighted "
        "time).", ["lab/rates/runs.jsonl", "lab/steps_vs_n/runs.jsonl"], _rates,
        "confirmed if rates ×2 at 3 000 steps recover 80 % of what 6 000 steps add over 3 000, partly if 30 %")


# The padding: removed, or kept still by a tensorwise Adam (N = 15, est4, 3 000 steps).
def _padding(path):
    by = _by_setting(_jsonl(path))
    ref = _mean(r["cos"] for r in by["P15"])
    alt = {k: _mean(r["cos"] for r in by[k]) for k in ("P0", "tw", "tw3") if k in by}
    measured = (f"N = 15, 3 000 steps, 4 seeds: padding N mean cos {ref:.3f} (padding diagonal "
                f"{_mean(r['padding_diagonal'] for r in by['P15']):.2f}); "
                + ", ".join(f"{k} {v:.3f}" for k, v in alt.items()))
    verdict = "confirmed" if min(alt.values()) > ref else "partly" if max(alt.values()) > ref else "refuted"
    return measured, verdict, _commits([r for rs in by.values() for r in rs])


finding("C12", "Adam's drift of the generator's padding block (to about −I) is what stops the chain's end: "
        "removing the padding, or an optimiser that keeps it still, converges better.",
        ["lab/padding/runs.jsonl"], _padding,
        "confirmed if no padding (P0) and the tensorwise optimiser (tw, tw3) all beat the faithful padding; partly "
        "if one does")


# Selection by the loss: in every lab group of four or more fits of one setting, does the lowest
# held-out loss pick the best fit (within 0.02 cos)?  Groups where it cannot matter (every fit
# within 0.05 of the best) are counted apart.
SELECT_TOL, SPREAD_MIN = 0.02, 0.05


def _selection(*paths):
    groups = {}
    for path in paths:
        for r in _jsonl(path):
            if "held_out_total" in r:
                groups.setdefault((r["study"], r["setting"], r["dim"], r["dataset"]), []).append(r)
    groups = {k: rs for k, rs in groups.items() if len(rs) >= 4}
    spread = {k: rs for k, rs in groups.items() if max(r["cos"] for r in rs) - min(r["cos"] for r in rs) >= SPREAD_MIN}
    hits = [k for k, rs in spread.items()
            if min(rs, key=lambda r: r["held_out_total"])["cos"] >= max(r["cos"] for r in rs) - SELECT_TOL]
    misses = sorted(set(spread) - set(hits))
    pick = {k: min(rs, key=lambda r: r["held_out_total"]) for k, rs in groups.items()}
    with_converged = [k for k, rs in groups.items() if any(r["cos"] >= analysis.convergence_threshold(k[2]) for r in rs)]
    picked_converged = [k for k in with_converged if pick[k]["cos"] >= analysis.convergence_threshold(k[2])]
    measured = (f"in {len(picked_converged)} of the {len(with_converged)} groups of ≥ 4 fits that hold a converged fit "
                f"(cos ≥ 0.95, or the cyclic ceiling − 0.01 at N ≤ 9) the lowest held-out loss picks a converged one; "
                f"in {len(hits)} of the {len(spread)} groups whose cos spread is ≥ {SPREAD_MIN} it picks the best fit or "
                f"one within {SELECT_TOL}"
                + (f" (misses: {', '.join(f'{k[1]} N = {k[2]}' for k in misses)})" if misses else ""))
    share = len(picked_converged) / max(1, len(with_converged))
    best_share = len(hits) / max(1, len(spread))
    verdict = ("confirmed" if share >= 0.9 and best_share >= 0.8 else "partly" if share >= 0.6 else "refuted")
    return measured, verdict, _commits([r for rs in groups.values() for r in rs])


SELECTION_STUDIES = ["steps_vs_n", "batch_steps", "rates", "padding", "seed_split", "estimator_lr", "schedule",
                     "n33_restarts", "recentre", "tau_start"]
finding("C13", "The method's own held-out loss (eq. 13 at τ = 1, never the true generator) picks the best of "
        "several fits, so best-of-k restarts turn a draw into a selection.",
        [f"lab/{st}/runs.jsonl" for st in SELECTION_STUDIES], _selection,
        "confirmed if in at least 90 % of the groups that hold a converged fit the lowest held-out loss picks a "
        "converged one and in at least 80 % of the groups whose fits differ it picks the best or one within "
        f"{SELECT_TOL}; partly if the first share is at least 60 %")

# Mechanism 7's remedy (N = 21, est4, batch 31 N, 6 000 steps): the filter recentred every 100 steps.
def _recentre(path):
    rows = _jsonl(path)
    cells = _by_setting_dataset(rows)
    datasets = sorted({d for _, d in cells})
    gain = {d: _mean(r["cos"] for r in cells["recentre100", d]) - _mean(r["cos"] for r in cells["est4", d])
            for d in datasets}
    conv = {s: sum(r["cos"] >= analysis.convergence_threshold(r["dim"]) for d in datasets for r in cells[s, d])
            for s in ("est4", "recentre100")}
    off = {s: _mean(abs(r["filter_offset"]) for d in datasets for r in cells[s, d]) for s in ("est4", "recentre100")}
    measured = (f"N = {rows[0]['dim']}, {len(datasets)} datasets × {len(cells['est4', datasets[0]])} seeds: mean |filter offset| "
                f"{off['est4']:.2f} → {off['recentre100']:.2f} steps; mean cos "
                + ", ".join(f"{d} {_mean(r['cos'] for r in cells['est4', d]):.3f} → "
                            f"{_mean(r['cos'] for r in cells['recentre100', d]):.3f}" for d in datasets)
                + f"; converged fits {conv['est4']} → {conv['recentre100']} of {sum(len(cells['est4', d]) for d in datasets)}")
    verdict = ("confirmed" if min(gain.values()) >= 0.05 and conv["recentre100"] > conv["est4"]
               else "partly" if max(gain.values()) >= 0.05 else "refuted")
    return measured, verdict, _commits(rows)


finding("C14", "Keeping the resolving filter at the middle of the generator's chain (`recentre_filter_every`), so "
        "that the powers of eq. 5 visit the whole window, raises convergence (mechanism 7's remedy).",
        ["lab/recentre/runs.jsonl"], _recentre,
        "confirmed if the mean cos rises by at least 0.05 on every dataset and more fits converge; partly if it "
        "rises by 0.05 on some dataset")


# Mechanism 2's second remedy (N = 15, est4, 3 000 steps, Legendre): τ started at 0.3 or 0.6.
def _tau_start(path):
    rows = _jsonl(path)
    cells = _by_setting_dataset(rows)
    datasets = sorted({d for _, d in cells})
    late = sorted({st for st, _ in cells} - {"est4"})
    gain = {(st, d): _mean(r["cos"] for r in cells[st, d]) - _mean(r["cos"] for r in cells["est4", d])
            for st in late for d in datasets}
    measured = (f"N = {rows[0]['dim']}, {len(cells['est4', datasets[0]])} seeds, mean cos (τ from 0 → "
                + " / ".join(late) + "): "
                + "; ".join(f"{d} {_mean(r['cos'] for r in cells['est4', d]):.3f} → "
                            + " / ".join(f"{_mean(r['cos'] for r in cells[st, d]):.3f}" for st in late) for d in datasets)
                + "; mean defects " + " → ".join(f"{_mean(r['census_defects'] for d in datasets for r in cells[st, d]):.1f}"
                                                  for st in ["est4", *late]))
    verdict = ("confirmed" if min(gain.values()) >= 0.1 else "partly" if max(gain.values()) >= 0.1 else "refuted")
    return measured, verdict, _commits(rows)


finding("C15", "Starting the training time τ later (`tau_start`) skips the early phase in which a band-pass "
        "filter locks in on Legendre data, and so raises convergence there (mechanism 2's second remedy).",
        ["lab/tau_start/runs.jsonl"], _tau_start,
        "confirmed if every later start raises the mean cos by at least 0.1 on every dataset; partly if one "
        "does on one dataset")

# Mechanism 3 at N = 33, read from the snapshots of every saved finished run (no training).
def _wall_history(path):
    import csv

    with open(path) as fh:
        rows = [{k: (float(v) if k in ("agree_early", "walls_early", "walls_late", "walls_final") else v)
                 for k, v in r.items()} for r in csv.DictReader(fh)]
    n = len(rows)
    kept = sum(r["walls_final"] >= r["walls_late"] for r in rows)
    walled = [r for r in rows if r["walls_late"] > 0]
    cleared = sum(r["walls_final"] == 0 for r in walled)
    mid = sum(r["walls_late"] < r["walls_early"] for r in rows)
    measured = (f"{n} finished N = 33 runs: walls present at τ ≈ 0.6 are kept to the end in {kept} of {n} runs; "
                f"{cleared} of the {len(walled)} runs with walls at τ ≈ 0.6 ended without them; between τ ≈ 0.3 and 0.6 the "
                f"walls still fall in {mid} runs; mean walls {_mean(r['walls_early'] for r in rows):.2f} (τ ≈ 0.3), "
                f"{_mean(r['walls_late'] for r in rows):.2f} (τ ≈ 0.6), {_mean(r['walls_final'] for r in rows):.2f} (end)")
    verdict = ("confirmed" if kept >= 0.8 * n and cleared <= 0.1 * len(walled) else
               "partly" if kept >= 0.6 * n else "refuted")
    return measured, verdict, ""


finding("C16", "The domain walls of an N = 33 fit freeze once τ passes about 0.6: walls present then are still "
        "there at the end (they form at τ ≈ 0.1–0.2 and can move only in between).",
        ["lab/wall_history/runs.csv"], _wall_history,
        "confirmed if at least 80 % of the runs end with no fewer walls than at τ ≈ 0.6 and at most one in ten "
        "of the runs with walls then ends without; partly if at least 60 % keep them")

# The remedy C16 suggests (N = 21, est4, 3 000 steps): τ slowed down where the walls can still move.
def _tau_dwell(path):
    rows = _jsonl(path)
    by = _by_setting(rows)
    slow = sorted(set(by) - {"est4"})
    cos = {st: _mean(r["cos"] for r in by[st]) for st in by}
    walls = {st: _mean(r["census_walls"] for r in by[st]) for st in by}
    conv = {st: sum(r["cos"] >= analysis.convergence_threshold(r["dim"]) for r in by[st]) for st in by}
    datasets = sorted({r["dataset"] for r in rows})
    measured = (f"N = {rows[0]['dim']}, {', '.join(datasets)} × {len(by['est4']) // len(datasets)} seeds, mean cos / mean "
                f"walls / converged fits: " + "; ".join(f"{st} {cos[st]:.3f} / {walls[st]:.2f} / {conv[st]} of {len(by[st])}"
                                                          for st in ["est4", *slow]))
    gains = [cos[st] - cos["est4"] >= 0.05 and walls[st] < walls["est4"] for st in slow]
    verdict = "confirmed" if all(gains) else "partly" if any(gains) else "refuted"
    return measured, verdict, _commits(rows)


finding("C17", "Slowing the training time τ where the walls can still move (`tau_dwell`: τ takes 2 or 4 times its "
        "share of the steps to cross 0.2–0.6, the rest compressed) leaves fewer walls and raises convergence at "
        "equal steps (C16's remedy).",
        ["lab/tau_dwell/runs.jsonl"], _tau_dwell,
        "confirmed if every slower setting raises the mean cos by at least 0.05 and lowers the mean walls; partly "
        "if one does")

# The 7-dimensional target: best of k fits, chosen by the held-out loss (benchmarks/best_of_target.py).
def _best_of(path):
    calls = sorted((json.loads(f.read_text()) for f in path.glob("gaussian-permuted-n7*/seed*.json")),
                   key=lambda c: (c["k"], c["base_seed"]))
    if not calls:  # the ledger's rule: "not tested" goes with "no saved results"
        return f"no saved results: no best-of calls under {path}", "not tested", ""
    best = [c for c in calls if c["kept_seed"] == max(c["candidates"], key=lambda r: r["cosine_similarity"])["seed"]]
    met = [c for c in calls if c["cos"] >= 0.95 and c["wall_s"] <= 300]
    by_k = {}
    for c in calls:
        by_k.setdefault(c["k"], []).append(c)
    measured = (f"N = 7, gaussian-permuted: " + "; ".join(
        f"best of {k}: kept cos " + ", ".join(f"{c['cos']:.3f} ({c['wall_s']:.0f} s)" for c in cs)
        for k, cs in sorted(by_k.items()))
        + f"; the loss kept the best candidate in {len(best)} of {len(calls)} calls, {len(met)} of {len(calls)} "
          "calls reached 0.95 within 300 s; with the exit pixel the loss cannot see left out, the kept fits score "
        + ", ".join(f"{c['cos_without_exit']:.3f}" for c in calls))
    verdict = ("confirmed" if len(best) == len(met) == len(calls) else
               "partly" if len(best) == len(calls) else "refuted")
    return measured, verdict, _commits(calls)


finding("C18", "At N = 7 the method's own held-out objective keeps the best of several fits, so restarts "
        "(`fit_best_of`) reach the 7-dimensional target (cos ≥ 0.95 within 5 minutes on this CPU) where a single "
        "fit does one time in three.",
        ["cpu/best_of"], _best_of,
        "confirmed if the loss keeps the best candidate in every call and every call meets the target; partly if "
        "it keeps the best in every call")

# Three more ways to fewer walls at N = 21 (est4, 3 000 steps, each against the est4 fits of the
# tau_dwell study, whose training path these options leave unchanged at their faithful values).
def _lab_remedy(path, converged_needed=0):
    """Each tried setting against est4 on the (dataset, seed) pairs both ran, so a setting run
    on fewer seeds than est4 is not compared with est4's other seeds."""
    rows = _jsonl(path)
    by = _by_setting(rows)
    key = lambda r: (r["dataset"], r["seed"], r.get("data_seed"))
    base = {key(r): r for r in by["est4"]}
    datasets = sorted({r["dataset"] for r in rows})
    parts, gain, full = [], [], []
    for st in (s for s in by if s != "est4"):
        mine = [r for r in by[st] if key(r) in base]
        theirs = [base[key(r)] for r in mine]
        stat = {name: [_mean(r[col] for r in side) for side in (theirs, mine)]
                for name, col in (("cos", "cos"), ("defects", "census_defects"), ("walls", "census_walls"))}
        conv = [sum(r["cos"] >= COS_TARGET for r in side) for side in (theirs, mine)]
        parts.append(f"{st} on {len(mine)} fits: " + " / ".join(
            f"{a:.3f} → {b:.3f}" if name == "cos" else f"{a:.2f} → {b:.2f}" for name, (a, b) in stat.items())
            + f" / {conv[0]} → {conv[1]}")
        if stat["cos"][1] - stat["cos"][0] >= 0.05:
            gain.append(st)
            if stat["defects"][1] < stat["defects"][0] and conv[1] >= converged_needed:
                full.append(st)
    measured = (f"N = {rows[0]['dim']}, {', '.join(datasets)}; each setting against est4 on the same "
                f"(dataset, seed) pairs, mean cos / defects / walls per fit / fits ≥ {COS_TARGET}: " + "; ".join(parts))
    verdict = "confirmed" if full else "partly" if gain else "refuted"
    return measured, verdict, _commits(rows)


finding("C19", "Domain walls stay because nothing pushes them (a wall costs the same wherever it sits): noise on "
        "the generator (`generator_noise`: 0.3, 1 or 3 Adam steps of Gaussian noise after every step) sets them "
        "moving and raises convergence.",
        ["lab/generator_noise/runs.jsonl"], lambda p: _lab_remedy(p, converged_needed=3),
        "confirmed if some level raises the mean cos by at least 0.05 over est4 with fewer defects and at least 3 "
        "fits ≥ 0.95; partly if some level raises the mean cos by at least 0.05")
finding("C20", "The walls form because the filter's noise (eq. 20) dies just as the chain orients: keeping it "
        "longer (`noise_decay_epochs` 10 or 30 instead of 2) leaves fewer defects and raises convergence.",
        ["lab/filter_noise/runs.jsonl"], _lab_remedy,
        "confirmed if a setting raises the mean cos by at least 0.05 over est4 with fewer defects; partly if one "
        "raises the mean cos by at least 0.05")
finding("C21", "A slower passage of τ through the band where the chain orients (Kibble–Zurek: `tau_dwell` 3 on "
        "τ ∈ (0, 0.2) or (0.05, 0.3)) forms fewer defects and raises convergence.",
        ["lab/kibble_zurek/runs.jsonl"], _lab_remedy,
        "confirmed if a setting raises the mean cos by at least 0.05 over est4 with fewer defects; partly if one "
        "raises the mean cos by at least 0.05")

finding("C22", "The walls form because every power of the lift trains every link from the first step, so far "
        "links orient on their own: growing the chain from the filter (`reach_tau` 0.25 or 0.5: the generator "
        "learns only through the nearest powers at first) leaves fewer defects and raises convergence.",
        ["lab/reach/runs.jsonl"], _lab_remedy,
        "confirmed if a setting raises the mean cos by at least 0.05 over est4 with fewer defects; partly if one "
        "raises the mean cos by at least 0.05")

finding("C23", "A slower passage still through the band where the chain orients (`tau_dwell` 6 or 10 on "
        "τ ∈ (0, 0.2), beside C21's 3) leaves fewer defects and raises convergence further.",
        ["lab/kibble_zurek_slower/runs.jsonl"], _lab_remedy,
        "confirmed if a setting raises the mean cos by at least 0.05 over est4 with fewer defects; partly if one "
        "raises the mean cos by at least 0.05")

finding("C24", "The uniformity term (eq. 8), which compares lifted components at any distance, is the "
        "long-range pull that removes walls: doubling its weight β leaves fewer defects and raises convergence "
        "(and halving it does the opposite).",
        ["lab/uniformity_weight/runs.jsonl"], _lab_remedy,
        "confirmed if a setting raises the mean cos by at least 0.05 over est4 with fewer defects; partly if one "
        "raises the mean cos by at least 0.05")

finding("C25", "The information term (eqs. 14-17), the joint entropy of the whole lift, is the long-range "
        "pull that removes walls: doubling its weight δ leaves fewer defects and raises convergence.",
        ["lab/information_weight/runs.jsonl"], _lab_remedy,
        "confirmed if the setting raises the mean cos by at least 0.05 over est4 with fewer defects; partly if it "
        "raises the mean cos by at least 0.05")

finding("C26", "Frozen walls are a visiting order stuck in a local optimum (the lift still visits every pixel, "
        "in runs joined by jumps and reversals): re-ordering the chain's pixels once by the neighbours' mutual "
        "information on the data (`seriate_tau` 0.8 or 0.6, 2-opt and or-opt moves) leaves fewer defects and "
        "raises convergence.",
        ["lab/seriation/runs.jsonl"], _lab_remedy,
        "confirmed if a setting raises the mean cos by at least 0.05 over est4 with fewer defects; partly if one "
        "raises the mean cos by at least 0.05")

def _legendre_width(sign_path, ref_path):
    rows = _jsonl(sign_path)
    ref = {r["seed"]: r["cos"] for r in _jsonl(ref_path)
           if r["setting"] == "est4" and r["dataset"] == "gaussian-translation" and r["dim"] == rows[0]["dim"]}
    by = {st: {r["seed"]: r["cos"] for r in rs} for st, rs in _by_setting(rows).items()}
    seeds = sorted(set(ref).intersection(*map(set, by.values())))
    m = {st: _mean(c[k] for k in seeds) for st, c in by.items()}
    m_ref = _mean(ref[k] for k in seeds)
    sign_refuted = m["est4-l11"] - m["est4"] < 0.05
    width_confirmed = m_ref - m["est4-wide"] >= 0.1
    measured = (f"N = {rows[0]['dim']}, est4, seeds {seeds[0]}-{seeds[-1]}: legendre-translation {m['est4']:.3f}, "
                f"one sign per bump {m['est4-l11']:.3f}, Gaussian bumps as wide as the Legendre ones "
                f"{m['est4-wide']:.3f}, the Table 1 Gaussians {m_ref:.3f}")
    verdict = "confirmed" if sign_refuted and width_confirmed else "partly" if sign_refuted or width_confirmed else "refuted"
    return measured, verdict, _commits(rows + _jsonl(ref_path))


finding("C27", "The Legendre datasets fail because their bumps are wide, not because they change sign: one sign "
        "per bump converges no better, and Gaussian bumps as wide fail as badly.",
        ["lab/legendre_sign/runs.jsonl", "lab/seriation/runs.jsonl"], _legendre_width,
        "confirmed if one sign per bump gains less than 0.05 over legendre-translation and the wide Gaussians "
        "are at least 0.1 below the Table 1 Gaussians (same seeds); partly if one of the two holds")


def _final_cos(run_dir):
    return json.loads((run_dir / "metrics.json").read_text())["metrics"]["cosine_similarity"]


def _whitening(lab_path, n33_root, defaults_root):
    rows = _jsonl(lab_path)
    lab = {st: {r["seed"]: r["cos"] for r in rs if r["dataset"] == "legendre-translation"}
           for st, rs in _by_setting(rows).items()}
    seeds = sorted(set(lab["ser08"]) & set(lab["ser08-white"]))
    gain21 = _mean(lab["ser08-white"][k] - lab["ser08"][k] for k in seeds)
    pairs = [(d.parent.name, d.name, _final_cos(d), _final_cos(defaults_root / d.parent.name / d.name))
             for d in sorted(n33_root.glob("*/seed*")) if (d / "metrics.json").exists()
             and (defaults_root / d.parent.name / d.name / "metrics.json").exists()]
    measured = (f"N = {rows[0]['dim']}, legendre-translation, seeds {seeds[0]}-{seeds[-1]}: "
                f"{_mean(lab['ser08'][k] for k in seeds):.3f} → {_mean(lab['ser08-white'][k] for k in seeds):.3f}")
    commits = {str(r["provenance"]["git"]) for r in rows}
    gain33 = None
    if pairs:
        gain33 = _mean(b - a for *_, b, a in pairs)
        measured += (f"; N = 33, the defaults against the defaults + `whiten` 0.1 on {len(pairs)} Legendre fits: "
                     f"{_mean(a for *_, a in pairs):.3f} → {_mean(b for *_, b, _ in pairs):.3f}, "
                     f"{sum(b >= COS_TARGET for *_, b, _ in pairs)} of {len(pairs)} ≥ {COS_TARGET} ("
                     + ", ".join(f"{ds} {sd} {a:.3f} → {b:.3f}" for ds, sd, b, a in pairs) + ")")
        commits |= {json.loads((n33_root / ds / sd / "metrics.json").read_text())["provenance"]["git"]
                    for ds, sd, *_ in pairs}
    verdict = ("confirmed" if gain21 >= 0.05 and gain33 is not None and gain33 >= 0.05 else
               "partly" if gain21 >= 0.05 or (gain33 or 0) >= 0.05 else "refuted")
    return measured, verdict, f" (git {', '.join(sorted(commits))})"


finding("C28", "Partial whitening before the fit (`whiten` 0.1: x → (C + 0.1·mean eig C·I)^(-1/2) x, basis-neutral) "
        "lifts the Legendre fits, whose wide bumps leave many covariance directions near zero.",
        ["lab/whiten_seriation/runs.jsonl", "cpu/whiten", "cpu/03_accuracy/runs-symlens"],
        _whitening,
        "confirmed if the paired mean cos rises by at least 0.05 at N = 21 and on the N = 33 Legendre fits; partly "
        "if at one of the two")

def _legendre_steps(short_path, long_path):
    short = [r for r in _jsonl(short_path) if r["setting"] == "est4" and r["dataset"] == "legendre-translation"]
    long = [r for r in _jsonl(long_path) if r["setting"] == "est4"]
    by = {}
    for r in short + long:
        by.setdefault(r["steps"], {})[r["seed"]] = r
    seeds = sorted(set.intersection(*(set(v) for v in by.values())))
    lengths = sorted(by)
    means = [_mean(by[n][k]["cos"] for k in seeds) for n in lengths]
    complete = [sum(by[n][k]["census_defects"] <= 1 for k in seeds) for n in lengths]
    measured = (f"N = {long[0]['dim']}, legendre-translation, est4, seeds {seeds[0]}-{seeds[-1]}: mean cos "
                + " / ".join(f"{m:.3f}" for m in means) + " at " + " / ".join(f"{n}" for n in lengths)
                + " steps; chains with at most one defect " + " / ".join(map(str, complete)))
    rises = means[-1] - means[0] >= 0.15
    monotone = all(b >= a for a, b in zip(means, means[1:]))
    verdict = "confirmed" if rises and monotone else "partly" if rises else "refuted"
    return measured, verdict, _commits(short + long)


finding("C29", "The Legendre chains are slow, not stuck (N = 21): given more steps they form, completely.",
        ["lab/legendre_sign/runs.jsonl", "lab/legendre_steps/runs.jsonl"], _legendre_steps,
        "confirmed if the mean cos over the same seeds rises by at least 0.15 from the shortest schedule to the "
        "longest and never falls with length; partly if it rises by 0.15 but not at every length")


def _paired_runs(new_root, base_root):
    """(dataset, seed dir, base cos, new cos) for every saved run under ``new_root`` with a partner
    under ``base_root``, and the new runs' commits as an evidence suffix."""
    pairs = [(d.parent.name, d.name, _final_cos(base_root / d.parent.name / d.name), _final_cos(d))
             for d in sorted(new_root.glob("*/seed*")) if (d / "metrics.json").exists()
             and (base_root / d.parent.name / d.name / "metrics.json").exists()]
    commits = {json.loads((new_root / ds / sd / "metrics.json").read_text())["provenance"]["git"] for ds, sd, *_ in pairs}
    return pairs, f" (git {', '.join(sorted(commits))})"


def _paired(label, also=None, bar=0.1, partly_bar=0.05):
    """A measure for two roots of saved N = 33 runs (new, base): the paired final cos on the
    training sets both hold.  Confirmed needs a paired gain of at least ``bar`` and ``also(pairs)``
    (default: a fit reaching the target); partly a gain of at least ``partly_bar``."""
    def measure(new_root, base_root):
        pairs, commits = _paired_runs(new_root, base_root)
        gain = _mean(b - a for *_, a, b in pairs)
        hits = sum(b >= COS_TARGET for *_, b in pairs)
        measured = (f"N = 33, {label} on {len(pairs)} training sets: {_mean(a for *_, a, _ in pairs):.3f} → "
                    f"{_mean(b for *_, b in pairs):.3f} (paired {gain:+.3f}; "
                    + ", ".join(f"{ds} {sd} {a:.3f} → {b:.3f}" for ds, sd, a, b in pairs) + f"); {hits} ≥ {COS_TARGET}")
        ok = hits > 0 if also is None else also(pairs)
        verdict = "confirmed" if gain >= bar and ok else "partly" if gain >= partly_bar else "refuted"
        return measured, verdict, commits
    return measure


finding("C30", "At N = 33 the rest of the 15-minute budget, spent on steps (12 000 instead of 6 000, about 12-13 "
        "minutes on two idle cores), rescues fits the defaults fail.",
        ["fast/defaults", "cpu/03_accuracy/runs-symlens"],
        _paired("the defaults with 12 000 against 6 000 steps, where the 6 000-step defaults failed"),
        f"confirmed if the paired mean cos rises by at least 0.1 and a fit reaches {COS_TARGET}; partly if it rises "
        "by at least 0.05")


def _legendre_size(small_path, size_path):
    steps = 12000
    rows = [r for r in _jsonl(small_path) + _jsonl(size_path)
            if r["setting"] == "est4" and r["dataset"] == "legendre-translation" and r["steps"] == steps]
    by = {}
    for r in rows:
        by.setdefault(r["dim"], []).append(r)
    parts, picks, complete = [], [], {}
    for n, fits in sorted(by.items()):
        complete[n] = sum(r["census_defects"] <= 1 for r in fits)
        formed = sum(r["census_defects"] <= 5 for r in fits)
        kept = min(fits, key=lambda r: r["held_out_total"])
        picks.append(kept["cos"] >= max(r["cos"] for r in fits) - 0.01)
        parts.append(f"N = {n}: mean cos {_mean(r['cos'] for r in fits):.3f} over {len(fits)} seeds, {complete[n]} "
                     f"complete chains (≤ 1 defect), {formed} formed (≤ 5 defects); the lowest held-out loss keeps "
                     f"{kept['cos']:.3f}")
    top = max(by)
    mean_top = _mean(r["cos"] for r in by[top])
    measured = (f"legendre-translation, est4, {steps} steps: " + "; ".join(parts)
                + f"; the kept fit is within 0.01 of the group's best at {sum(picks)} of {len(picks)} sizes")
    verdict = ("confirmed" if mean_top <= 0.55 and complete[top] <= 1 else
               "refuted" if mean_top >= 0.65 and complete[top] >= 2 else "partly")
    return measured, verdict, _commits(rows)


finding("C31", "With the N = 21 laboratory set-up unchanged (est4, 12 000 steps), the Legendre chains stop forming "
        "as N grows to 33.",
        ["lab/legendre_steps/runs.jsonl", "lab/legendre_size/runs.jsonl"], _legendre_size,
        "confirmed if at the largest N the mean cos is at most 0.55 with at most one complete chain; refuted if it is "
        "at least 0.65 with at least two; partly otherwise (prediction written before the runs)")

finding("C32", "At N = 33 a training set twice as large (80 batches instead of the profiles' 40) lets the defaults "
        "with 12 000 steps form the chains they fail to form.",
        ["fast/n_batches80", "fast/defaults"],
        _paired("the defaults at `fast` with 80 against 40 training batches",
                also=lambda pairs: any(ds == "legendre-translation" and sd == "seed0" and b >= 0.7
                                       for ds, sd, _, b in pairs)),
        "confirmed if the paired mean cos rises by at least 0.1 and legendre-translation 0 reaches 0.7; partly if it "
        "rises by at least 0.05 (prediction written before the runs)")

def _best_of_two(root):
    records = [r for _, r in saved_best_of(root)]
    st = selection_statistics(records, target=COS_TARGET)
    gain, right, split = st["kept_mean"] - st["candidates_mean"], st["right"], st["split"]
    measured = (f"`cpu` defaults, best of {records[0]['k']} with two fits at a time, {len(records)} training sets "
                f"({len({r['dataset'] for r in records})} datasets): kept mean cos {st['kept_mean']:.3f} against "
                f"{st['candidates_mean']:.3f} for the candidates one by one; the loss kept the better candidate in "
                f"{right} of the {split} sets whose two differ by more than 0.1; {st['met']} kept fits ≥ {COS_TARGET} "
                f"within 15 minutes (wall {min(r['wall_s'] for r in records):.0f}-{max(r['wall_s'] for r in records):.0f} s "
                "for the whole call)")
    verdict = ("refuted" if gain <= 0 or right < split / 2 else
               "confirmed" if gain >= 0.03 and right >= 2 * split / 3 else "partly")
    return measured, verdict, _commits(records)


finding("C33", "At N = 33 the held-out loss keeps the better of two restarts, so best of two, which fits the "
        "15-minute budget on the two cores, lifts what a fit keeps.",
        ["cpu/best_of/n33-k2"], _best_of_two,
        "confirmed if the kept mean cos is at least 0.03 above the candidates' mean and the loss keeps the better "
        "candidate in at least two thirds of the sets whose candidates differ by more than 0.1; refuted if the kept "
        "mean is not above the candidates' mean or the loss keeps the worse in more than half of those sets; partly "
        "otherwise (prediction written before the runs)")

def _polish(path):
    every = _jsonl(path)
    runs = [r for r in every if r["lr_scale"] == 1.0]
    gain = [r["after"]["cos"] - r["before"]["cos"] for r in runs]
    up = sum(g > 0 for g in gain)
    others = sorted({r["lr_scale"] for r in every} - {1.0})
    measured = (f"{len(runs)} best-of-two candidates at N = 33 (`cpu`, seed 2 of five datasets), {runs[0]['steps']} "
                f"steps more at τ = 1 with the final rates: mean cos {_mean(r['before']['cos'] for r in runs):.3f} → "
                f"{_mean(r['after']['cos'] for r in runs):.3f} (paired {_mean(gain):+.3f}), up on {up} of {len(runs)}, "
                f"largest gain {max(gain):+.3f}, ≥ 0.95 {sum(r['before']['cos'] >= COS_TARGET for r in runs)} → "
                f"{sum(r['after']['cos'] >= COS_TARGET for r in runs)}; held-out loss lower after on "
                f"{sum(r['after']['held_out_loss'] < r['before']['held_out_loss'] for r in runs)}")
    for m in others:
        arm = [r for r in every if r["lr_scale"] == m]
        measured += (f"; at {m:g}× the final rates paired "
                     f"{_mean(r['after']['cos'] - r['before']['cos'] for r in arm):+.3f}")
    verdict = ("refuted" if _mean(gain) < 0.01 or max(gain) <= 0.03 else
               "confirmed" if up >= 0.7 * len(runs) else "partly")
    return measured, verdict, _commits(runs)


finding("C34", "The compressed schedule stops while the chain still sharpens: continuing a finished `cpu` fit at "
        "τ = 1 (`polish_steps`) raises its cos.",
        ["lab/polish/runs.jsonl"], _polish,
        "confirmed if, at the final rates, the mean paired gain is at least +0.01, some candidate gains more than "
        "0.03 and cos rises on at least 7 of 10; refuted if the mean gain is below +0.01 or no candidate gains "
        "more than 0.03; partly otherwise (prediction written before the runs)")

def _early_selection(root, best_of_root):
    saved = saved_early_selection(root, best_of_root)

    def at(rec, step):
        return {c["seed"]: next(p["loss_now"] for p in c["points"] if p["step"] == step) for c in rec["candidates"]}

    hits, two, early = {2000: 0, 2500: 0}, [], []
    for rec, fin in saved:
        best = max(fin, key=lambda s: fin[s]["cos"])
        for step in hits:
            scores = at(rec, step)
            hits[step] += best in sorted(scores, key=scores.get)[:2]
        b = rec["base_seed"]
        two.append(fin[min((b, b + 1), key=lambda s: fin[s]["loss"])]["cos"])
        early.append(fin[early_choice(at(rec, 2500), {s: f["loss"] for s, f in fin.items()}, 2)]["cos"])
    n = len(saved)
    new = sum(e >= COS_TARGET > t for e, t in zip(early, two))
    gain = _mean(early) - _mean(two)
    measured = (f"{n} N = 33 training sets where best of two missed 0.95 (`cpu` defaults), four candidates each: "
                f"the held-out loss at the current τ put the best final candidate among its two lowest in "
                f"{hits[2000]} of {n} sets at step 2 000 and {hits[2500]} of {n} at 2 500; 4 → 2 at step 2 500 kept "
                f"mean cos {_mean(early):.3f} against {_mean(two):.3f} for best of two ({gain:+.3f}), "
                f"{new} set(s) newly ≥ {COS_TARGET}")
    top = max(hits.values())
    verdict = ("refuted" if top <= n / 2 or gain <= 0 else
               "confirmed" if top >= 0.75 * n and gain >= 0.03 and new >= 1 else "partly")
    return measured, verdict, _commits([rec for rec, _ in saved])


finding("C35", "Restarts can be chosen before they finish: at τ ≈ 0.6–0.7 the held-out loss already ranks "
        "N = 33 candidates as their final cos does, so four can be started and two finished (early selection).",
        ["lab/early_selection", "cpu/best_of/n33-k2"], _early_selection,
        "confirmed if at step 2 000 or 2 500 the loss puts the best final candidate among its two lowest in at "
        "least three quarters of the sets and 4 → 2 at 2 500 lifts the mean kept cos by at least 0.03 over best of "
        "two with at least one set newly ≥ 0.95; refuted if that ranking is no better than a random pick of two "
        "(half the sets) or the lift is not positive; partly otherwise (prediction written before the runs)")

def _snap(table, prov):
    import csv

    rows = list(csv.DictReader(open(table)))
    code = json.loads(prov.read_text())["code"]

    def complete(chain):  # one direction everywhere inside the window (the two end links aside)
        inner = chain[1:-1]
        return set(inner) <= set("+-") and len(set(inner)) == 1

    cos = np.array([float(r["cos"]) for r in rows])
    snapped = np.array([float(r["cos_snap"]) for r in rows])
    whole = np.array([complete(r["chain"]) for r in rows])
    near = (cos >= 0.85) & (cos < COS_TARGET)
    gain = snapped[whole] - cos[whole]
    crossed = int((snapped[near] >= COS_TARGET).sum())
    measured = (f"{len(rows)} saved N = 33 fits of the `cpu` defaults, G replaced by the exact chain through the "
                f"polar factor of its own lift rows (`symlens.seriation.snap`): mean change in cos "
                f"{np.mean(snapped - cos):+.3f}, ≥ {COS_TARGET} {int((cos >= COS_TARGET).sum())} → "
                f"{int((snapped >= COS_TARGET).sum())}; on the {int(whole.sum())} complete chains {gain.mean():+.3f} "
                f"(up on {int((gain > 0).sum())}); {crossed} of the {int(near.sum())} fits between 0.85 and 0.95 cross")
    verdict = ("refuted" if gain.mean() < 0.01 or crossed == 0 else
               "confirmed" if gain.mean() >= 0.03 and (gain > 0).mean() >= 0.8 and crossed >= 3 else "partly")
    return measured, verdict, f" (git {code})"


finding("C36", "The N = 33 fits just short of 0.95 are the right chain seen through a blur: replacing G at the end by "
        "the exact chain through the polar factor of its own lift rows sharpens them past 0.95.",
        ["lab/snap/table.csv", "lab/snap/provenance.json"], _snap,
        "confirmed if on the complete chains the snap raises cos by at least +0.03 on average and on at least 80 % "
        "of them, and at least three fits between 0.85 and 0.95 cross 0.95; refuted if the mean gain on complete "
        "chains is below +0.01 or no fit crosses; partly otherwise (prediction written before the snap was computed)")


def _early_legendre(root, best_of_root):
    pairs = []
    for _, rec in saved_best_of(root):
        other = best_of_record(best_of_root, rec["dataset"], rec["base_seed"])
        if rec["dataset"].startswith("legendre") and other is not None:
            pairs.append((rec, other))
    kept = np.array([r["cos"] for r, _ in pairs])
    two = np.array([b["cos"] for _, b in pairs])
    held = int((kept >= two - 0.01).sum())
    walls = [r["wall_s"] for r, _ in pairs]
    measured = (f"{len(pairs)} Legendre training sets at N = 33, `fit_best_of(k=4, select_at=3500, keep=1, n_jobs=2)` "
                f"end to end: kept mean cos {kept.mean():.3f} against {two.mean():.3f} for best of two on the same sets, "
                f"at least best of two's fit (less 0.01) in {held} of {len(pairs)}, ≥ {COS_TARGET} in "
                f"{int((kept >= COS_TARGET).sum())}; {min(walls):.0f}–{max(walls):.0f} s a call")
    verdict = ("confirmed" if held >= 5 / 6 * len(pairs) and kept.mean() >= two.mean() + 0.03 else
               "refuted" if held < 5 / 6 * len(pairs) and kept.mean() <= two.mean() else "partly")
    return measured, verdict, _commits([r for r, _ in pairs])


finding("C37", "Keeping one of four candidates right after the seriation (step 3 500) does at least as well as best "
        "of two on the Legendre datasets too, within the 15-minute budget.",
        ["cpu/best_of/n33-early", "cpu/best_of/n33-k2"], _early_legendre,
        "confirmed if the kept fit is at least best of two's (less 0.01) in at least five sixths of the sets and the "
        "mean kept cos is at least 0.03 above best of two's; refuted if fewer sets hold and the mean is not above "
        "best of two's; partly otherwise (prediction written before the runs)")

ENTROPY_STUDIES = ("resolution_weight", "resolution_ramp", "information_weight_legendre", "entropy_ratio")


def _entropy_weights(*paths):
    """Each arm against the published weights (resolution_weight's ser08 fits) on the (dataset,
    seed) pairs both ran, seeds 0-3 and, where an arm ran them, seeds 4-7 apart."""
    rows = [r for p in paths for r in _jsonl(p)]
    key = lambda r: (r["dataset"], r["seed"])
    base = {key(r): r for r in _jsonl(paths[0]) if r["setting"] == "ser08"}
    parts, levers, holds = [], [], []
    for st in dict.fromkeys(r["setting"] for r in rows if r["setting"] != "ser08"):
        gains = {}
        for seeds, label in (((0, 1, 2, 3), "seeds 0-3"), ((4, 5, 6, 7), "seeds 4-7")):
            mine = [r for r in rows if r["setting"] == st and r["seed"] in seeds and key(r) in base]
            if mine:
                a, b = _mean(base[key(r)]["cos"] for r in mine), _mean(r["cos"] for r in mine)
                gains[label] = b - a
                parts.append(f"{st}, {label} ({len(mine)} fits): {a:.3f} → {b:.3f}")
        if gains.get("seeds 0-3", 0) >= 0.08 and all(g >= 0.05 for g in gains.values()):
            levers.append(st)
        if all(g >= 0.05 for g in gains.values()):
            holds.append(st)
    measured = (f"N = {rows[0]['dim']}, legendre-translation and legendre-dst, ser08 set-up, 3 000 steps; mean cos of "
                f"the published weights (γ 1.5, δ 1) → the arm on the same (dataset, seed) pairs: " + "; ".join(parts))
    verdict = "confirmed" if levers else "partly" if holds else "refuted"
    return measured, verdict, _commits(rows)


finding("C38", "The Legendre chains are held back by the balance of the two entropy terms of eq. 13 (γ on the mean "
        "marginal entropy, γ + δ on the low-rank joint entropy): halving or doubling γ or δ, or a γ that grows "
        "with τ (`gamma_start`), raises their mean cos at N = 21.",
        [f"lab/{st}/runs.jsonl" for st in ENTROPY_STUDIES], _entropy_weights,
        "confirmed if some arm raises the mean cos over the published weights by at least 0.08 on seeds 0-3 and by "
        "at least 0.05 on seeds 4-7 where it ran them; partly if some arm gains at least 0.05 on every seed set it "
        "ran; refuted otherwise (predictions written before each study's runs)")


def _gamma_n33(new_root, base_root):
    pairs, commits = _paired_runs(new_root, base_root)
    chain = [(a, b) for ds, _, a, b in pairs if not ds.endswith("dst")]
    dst = [(a, b) for ds, _, a, b in pairs if ds.endswith("dst")]
    gain, gain_dst = _mean(b - a for a, b in chain), _mean(b - a for a, b in dst)
    measured = (f"N = 33, the `cpu` defaults with γ = 0.75 against the defaults on {len(pairs)} Legendre training sets: "
                f"translation and permuted {_mean(a for a, _ in chain):.3f} → {_mean(b for _, b in chain):.3f} "
                f"(paired {gain:+.3f}), dst {_mean(a for a, _ in dst):.3f} → {_mean(b for _, b in dst):.3f} "
                f"(paired {gain_dst:+.3f}); " + ", ".join(f"{ds} {sd} {a:.3f} → {b:.3f}" for ds, sd, a, b in pairs)
                + f"; {sum(b >= COS_TARGET for *_, b in pairs)} ≥ {COS_TARGET}")
    verdict = ("confirmed" if gain >= 0.1 and abs(gain_dst) <= 0.1 else "refuted" if gain < 0.05 else "partly")
    return measured, verdict, commits


finding("C39", "Halving the resolution weight (γ = 0.75), which formed more legendre-translation chains at N = 21, "
        "raises the N = 33 Legendre fits of the translation and permuted datasets and leaves legendre-dst as it is.",
        ["cpu/gamma075", "cpu/03_accuracy/runs-symlens"], _gamma_n33,
        "confirmed if the four translation and permuted fits gain at least +0.10 paired and the two dst fits change by "
        "at most 0.10; refuted if the four gain less than +0.05; partly otherwise (prediction written before the runs)")


def _against_ser08(path, base_path, change, seed_sets=None, dim=None):
    """Each setting of a study against the ser08 fits of ``resolution_weight`` on the (dataset,
    seed) pairs both ran: mean cos and defects.  ``seed_sets``: ((seeds, label), ...) compares each
    seed set apart; ``dim``: only the study's fits of that N.  Returns (measured, {setting, or
    (setting, label) with seed sets: (gain, fewer defects)}, commits)."""
    rows = [r for r in _jsonl(path) if dim is None or r["dim"] == dim]
    key = lambda r: (r["dataset"], r["seed"])
    base = {key(r): r for r in _jsonl(base_path) if r["setting"] == "ser08"}
    parts, gains = [], {}
    for st, fits in _by_setting(rows).items():
        for seeds, label in seed_sets or ((None, None),):
            mine = [r for r in fits if (seeds is None or r["seed"] in seeds) and key(r) in base]
            if not mine:
                continue
            a, b = _mean(base[key(r)]["cos"] for r in mine), _mean(r["cos"] for r in mine)
            da, db = _mean(base[key(r)]["census_defects"] for r in mine), _mean(r["census_defects"] for r in mine)
            gains[st if label is None else (st, label)] = (b - a, db < da)
            fits_text = f"{st} on {len(mine)} fits" if label is None else f"{st}, {label} ({len(mine)} fits)"
            parts.append(f"{fits_text}: mean cos {a:.3f} → {b:.3f}, defects {da:.2f} → {db:.2f}")
    measured = (f"N = {rows[0]['dim']}, legendre-translation and legendre-dst, ser08 set-up, {change}, same "
                "(dataset, seed) pairs: " + "; ".join(parts))
    return measured, gains, _commits(rows)


def _lever(path, base_path, change):
    measured, gains, commits = _against_ser08(path, base_path, change)
    verdict = ("confirmed" if any(g >= 0.08 and fewer for g, fewer in gains.values()) else
               "partly" if any(g >= 0.05 for g, _ in gains.values()) else "refuted")
    return measured, verdict, commits


finding("C40", "The Legendre filter is held by its mobility: a learning rate of its own (`filter_lr_scale` 3 or 0.3 "
        "times the model's) frees it and raises the mean cos at N = 21.",
        ["lab/filter_rate/runs.jsonl", "lab/resolution_weight/runs.jsonl"],
        lambda p, b: _lever(p, b, "one rate for A and ψ → the filter's rate × the scale"),
        "confirmed if a scale raises the mean cos by at least 0.08 with fewer defects; partly if one raises it by at "
        "least 0.05; refuted otherwise (prediction written before the runs: neither gains 0.08)")

def _sharpness(path):
    rows = [dict(r, **{k: float(r[k]) for k in ("cos", "cos_true_order", "sharpness")})
            for r in csv.DictReader(open(path))]
    leg = [r for r in rows if r["dataset"].startswith("legendre")]
    a, b = _mean(r["cos"] for r in leg), _mean(r["cos_true_order"] for r in leg)
    r_all = np.corrcoef([r["sharpness"] for r in rows], [r["cos"] for r in rows])[0, 1]
    failing = [r["sharpness"] for r in rows if r["cos"] < COS_TARGET]
    measured = (f"{len(rows)} saved N = 33 fits of the defaults, offline: the {len(leg)} Legendre fits' pixel estimates "
                f"put in the true order (a diagnostic that reads the hidden basis) score {a:.3f} → {b:.3f}; the "
                f"sharpness of the estimates (mean largest entry in the hidden basis) correlates with cos at {r_all:.2f} "
                f"and is {min(failing):.2f}-{max(failing):.2f} on the fits below {COS_TARGET}")
    verdict = "confirmed" if b - a >= 0.1 else "refuted" if b - a <= 0 else "partly"
    code = json.loads((Path(path).parent / "provenance.json").read_text())["code"]
    return measured, verdict, _commits([{"git": code}])


finding("C41", "The failing N = 33 fits fail by their chain's order (walls, jumps, reversals): their lift still "
        "visits sharp pixels, so the right order recovers them.",
        ["lab/lift_sharpness/table.csv"], _sharpness,
        "confirmed if the true order raises the Legendre fits' mean cos by at least 0.1; refuted if it does not raise "
        "it; partly otherwise")


def _oracle(path, base_path):
    rows, key = _jsonl(path), (lambda r: (r["dataset"], r["seed"]))
    base = {key(r): r for r in _jsonl(base_path) if r["setting"] == "ser08"}
    by = _by_setting(rows)
    parts = [f"{st} on {len(fits)} fits (seeds {min(r['seed'] for r in fits)}-{max(r['seed'] for r in fits)}): "
             f"{_mean(base[key(r)]['cos'] for r in fits):.3f} from zero → {_mean(r['cos'] for r in fits):.3f}"
             for st, fits in by.items()]
    frozen = _mean(r["cos"] for r in by["oracle-frozen"])
    measured = (f"N = {rows[0]['dim']}, legendre-translation and legendre-dst, ser08 set-up, ψ started at the hidden "
                "middle pixel (a diagnostic that reads the hidden basis) against ψ from zero on the same "
                "(dataset, seed) pairs: " + "; ".join(parts))
    verdict = "confirmed" if frozen >= 0.8 else "refuted" if frozen < 0.65 else "partly"
    return measured, verdict, _commits(rows)


finding("C42", "On Legendre data the filter is what fails (mechanism 2): with ψ started at the true delta and held "
        "there, the generator's chain forms.",
        ["lab/oracle_filter/runs.jsonl", "lab/resolution_weight/runs.jsonl"], _oracle,
        "confirmed if the held filter's fits reach a mean cos of 0.80; refuted if they stay below 0.65; partly "
        "otherwise (prediction written before the runs)")

finding("C43", "A term that asks the lift to be orthogonal (`orthogonality`: w ‖K Kᵀ − I‖²_F / N added to the loss) "
        "sharpens the blurred Legendre chains and raises their mean cos at N = 21.",
        ["lab/orthogonality/runs.jsonl", "lab/resolution_weight/runs.jsonl"],
        lambda p, b: _lever(p, b, "no orthogonality term → weight w"),
        "confirmed if a weight raises the mean cos by at least 0.08 with fewer defects; partly if one raises it by "
        "at least 0.05; refuted otherwise (prediction written before the runs)")


def _training_set(path, base_path):
    measured, gains, commits = _against_ser08(path, base_path, "80 training batches → n_batches")
    up, down = gains["ser08-nb320"][0], gains["ser08-nb20"][0]
    verdict = "confirmed" if up >= 0.08 and down <= -0.08 else "refuted" if up < 0.08 else "partly"
    return measured, verdict, commits


finding("C44", "The Legendre chains are limited by the size of the training set: four times the data raises their "
        "mean cos at N = 21 and a quarter lowers it.",
        ["lab/training_set_size/runs.jsonl", "lab/resolution_weight/runs.jsonl"], _training_set,
        "confirmed if 320 batches gains at least 0.08 and 20 batches loses at least 0.08; refuted if 320 batches "
        "gains less than 0.08; partly otherwise (prediction written before the runs)")

def _kz_legendre(path, base_path):
    # the baseline is N = 21; the study's N = 27 and 33 fits carry their own ser08 arm (book, convergence page)
    measured, gains, commits = _against_ser08(
        path, base_path, "3 000 steps, the faithful clock → τ three times slower across the band",
        seed_sets=(((0, 1, 2, 3), "seeds 0-3"), ((4, 5, 6, 7), "seeds 4-7")), dim=21)
    first = [st for (st, lab), (g, fewer) in gains.items() if lab == "seeds 0-3" and g >= 0.08 and fewer]
    held = [st for st in first if gains.get((st, "seeds 4-7"), (0.0, False))[0] >= 0.05]
    verdict = "confirmed" if held else "partly" if first else "refuted"
    return measured, verdict, commits


finding("C45", "On Legendre data the chain's blur forms in the ordering phase: lingering three times as long in "
        "τ ∈ [0, 0.2] (`tau_dwell` 3, `tau_dwell_band` (0, 0.2)) raises the mean cos at N = 21; lingering in [0.2, 0.6] "
        "does not.",
        ["lab/kibble_zurek_legendre/runs.jsonl", "lab/resolution_weight/runs.jsonl"], _kz_legendre,
        "confirmed if a band raises the mean cos by at least 0.08 with fewer defects on seeds 0-3 and by at least 0.05 "
        "on seeds 4-7; partly if on seeds 0-3 only; refuted otherwise (predictions written before each set of runs)")


def _kz_n33(new_root, base_root):
    pairs, commits = _paired_runs(new_root, base_root)
    gain = _mean(b - a for *_, a, b in pairs)
    measured = (f"N = 33, the `cpu` defaults with τ three times slower across [0, 0.2] against the defaults on "
                f"{len(pairs)} Legendre training sets: {_mean(a for *_, a, _ in pairs):.3f} → "
                f"{_mean(b for *_, b in pairs):.3f} (paired {gain:+.3f}); "
                + ", ".join(f"{ds} {sd} {a:.3f} → {b:.3f}" for ds, sd, a, b in pairs)
                + f"; {sum(b >= COS_TARGET for *_, b in pairs)} ≥ {COS_TARGET}")
    verdict = "confirmed" if gain >= 0.08 else "refuted" if gain < 0.03 else "partly"
    return measured, verdict, commits


finding("C46", "The slower ordering phase that lifts the Legendre fits at N = 21 lifts them at N = 33 too.",
        ["cpu/kz-legendre", "cpu/03_accuracy/runs-symlens"], _kz_n33,
        "confirmed if the paired mean gain over the six Legendre training sets (seeds 0 and 1) is at least +0.08; "
        "refuted if it is below +0.03; partly otherwise (prediction written before the runs)")


def _snap_end(path):
    singles = [json.loads(f.read_text()) for f in sorted(path.glob("n7/gaussian-permuted/seed*/metrics.json"))]
    snaps = [m["provenance"]["end_snap"] for m in singles]
    before, after = [s["cosine_before"] for s in snaps], [s["cosine_after"] for s in snaps]
    calls = sorted((json.loads(f.read_text()) for f in path.glob("best_of_n7*/seed*.json")),
                   key=lambda c: (c["k"], c["base_seed"]))
    met = [c for c in calls if c["cos"] >= COS_TARGET and c["wall_s"] <= 300]
    by_k = {}
    for c in calls:
        by_k.setdefault(c["k"], []).append(c)
    measured = (f"N = 7, gaussian-permuted, `snap_end` 0.92: {len(singles)} single fits, cos before → after the snap "
                + ", ".join(f"{a:.3f} → {b:.3f}" if s["changed"] else f"{a:.3f} (left)"
                            for a, b, s in zip(before, after, snaps))
                + f", {sum(a >= COS_TARGET for a in before)} → {sum(b >= COS_TARGET for b in after)} ≥ {COS_TARGET}; "
                + "; ".join(f"best of {k}: kept cos " + ", ".join(f"{c['cos']:.3f} ({c['wall_s']:.0f} s)" for c in cs)
                            for k, cs in sorted(by_k.items()))
                + f"; {len(met)} of {len(calls)} calls met the target")
    singles_hold = (all(b >= 0.98 for a, b in zip(before, after) if a >= 0.93)
                    and min(b - a for a, b in zip(before, after)) > -0.08
                    and sum(b >= COS_TARGET for b in after) > sum(a >= COS_TARGET for a in before))
    verdict = ("confirmed" if singles_hold and calls and len(met) == len(calls)
               else "partly" if singles_hold else "refuted")
    return measured, verdict, _commits([m["provenance"] for m in singles] + [c["provenance"] for c in calls])


finding("C47", "Snapping the finished chain through its own pixel estimates (`snap_end` 0.92: both ends leave "
        "through the padding, the blur the polar factor removes is gone) lifts the converged N = 7 fits to 0.98 or "
        "more and so meets the 7-dimensional target on every training set with best of k.",
        ["cpu/snap_end"], _snap_end,
        "confirmed if every single fit at 0.93 or more before the snap ends at 0.98 or more, none loses 0.08, one "
        "more fit reaches 0.95, and every best-of call meets the target; partly if the single fits do; refuted "
        "otherwise (predictions written before each set of runs)")


def _legendre_narrow(new_root, base_root):
    pairs, commits = _paired_runs(new_root, base_root)
    new = [b for *_, b in pairs]
    measured = (f"N = 33, the `cpu` defaults on the Legendre datasets with L ∈ [6, 8] (the old helper's lengths) "
                f"against L ∈ [6, 15] (symlens' guess) on the same seeds, {len(pairs)} fits: "
                f"{_mean(a for *_, a, _ in pairs):.3f} → {_mean(new):.3f}; "
                + ", ".join(f"{ds} {sd} {a:.3f} → {b:.3f}" for ds, sd, a, b in pairs)
                + f"; {sum(b >= COS_TARGET for b in new)} ≥ {COS_TARGET}")
    verdict = ("confirmed" if _mean(new) >= 0.8 and sum(b >= COS_TARGET for b in new) >= 2
               else "refuted" if _mean(new) < 0.7 else "partly")
    return measured, verdict, commits


finding("C48", "The Legendre datasets fail at N = 33 only because of symlens' guess of the bump length (the v1 "
        "value is lost): with the authors' older helper's L ∈ [6, 8] the defaults converge as on the Gaussian "
        "datasets.",
        ["cpu/legendre-narrow", "cpu/03_accuracy/runs-symlens"], _legendre_narrow,
        "confirmed if the mean cos over the six fits is at least 0.80 with two at 0.95 or more; refuted if it is "
        "below 0.70; partly otherwise (prediction written before the runs)")


FAILED_GAUSSIAN = {("gaussian-permuted", "seed0"), ("gaussian-permuted", "seed2"),
                   ("gaussian-translation", "seed1"), ("gaussian-translation", "seed2")}


def _seriation_twice_bar(root, base_root):
    """Each run with two seriations against the same code with one: the run itself where the
    second seriation changed nothing (a seriation left out draws nothing), else the baseline run."""
    pairs, provs = [], []
    for d in sorted(root.glob("*/seed*")):
        prov = json.loads((d / "metrics.json").read_text())["provenance"]
        provs.append(prov)
        second = prov["seriations"][-1]["changed"]
        base = base_root / d.parent.name / d.name
        once = _final_cos(base) if second else _final_cos(d)
        pairs.append((d.parent.name, d.name, once, _final_cos(d), second))
    failed = [p for p in pairs if (p[0], p[1]) in FAILED_GAUSSIAN]
    kept = [p for p in pairs if (p[0], p[1]) not in FAILED_GAUSSIAN]
    gain = _mean(b - a for _, _, a, b, _ in failed)
    show = lambda ps: ", ".join(f"{ds} {sd} {a:.3f} → {b:.3f}" + ("" if ch else " (second left out)")  # noqa: E731
                                for ds, sd, a, b, ch in ps)
    lifted = [p for p in failed if p[2] < COS_TARGET <= p[3]]
    measured = (f"N = 33, the `cpu` defaults with a second seriation at τ = 0.9 (10 % bar) against one, same code: "
                f"the {len(failed)} Gaussian training sets the targets table failed {_mean(a for _, _, a, _, _ in failed):.3f} → "
                f"{_mean(b for _, _, _, b, _ in failed):.3f} (paired {gain:+.3f}; {show(failed)}); "
                f"two it passed: {show(kept)}; {len(lifted)} lifted to {COS_TARGET} by the second seriation")
    held = all(abs(b - a) <= 0.01 for _, _, a, b, _ in kept)
    verdict = ("confirmed" if gain >= 0.1 and lifted and held else "partly" if gain >= 0.05 else "refuted")
    return measured, verdict, _commits(provs)


finding("C49", "A second seriation at τ = 0.9, under the same 10 % bar, mends the N = 33 Gaussian fits that the first "
        "left walled, and leaves the others as they were.",
        ["cpu/seriation-twice-bar", "cpu/seriation-twice-bar-baseline"], _seriation_twice_bar,
        "confirmed if the paired gain over the four failed training sets is at least +0.10, the second seriation lifts "
        "one to 0.95 and the two others move by at most 0.01; partly if the gain is at least +0.05; refuted otherwise "
        "(prediction and its addendum written before the runs they read)")


def _alignment_pull(path):
    rows = json.loads(path.read_text())
    curve = {}
    for r in rows:
        curve.setdefault(r["dataset"], {}).setdefault(r["t"], []).append(r)
    def at(ds, t, key):  # noqa: E306
        return _mean(r[key] for r in curve[ds][t])
    parts, rises, align_drop = [], {}, {}
    for ds, points in sorted(curve.items()):
        ts = sorted(points)
        totals = [at(ds, t, "total") for t in ts]
        rises[ds] = all(b > a for a, b in zip(totals, totals[1:]))
        align_drop[ds] = at(ds, ts[0], "alignment") - at(ds, ts[-1], "alignment")
        noise = max(np.ptp([r["total"] for r in curve[ds][t]]) for t in ts)
        parts.append(f"{ds}: neighbour ρ {-at(ds, ts[0], 'alignment'):.3f} → {-at(ds, ts[-1], 'alignment'):.3f} at "
                     f"sharpness {curve[ds][ts[-1]][0]['sharpness']:.2f}; total "
                     + " → ".join(f"{v:+.2f}" for v in totals)
                     + f" (t = {', '.join(f'{t:g}' for t in ts)}; estimator seeds' spread ≤ {noise:.3f}); marginal "
                     f"entropy {at(ds, ts[0], 'marginal_entropy'):.2f} → {at(ds, ts[1], 'marginal_entropy'):.2f} at "
                     f"t = {ts[1]:g}, {at(ds, ts[-1], 'marginal_entropy'):.2f} at the end")
    measured = (f"N = {rows[0]['N']}, the true pixels rotated by gradient ascent on the alignment (eq. 9) and scored "
                "along the path by the held-out loss at τ = 1, estimators refitted: " + "; ".join(parts))
    leg = [d for d in curve if d.startswith("legendre")]
    gau = [d for d in curve if d.startswith("gaussian")]
    pulled = all(align_drop[d] >= 0.04 for d in leg) and all(align_drop[d] < 0.01 for d in gau)
    verdict = ("refuted" if not all(rises[d] for d in leg) else "confirmed" if pulled and all(rises.values())
               else "partly")
    return measured, verdict, _commits(rows)


finding("C50", "The alignment term alone pulls the true pixels of Legendre data toward blurred estimates (not those "
        "of Gaussian data), but the objective does not follow: along that pull the held-out loss rises, so the "
        "truth is a local minimum and the Legendre blur is the search's, not the objective's.",
        ["lab/alignment_pull/rows.json"], _alignment_pull,
        "confirmed if the neighbour correlation rises by at least 0.04 on Legendre and less than 0.01 on Gaussian "
        "data and the total rises at every step on both; refuted if the total falls anywhere along the Legendre "
        "path; partly otherwise (prediction written before the runs)")


def _lab_arm(arm, bar=0.08, base="ser08", family="legendre", within=None):
    """A measure for one laboratory arm against ``base`` on the (dataset, seed) pairs both ran,
    datasets of one ``family`` only; the base arm is read from the first file that holds it.
    Confirmed needs a paired gain of at least ``bar`` (or, with ``within``, a paired change
    smaller than ``within`` either way); refuted otherwise (predictions written before the runs)."""
    def measure(path, *base_paths):
        rows = [r for r in _jsonl(path) if r["dataset"].startswith(family)]
        key = lambda r: (r["dataset"], r["seed"])  # noqa: E731
        pool = [r for p in (path, *base_paths) for r in _jsonl(p) if r["setting"] == base]
        ref = {}
        for r in pool:  # the first file that holds a pair wins
            ref.setdefault(key(r), r)
        mine = [r for r in rows if r["setting"] == arm and key(r) in ref]
        d = np.array([r["cos"] - ref[key(r)]["cos"] for r in mine])
        per = "; ".join(f"{ds} {_mean(ref[key(r)]['cos'] for r in mine if r['dataset'] == ds):.3f} → "
                        f"{_mean(r['cos'] for r in mine if r['dataset'] == ds):.3f}"
                        for ds in sorted({r["dataset"] for r in mine}))
        measured = (f"N = {mine[0]['dim']}, {len(mine)} fits, {arm} against {base} on the same (dataset, seed) pairs "
                    f"and machine: mean cos {_mean(ref[key(r)]['cos'] for r in mine):.3f} → "
                    f"{_mean(r['cos'] for r in mine):.3f} (paired {d.mean():+.3f} ± {d.std(ddof=1) / np.sqrt(len(d)):.3f}; "
                    f"{per}); fits ≥ 0.9: {sum(ref[key(r)]['cos'] >= 0.9 for r in mine)} → "
                    f"{sum(r['cos'] >= 0.9 for r in mine)}")
        ok = abs(d.mean()) < within if within is not None else d.mean() >= bar
        return measured, "confirmed" if ok else "refuted", _commits(mine + [ref[key(r)] for r in mine])
    return measure


finding("C51", "More white noise (σ 0.2 instead of 0.05) widens the resolution term's narrow basin around the pixels "
        "and frees the Legendre chains.",
        ["lab/legendre_noise/runs.jsonl"], _lab_arm("ser08-n0.2"),
        "confirmed if the paired mean cos of the 16 Legendre fits rises by at least 0.08; refuted otherwise "
        "(prediction written before the runs)")

finding("C52", "A heavier uniformity term (β 5 instead of 2.5), the only term that pulls a blurred Legendre chain back "
        "from far out, frees the Legendre chains.",
        ["lab/legendre_noise/runs.jsonl"], _lab_arm("ser08-b5"),
        "confirmed if the paired mean cos of the 16 Legendre fits rises by at least 0.08; refuted otherwise "
        "(addendum to the prediction written before the runs)")

finding("C53", "Letting the alignment weight fade after the chain has formed (α 1.5 to τ = 0.3, then linear to 0 at "
        "τ = 1: `alpha_end`) frees the Legendre chains from the alignment's pull toward a blur.",
        ["lab/alignment_fade/runs.jsonl", "lab/legendre_noise/runs.jsonl"], _lab_arm("ser08-a0"),
        "confirmed if the paired mean cos of the 16 Legendre fits rises by at least 0.08; refuted otherwise "
        "(prediction written before the runs)")

finding("C54", "The Legendre chains are limited by a too-weak alignment: twice its weight (α 3 instead of 1.5) "
        "frees them.",
        ["lab/alignment_fade/runs.jsonl", "lab/legendre_noise/runs.jsonl"], _lab_arm("ser08-a3"),
        "confirmed if the paired mean cos of the 16 Legendre fits rises by at least 0.08; refuted otherwise "
        "(addendum to the prediction written before the runs)")

finding("C55", "Twice the alignment weight (α 3), which frees the Legendre chains at N = 21, lifts the Legendre "
        "training sets at N = 33 with the `cpu` defaults.",
        ["cpu/alpha3", "cpu/alpha3-baseline"],
        _paired("the defaults with α = 3 against the defaults, both on this session's machine"),
        f"confirmed if the paired mean cos rises by at least 0.1 and a fit reaches {COS_TARGET}; partly if it rises by "
        "at least 0.05; refuted otherwise (prediction written before the runs)")

finding("C56", "Twice the alignment weight (α 3) costs the Gaussian datasets nothing at N = 21.",
        ["lab/alignment_fade/runs.jsonl"], _lab_arm("ser08-a3", family="gaussian", within=0.05),
        "confirmed if the paired mean cos of the 8 Gaussian fits moves by less than 0.05 either way; refuted "
        "otherwise (addendum to the prediction written before the runs)")

# the Gaussian training sets whose single `cpu` fit of the targets table failed, and those where it met the target
GAUSSIAN_FAILED = (("gaussian-permuted", 0), ("gaussian-permuted", 2), ("gaussian-translation", 1), ("gaussian-translation", 2))
GAUSSIAN_MET = (("gaussian-dst", 0), ("gaussian-dst", 1), ("gaussian-dst", 2), ("gaussian-permuted", 1),
                ("gaussian-translation", 0))


def _early_gaussian(sets, label, enough):
    """A measure for best of four with early selection on some Gaussian training sets: confirmed
    when ``enough(met, run)`` holds, partly when it would hold without the time limit."""
    def measure(root):
        recs = [rec for _, rec in saved_best_of(root) if (rec["dataset"], rec["base_seed"]) in sets]
        if not recs:
            return f"no saved results: none of the {len(sets)} training sets has been run", "not tested", ""
        met = selection_statistics(recs, target=COS_TARGET)["met"]
        reached = sum(r["cos"] >= COS_TARGET for r in recs)
        measured = (f"{len(recs)} of the {len(sets)} Gaussian training sets whose single fit {label} at N = 33, "
                    "`fit_best_of(k=4, select_at=3500, keep=1, n_jobs=2)` end to end, one call at a time: kept "
                    + ", ".join(f"{r['dataset']} {r['base_seed']} {r['cos']:.3f} in {r['wall_s']:.0f} s" for r in recs)
                    + f"; {met} meet the target (≥ {COS_TARGET} within 900 s for the whole call)")
        verdict = "confirmed" if enough(met, len(recs)) else "partly" if enough(reached, len(recs)) else "refuted"
        return measured, verdict, _commits(recs)
    return measure


finding("C57", "On the Gaussian training sets a single fit fails at N = 33, keeping one of four candidates right after "
        "the seriation (step 3 500) meets the target on at least half, within the 15-minute budget.",
        ["cpu/best_of/n33-early-gaussian"], _early_gaussian(GAUSSIAN_FAILED, "failed", lambda met, run: met >= 2),
        "confirmed if at least 2 of the 4 sets keep a fit ≥ 0.95 within 900 s for the whole call; partly if at least 2 "
        "keep one ≥ 0.95 but a call overruns; refuted otherwise (prediction written before the runs)")

finding("C58", "A heavier alignment (α 3) and a three times slower ordering phase (τ ∈ [0, 0.2]) together lift the "
        "Legendre training sets at N = 33 with the `cpu` defaults.",
        ["cpu/alpha3-kz", "cpu/alpha3-baseline"],
        _paired("the defaults with α = 3 and τ three times slower across [0, 0.2] against the defaults, both on one "
                "machine (identity check in `results/cpu/alpha3-kz/NOTE.md`)"),
        f"confirmed if the paired mean cos rises by at least 0.1 and a fit reaches {COS_TARGET}; partly if it rises by "
        "at least 0.05; refuted otherwise (prediction written before the runs)")

finding("C59", "At N = 21 a heavier alignment and a slower ordering phase add up: together they beat α 3 alone on the "
        "Legendre datasets.",
        ["lab/alignment_kz/runs.jsonl", "lab/alignment_fade/runs.jsonl"], _lab_arm("ser08-a3-kz", bar=0.05, base="ser08-a3"),
        "confirmed if the paired mean cos over the fits run rises by at least 0.05 over α 3 alone on the same machine; "
        "refuted otherwise (prediction written before the runs)")

finding("C60", "On the Gaussian training sets where a single fit met the target at N = 33, best of four with early "
        "selection meets it too.",
        ["cpu/best_of/n33-early-gaussian"],
        _early_gaussian(GAUSSIAN_MET, "met the target", lambda met, run: met >= (4 if run == 5 else max(run - 1, 1))),
        "confirmed if at least 4 of 5 sets keep a fit ≥ 0.95 within 900 s for the whole call (all but one of those run, "
        "if fewer ran); partly if as many keep one ≥ 0.95 but a call overruns; refuted otherwise (addendum to the "
        "prediction written before these runs)")

finding("C61", "Once the Legendre chains have formed, a lighter alignment sharpens them: α 3 (with the slower ordering "
        "phase) held to τ = 0.7 and then linear to 1.5 at τ = 1 (`alpha_end`) beats α 3 throughout at N = 21.",
        ["lab/late_alpha/runs.jsonl", "lab/alignment_kz/runs.jsonl"], _lab_arm("a3kz-af1.5", bar=0.05, base="ser08-a3-kz"),
        "confirmed if the paired mean cos of the 16 Legendre fits rises by at least 0.05; refuted otherwise "
        "(prediction written before the runs)")

finding("C62", "The same with the alignment lowered further, to 0.5 at τ = 1, sharpens the formed Legendre chains.",
        ["lab/late_alpha/runs.jsonl", "lab/alignment_kz/runs.jsonl"], _lab_arm("a3kz-af0.5", bar=0.05, base="ser08-a3-kz"),
        "confirmed if the paired mean cos of the 16 Legendre fits rises by at least 0.05; refuted otherwise "
        "(prediction written before the runs)")

finding("C63", "The Legendre fits of α 3 and the slower ordering phase at N = 33 are cut off while still climbing: "
        "3 000 more steps at τ = 1 at three times the final learning rates (`polish_steps`, `polish_lr_scale`) lift "
        "them.",
        ["cpu/alpha3-kz-polish/x3", "cpu/alpha3-kz"],
        _paired("the α 3 + slow-ordering fits polished 3 000 steps at × 3 the final rates against the same fits unpolished",
                bar=0.05),
        f"confirmed if the paired mean cos rises by at least 0.05 and a fit reaches {COS_TARGET}; partly if it rises by at "
        "least 0.05; refuted otherwise (prediction written before the runs)")


def _polish_final_rates(new_root, base_root):
    pairs, commits = _paired_runs(new_root, base_root)
    gain = _mean(b - a for *_, a, b in pairs)
    up = sum(b > a for *_, a, b in pairs)
    measured = (f"N = 33, the same fits polished 3 000 steps at the final rates (× 1), {len(pairs)} training sets: "
                f"{_mean(a for *_, a, _ in pairs):.3f} → {_mean(b for *_, b in pairs):.3f} (paired {gain:+.3f}); up on "
                f"{up} of {len(pairs)}")
    ok = up >= 5 and 0.03 <= gain <= 0.08
    return measured, "confirmed" if ok else "refuted", commits


finding("C64", "At the final learning rates (× 1) the same polish lifts them too, by +0.03 to +0.08.",
        ["cpu/alpha3-kz-polish/x1", "cpu/alpha3-kz"], _polish_final_rates,
        "confirmed if cos rises on at least 5 of the 6 fits and the paired mean gain lies between 0.03 and 0.08; "
        "refuted otherwise (prediction written before the runs)")

finding("C65", "Once α 3 and the slower ordering phase let the Legendre chains form, they are limited by time: the "
        "same schedule run twice as slowly (6 000 steps instead of 3 000) lifts them at N = 21.",
        ["lab/combo_steps/runs.jsonl", "lab/alignment_kz/runs.jsonl"], _lab_arm("a3kz-6k", bar=0.05, base="ser08-a3-kz"),
        "confirmed if the paired mean cos of the 16 Legendre fits rises by at least 0.05; refuted otherwise "
        "(prediction written before the runs)")

finding("C66", "At N = 33 the Legendre fits of α 3 and the slower ordering phase converge given twice the steps "
        "(12 000 instead of the `cpu` profile's 6 000).",
        ["cpu/alpha3-kz-12k", "cpu/alpha3-kz"],
        _paired("α 3 + slow ordering with 12 000 steps against 6 000 (one thread a fit, two side by side)",
                partly_bar=0.1),
        f"confirmed if the paired mean cos rises by at least 0.1 and a fit reaches {COS_TARGET}; partly if it rises by "
        "at least 0.1; refuted otherwise (prediction written before the runs)")

finding("C67", "The slower schedule that frees the Legendre chains at N = 21 also removes what α 3 costs the Gaussian "
        "datasets there, so one setting serves both families.",
        ["lab/combo_steps/runs.jsonl", "lab/alignment_fade/runs.jsonl"],
        _lab_arm("a3kz-6k", family="gaussian", within=0.05),
        "confirmed if the paired mean cos of the 8 Gaussian fits moves by less than 0.05 either way against `ser08`; "
        "refuted otherwise (addendum to the prediction written before these runs)")


def _four_times_steps(new_root, base_root, twelve_root):
    pairs, commits = _paired_runs(new_root, base_root)
    twelve = {(ds, sd): _final_cos(twelve_root / ds / sd) for ds, sd, *_ in pairs
              if (twelve_root / ds / sd / "metrics.json").exists()}
    measured = (f"N = 33, α 3 + slow ordering with 24 000 steps (one thread a fit, two side by side): "
                + ", ".join(f"{ds} {sd} {a:.3f} (6 000) → {twelve.get((ds, sd), float('nan')):.3f} (12 000) → {b:.3f}"
                            for ds, sd, a, b in pairs))
    hit = any(b >= COS_TARGET for *_, b in pairs)
    verdict = "confirmed" if hit else "partly" if all(b >= 0.85 for *_, b in pairs) else "refuted"
    return measured, verdict, commits


finding("C68", "The N = 33 Legendre fits that formed a chain at 12 000 steps converge given 24 000.",
        ["cpu/alpha3-kz-24k", "cpu/alpha3-kz", "cpu/alpha3-kz-12k"], _four_times_steps,
        f"confirmed if one of the two fits reaches {COS_TARGET}; partly if both end at 0.85 or more; refuted otherwise "
        "(prediction written before the runs)")


def _basis_lab(arm_ds, rule):
    """legendre-eigen or legendre-haar (study optimiser_basis) against legendre-translation and
    legendre-dst (alignment_kz), all with the Legendre setting at N = 21, paired by seed: the
    same hidden signals in another basis.  ``rule(new, translation, dst)`` gets mean cosines."""
    def measure(new_path, base_path):
        rows = [r for r in _jsonl(new_path) + _jsonl(base_path) if r["setting"] == "ser08-a3-kz"]
        by = {}
        for r in rows:
            by.setdefault(r["dataset"], {}).setdefault(r["seed"], r)
        new, tr, dst = by[arm_ds], by["legendre-translation"], by["legendre-dst"]
        seeds = sorted(set(new) & set(tr) & set(dst))
        d = np.array([new[s]["cos"] - tr[s]["cos"] for s in seeds])
        m_new, m_tr, m_dst = (_mean(x[s]["cos"] for s in seeds) for x in (new, tr, dst))
        measured = (f"N = 21, α 3 + slow ordering, 3 000 steps, seeds {seeds[0]}-{seeds[-1]}: {arm_ds} {m_new:.3f}, "
                    f"legendre-translation {m_tr:.3f}, legendre-dst {m_dst:.3f} (paired against translation "
                    f"{d.mean():+.3f} ± {d.std(ddof=1) / np.sqrt(len(d)):.3f}); fits ≥ 0.9: "
                    f"{sum(new[s]['cos'] >= 0.9 for s in seeds)}, {sum(tr[s]['cos'] >= 0.9 for s in seeds)}, "
                    f"{sum(dst[s]['cos'] >= 0.9 for s in seeds)}")
        return measured, rule(m_new, m_tr, m_dst), _commits([new[s] for s in seeds] + [tr[s] for s in seeds])
    return measure


finding("C69", "The dst datasets train better because their coordinates are nearly the eigenbasis of the data's "
        "covariance, in which Adam's coordinate-wise steps suit the problem: written in that basis, "
        "legendre-translation trains like legendre-dst.",
        ["lab/optimiser_basis/runs.jsonl", "lab/alignment_kz/runs.jsonl"],
        _basis_lab("legendre-eigen", lambda e, t, d: "confirmed" if e >= t + 0.03 and abs(e - d) <= 0.05
                   else "refuted"),
        "confirmed if the eigenbasis fits' mean is at least 0.03 above legendre-translation's and within 0.05 of "
        "legendre-dst's; refuted otherwise (prediction written before the runs)")

finding("C70", "A dense basis is the worst for Adam's coordinate-wise steps: behind a Haar-random basis the "
        "Legendre fits end below those in the pixel basis.",
        ["lab/optimiser_basis/runs.jsonl", "lab/alignment_kz/runs.jsonl"],
        _basis_lab("legendre-haar", lambda h, t, d: "confirmed" if h <= t - 0.05 else "refuted"),
        "confirmed if the Haar-basis fits' mean is at least 0.05 below legendre-translation's; refuted otherwise "
        "(prediction written before the runs)")


def _covariance_adam(datasets, rule):
    """The N = 33 fits with ``model_optimizer="adam-covariance"`` against the same recipe with the
    faithful Adam, on ``datasets`` only; ``rule(pairs)`` -> verdict, pairs (dataset, seed, base, new)."""
    def measure(new_root, base_root):
        pairs, commits = _paired_runs(new_root, base_root)
        pairs = [q for q in pairs if q[0] in datasets]
        measured = (f"N = 33, {len(pairs)} fits: mean cos {_mean(a for *_, a, _ in pairs):.3f} (faithful Adam) → "
                    f"{_mean(b for *_, b in pairs):.3f} (Adam in the covariance eigenbasis; "
                    + ", ".join(f"{ds} {sd} {a:.3f} → {b:.3f}" for ds, sd, a, b in pairs)
                    + f"); ≥ {COS_TARGET}: {sum(a >= COS_TARGET for *_, a, _ in pairs)} → "
                    f"{sum(b >= COS_TARGET for *_, b in pairs)}")
        return measured, rule(pairs), commits
    return measure


def _q1(pairs):
    parts = (sum(b >= COS_TARGET for *_, b in pairs) >= 4, _mean(b for *_, b in pairs) >= 0.90)
    return "confirmed" if all(parts) else "partly" if any(parts) else "refuted"


def _q3(pairs):
    moved = [b - a for ds, _, a, b in pairs if ds != "legendre-dst"]
    dst = [b - a for ds, _, a, b in pairs if ds == "legendre-dst"]
    first = _mean(moved) >= 0.05
    return "confirmed" if first and abs(_mean(dst)) < 0.05 else "partly" if first else "refuted"


finding("C71", "Adam's steps taken in the eigenbasis of the training set's covariance (`model_optimizer="
        "\"adam-covariance\"`), which the dst datasets' coordinates nearly are, let the `symlens` defaults converge on "
        "gaussian-translation and gaussian-permuted at N = 33 as they do on gaussian-dst.",
        ["cpu/adam-covariance/symlens", "cpu/03_accuracy/runs-symlens"],
        _covariance_adam({"gaussian-translation", "gaussian-permuted"}, _q1),
        f"confirmed if at least 4 of the 6 fits reach {COS_TARGET} and their mean is at least 0.90; partly if one of "
        "the two holds; refuted otherwise (prediction written before the runs)")

finding("C72", "With the Legendre setting (α 3, slower ordering) at N = 33, Adam in the covariance eigenbasis lifts "
        "the translation and permuted Legendre sets and leaves legendre-dst as it was.",
        ["cpu/adam-covariance/alpha3-kz", "cpu/alpha3-kz"],
        _covariance_adam({"legendre-translation", "legendre-permuted", "legendre-dst"}, _q3),
        "confirmed if the mean of the four translation and permuted fits rises by at least 0.05 and legendre-dst "
        "moves by less than 0.05; partly if only the first holds; refuted otherwise (prediction written before "
        "the runs)")

def _switch_lab(arms, rule):
    """Arms of study basis_switch (legendre-translation, N = 21) against the same seeds'
    legendre-translation (alignment_kz, faithful Adam) and legendre-eigen (optimiser_basis)
    fits; ``rule(means, base, eigen, gains)`` with per-arm mean cos and paired gains over base."""
    def measure(path, eigen_path, base_path):
        rows = _jsonl(path)
        base = {r["seed"]: r for r in _jsonl(base_path)
                if r["setting"] == "ser08-a3-kz" and r["dataset"] == "legendre-translation"}
        eigen = {r["seed"]: r for r in _jsonl(eigen_path)
                 if r["setting"] == "ser08-a3-kz" and r["dataset"] == "legendre-eigen"}
        fits = {a: {r["seed"]: r for r in rows if r["setting"] == a} for a in arms}
        seeds = sorted(set(base) & set(eigen) & set.intersection(*(set(f) for f in fits.values())))
        means = {a: _mean(fits[a][s]["cos"] for s in seeds) for a in arms}
        gains = {a: _mean(fits[a][s]["cos"] - base[s]["cos"] for s in seeds) for a in arms}
        m_base, m_eigen = _mean(base[s]["cos"] for s in seeds), _mean(eigen[s]["cos"] for s in seeds)
        measured = (f"N = 21, legendre-translation, α 3 + slow ordering, 3 000 steps, seeds {seeds[0]}-{seeds[-1]}: "
                    f"faithful Adam {m_base:.3f}, the data in their eigenbasis {m_eigen:.3f}; "
                    + "; ".join(f"{a} {means[a]:.3f} (paired {gains[a]:+.3f}, ≥ 0.9: "
                                f"{sum(fits[a][s]['cos'] >= 0.9 for s in seeds)})" for a in arms))
        return (measured, rule(means, m_base, m_eigen, gains),
                _commits([fits[a][s] for a in arms for s in seeds] + [base[s] for s in seeds]))
    return measure


finding("C73", "The option `model_optimizer=\"adam-covariance\"` does on legendre-translation what writing the data "
        "in their covariance eigenbasis did (N = 21, the Legendre setting).",
        ["lab/basis_switch/runs.jsonl", "lab/optimiser_basis/runs.jsonl", "lab/alignment_kz/runs.jsonl"],
        _switch_lab(["a3kz-cov"], lambda m, b, e, g: "confirmed" if abs(m["a3kz-cov"] - e) <= 0.05
                    and m["a3kz-cov"] >= b + 0.03 else "refuted"),
        "confirmed if the option's mean is within 0.05 of the eigenbasis fits' and at least 0.03 above the faithful "
        "Adam's; refuted otherwise (prediction written before the runs)")

finding("C74", "Adam in the covariance basis early and in the data's coordinates late (`covariance_until_tau` 0.5 or "
        "0.7) keeps both gains: the chains form as in the eigenbasis and sharpen as in the pixel basis.",
        ["lab/basis_switch/runs.jsonl", "lab/optimiser_basis/runs.jsonl", "lab/alignment_kz/runs.jsonl"],
        _switch_lab(["a3kz-cov0.5", "a3kz-cov0.7"],
                    lambda m, b, e, g: "confirmed" if max(m.values()) >= 0.83
                    and g[max(m, key=m.get)] >= 0.05 else "refuted"),
        "confirmed if the better switch arm averages at least 0.83 with a paired gain of at least 0.05 over the "
        "faithful Adam; refuted otherwise (prediction written before the runs)")

def _gaussian_bases(path):
    rows = [r for r in _jsonl(path) if r["setting"] == "ser08" and r["dataset"].startswith("gaussian-")]
    by = {}
    for r in rows:
        by.setdefault(r["dataset"], {})[r["seed"]] = r["cos"]
    tr, dst, eig = by["gaussian-translation"], by["gaussian-dst"], by["gaussian-eigen"]
    seeds = sorted(set(tr) & set(dst) & set(eig))
    m_tr, m_dst, m_eig = (_mean(x[s] for s in seeds) for x in (tr, dst, eig))
    measured = (f"N = 21, `ser08`, 3 000 steps, seeds {seeds[0]}-{seeds[-1]}: gaussian-translation {m_tr:.3f}, "
                f"gaussian-dst {m_dst:.3f}, gaussian-eigen {m_eig:.3f}; fits ≥ 0.95: "
                f"{sum(tr[s] >= 0.95 for s in seeds)}, {sum(dst[s] >= 0.95 for s in seeds)}, "
                f"{sum(eig[s] >= 0.95 for s in seeds)}")
    ok = m_dst >= m_tr + 0.05 and m_eig >= m_tr + 0.05 and abs(m_dst - m_eig) <= 0.05
    return measured, "confirmed" if ok else "refuted", _commits(rows)


finding("C75", "On Gaussian data too (N = 21), the covariance eigenbasis and the DST basis, which nearly coincide, "
        "both train better than the pixel basis.",
        ["lab/optimiser_basis/runs.jsonl"], _gaussian_bases,
        "confirmed if gaussian-eigen and gaussian-dst each beat gaussian-translation by at least 0.05 in mean cos and "
        "lie within 0.05 of each other; refuted otherwise (prediction written before the runs)")

finding("C76", "The N = 33 Legendre fits of Adam in the covariance basis, most still climbing, reach the target "
        "given a polish (3 000 more steps at τ = 1 at three times the final rates).",
        ["cpu/adam-covariance-polish/x3", "cpu/adam-covariance/alpha3-kz"],
        _paired("the Legendre fits of Adam in the covariance basis polished 3 000 steps at × 3 the final rates against "
                "the same fits unpolished", bar=0.05),
        f"confirmed if the paired mean cos rises by at least 0.05 and a fit reaches {COS_TARGET}; partly if it rises "
        "by at least 0.05; refuted otherwise (prediction written before the runs)")

def _spearman(a, b):
    """Spearman's rank correlation of two sequences without ties."""
    ra, rb = (np.argsort(np.argsort(np.asarray(x, float))) for x in (a, b))
    return float(np.corrcoef(ra, rb)[0, 1])


def _by_training_set(rows):
    """Lab fits grouped as {data seed: {start seed: row}} (studies run with ``--data-seed``)."""
    sets = {}
    for r in rows:
        sets.setdefault(r["data_seed"], {})[r["seed"]] = r
    return sets


def _loss_now(row, step):
    """A lab fit's held-out loss at the schedule's τ, scored at ``step`` (``--score-at``)."""
    return next(q["loss_now"] for q in row["scores"] if q["step"] == step)


def _init_split(path):
    rows = _jsonl(path)
    by = _by_training_set(rows)
    parts, picks, rhos = [], [], []
    for d in sorted(by):
        fits = by[d]
        cos = [fits[s]["cos"] for s in sorted(fits)]
        loss = [fits[s]["held_out_total"] for s in sorted(fits)]
        kept = cos[int(np.argmin(loss))]
        rho = _spearman(loss, [-c for c in cos])
        parts.append(f"training set {d}: {len(cos)} starts {min(cos):.3f}-{max(cos):.3f} (mean {_mean(cos):.3f}), "
                     f"{sum(c >= COS_TARGET for c in cos)} ≥ {COS_TARGET}; lowest held-out loss keeps {kept:.3f}, "
                     f"Spearman(loss, −cos) {rho:.2f}")
        picks.append((d, max(cos), kept))
        rhos.append(rho)
    return by, parts, picks, rhos, _commits(rows)


def _start_decides(path):
    by, parts, picks, rhos, commits = _init_split(path)
    bad = [d for d in (1, 6) if d in by]
    ok = len(bad) == 2 and all(sum(r["cos"] >= COS_TARGET for r in by[d].values()) >= 2 for d in bad)
    return "N = 21, legendre-translation, the Legendre setting with `model_optimizer=\"adam-covariance\"`, 3 000 " \
           "steps; " + "; ".join(parts), "confirmed" if ok else "refuted", commits


def _loss_picks_start(path):
    by, parts, picks, rhos, commits = _init_split(path)
    judged = [(d, best, kept) for d, best, kept in picks if best >= COS_TARGET]
    ok = judged and all(kept >= COS_TARGET for _, _, kept in judged) and all(r >= 0.6 for r in rhos)
    measured = ("; ".join(f"training set {d}: best start {best:.3f}, kept {kept:.3f}" for d, best, kept in picks)
                + f"; Spearman(held-out loss, −cos) within each set {', '.join(f'{r:.2f}' for r in rhos)}")
    return measured, "confirmed" if ok else "refuted", commits


finding("C77", "On the Legendre setting with Adam in the covariance basis the start, not the training set, decides "
        "whether a fit converges: on each of two training sets where one start failed, at least two of eight "
        "starts reach 0.95 (N = 21).",
        ["lab/init_split/runs.jsonl"], _start_decides,
        f"confirmed if at least 2 of the 8 starts reach {COS_TARGET} on each of training sets 1 and 6; refuted "
        "otherwise (prediction written before the runs)")

finding("C78", "On those training sets the method's own held-out loss (τ = 1) picks the start that converges, and "
        "ranks the starts as their cos does.",
        ["lab/init_split/runs.jsonl"], _loss_picks_start,
        f"confirmed if on every training set where a start reaches {COS_TARGET} the lowest held-out loss keeps one "
        "that does, and Spearman(loss, −cos) ≥ 0.6 within every set; refuted otherwise (prediction written before "
        "the runs)")


def _defect_width(path):
    s = json.loads((path / "summary.json").read_text())
    g, l = s["gaussian"], s["legendre"]
    measured = (f"{g['fits'] + l['fits']} saved N = 33 fits of the defaults, offline; per failing fit (cos < 0.95) "
                f"the median number of blurred pixels (largest entry below {s['sharp']} of the column's norm in the "
                f"hidden basis) is {l['blurred_median']:.1f} on Legendre ({l['failing']} fits) against "
                f"{g['blurred_median']:.1f} on Gaussian ({g['failing']} fits); median defect width "
                f"{l['width_median']:.0f} against {g['width_median']:.0f} pixels (means {l['width_mean']:.1f}, "
                f"{g['width_mean']:.1f}); Spearman(blurred pixels, cos) {s['spearman_blurred_cos']:.2f} over all fits")
    ok = (l["blurred_median"] >= 2 * g["blurred_median"] and l["width_median"] >= 3 and g["width_median"] <= 2)
    return measured, "confirmed" if ok else "refuted", f" (git {s['git']})"


finding("C79", "The Legendre fits fail by defects as wide as their bumps, the Gaussian fits by sharp walls: failing "
        "Legendre generators have at least twice as many blurred pixels, in runs of three or more, where the "
        "Gaussian ones have runs of one or two.",
        ["lab/defect_width"], _defect_width,
        "confirmed if the failing Legendre fits have at least twice the Gaussian median of blurred pixels, a median "
        "defect width of at least 3 against at most 2; refuted otherwise (prediction written before the analysis)")


def _early_cov(root, single_root):
    recs = [rec for _, rec in saved_best_of(root)]
    if not recs:
        return "no saved results", "not tested", ""
    singles = {}
    for rec in recs:
        m = single_root / rec["dataset"] / f"seed{rec['base_seed']}" / "metrics.json"
        singles[(rec["dataset"], rec["base_seed"])] = json.loads(m.read_text())["metrics"]["cosine_similarity"]
    kept = _mean(r["cos"] for r in recs)
    single = _mean(singles.values())
    cands = [c["cosine_similarity"] for r in recs for c in r["candidates"]]
    measured = (f"N = 33, the Legendre setting with Adam in the covariance basis, `fit_best_of(k=4, select_at=3900, "
                f"keep=1, n_jobs=2)` end to end on {len(recs)} training sets: kept "
                + ", ".join(f"{r['dataset']} {r['base_seed']} {r['cos']:.3f} in {r['wall_s']:.0f} s" for r in recs)
                + f"; mean {kept:.3f} against {single:.3f} for single fits of the same setting and sets (Intel Xeon); "
                f"candidates {min(cands):.3f}-{max(cands):.3f} (a dropped one's cos at step 3 900)")
    met = sum(r["cos"] >= COS_TARGET for r in recs)
    verdict = "confirmed" if met >= 1 and kept >= single + 0.05 else "partly" if kept >= single + 0.05 else "refuted"
    return measured, verdict, _commits(recs)


finding("C80", "With the Legendre setting and Adam in the covariance basis, best of four chosen by the held-out loss "
        "right after the seriation lifts the N = 33 Legendre sets, and one reaches the target.",
        ["cpu/best_of/n33-early-cov", "cpu/adam-covariance/alpha3-kz"], _early_cov,
        f"confirmed if the mean kept cos is at least 0.05 above the single fits' and a kept fit reaches {COS_TARGET}; "
        "partly if only the mean rises by 0.05; refuted otherwise (prediction written before the runs)")


def _early_pick(path, base_path):
    rows, base = _jsonl(path), {(r["data_seed"], r["seed"]): r["cos"] for r in _jsonl(base_path)}
    same = all(base.get((r["data_seed"], r["seed"])) == r["cos"] for r in rows)
    sets = _by_training_set(rows)
    parts, first_at_1000 = [], []
    for d, fits in sorted(sets.items()):
        best = max(fits, key=lambda s: fits[s]["cos"])
        ranks = []
        for p in fits[best]["scores"]:
            now = {s: _loss_now(r, p["step"]) for s, r in fits.items()}
            rank = 1 + sum(v < now[best] for v in now.values())
            ranks.append(f"{rank} at step {p['step']}")
            if p["step"] == 1000:
                first_at_1000.append(rank == 1)
        parts.append(f"training set {d} ({len(fits)} starts, the best {fits[best]['cos']:.3f}, start {best}): it ranks "
                     + ", ".join(ranks) + " by the held-out loss at the schedule's τ")
    measured = ("N = 21, legendre-translation, the fits of `init_split` rerun with the held-out loss scored along the "
                "way (final cos " + ("identical" if same else "NOT identical") + " to `init_split`'s); "
                + "; ".join(parts))
    ok = same and len(first_at_1000) == 2 and all(first_at_1000)
    return measured, "confirmed" if ok else "refuted", _commits(rows)


finding("C81", "A start that will converge is recognisable a third of the way through the schedule: at τ ≈ 0.44 "
        "(step 1 000 of 3 000) the held-out loss ranks it first among eight (N = 21, Legendre).",
        ["lab/early_pick/runs.jsonl", "lab/init_split/runs.jsonl"], _early_pick,
        "confirmed if on both training sets with a converging start it has the lowest held-out loss at step 1 000, "
        "the fits being those of `init_split`; refuted otherwise (prediction written before the runs)")


def _k8(root, sets=None):
    """(measured, the saved records, how many meet the target): best of eight kept at step 1 500,
    on the (dataset, base seed) pairs in ``sets`` (None: every saved one)."""
    recs = [rec for _, rec in saved_best_of(root) if sets is None or (rec["dataset"], rec["base_seed"]) in sets]
    if not recs:
        return "no saved results", recs, 0
    parts = []
    for r in recs:
        dropped = [c["cosine_similarity"] for c in r["candidates"] if not c["finished"]]
        parts.append(f"{r['dataset']} {r['base_seed']}: kept {r['cos']:.3f} in {r['wall_s']:.0f} s "
                     f"(the {len(dropped)} dropped at {min(dropped):.3f}-{max(dropped):.3f} at step {r['select_at']})")
    met = selection_statistics(recs, target=COS_TARGET)["met"]
    measured = (f"N = 33, `fit_best_of(k=8, select_at=1500, keep=1, n_jobs=2)` on {len(recs)} training set(s): "
                + "; ".join(parts) + f"; {met} of {len(recs)} meet the target")
    return measured, recs, met


def _k8_legendre(root):
    measured, recs, met = _k8(root)
    if not recs:
        return measured, "not tested", ""
    verdict = "confirmed" if met else "partly" if max(r["cos"] for r in recs) >= 0.90 else "refuted"
    return measured, verdict, _commits(recs)


finding("C82", "Eight Legendre starts, one kept by the held-out loss at a quarter of the schedule (τ 0.28), reach the "
        "N = 33 target for the price of four kept at the seriation.",
        ["cpu/best_of/n33-early-k8"], _k8_legendre,
        f"confirmed if the kept fit reaches {COS_TARGET} within 900 s; partly if it reaches 0.90; refuted otherwise "
        "(prediction written before the run)")


def _early_sets(path):
    rows = _jsonl(path)
    sets = _by_training_set(rows)
    parts, with_good, found = [], 0, 0
    for d, fits in sorted(sets.items()):
        at750 = {s: _loss_now(r, 750) for s, r in fits.items()}
        early = min(at750, key=at750.get)
        kept = min(fits, key=lambda s: fits[s]["held_out_total"])
        best = max(fits, key=lambda s: fits[s]["cos"])
        good = sorted(s for s in fits if fits[s]["cos"] >= COS_TARGET)
        with_good += bool(good)
        found += bool(good) and early in good
        parts.append(f"set {d}: {len(good)} of {len(fits)} starts ≥ {COS_TARGET} (best {fits[best]['cos']:.3f}); "
                     f"lowest loss at step 750 start {early}, ending {fits[early]['cos']:.3f}; lowest final loss "
                     f"start {kept}, {fits[kept]['cos']:.3f}")
    measured = ("N = 21, legendre-translation, the setting of `early_pick`, training sets "
                + ", ".join(str(d) for d in sorted(sets)) + " × eight starts (Intel Xeon): " + "; ".join(parts)
                + f"; the early pick finds a converging start on {found} of the {with_good} sets that have one")
    verdict = ("confirmed" if with_good >= 2 and found == with_good else "partly" if found else "refuted")
    return measured, verdict, _commits(rows)


finding("C83", "The early pick holds beyond the training sets it was found on: wherever a training set has a start "
        "that converges, the held-out loss at step 750 of 3 000 (τ 0.29) points at one (N = 21, Legendre).",
        ["lab/early_pick_sets/runs.jsonl"], _early_sets,
        f"confirmed if on every one of at least two sets with a start ending ≥ {COS_TARGET} the lowest loss at step "
        "750 is such a start; partly if on some; refuted if on none (prediction written before the runs)")


def _k8_gaussian(root):
    # the three sets best of four missed; the other six ran later into the same folders
    measured, recs, met = _k8(root, {("gaussian-translation", 2), ("gaussian-permuted", 0), ("gaussian-dst", 1)})
    if not recs:
        return measured, "not tested", ""
    return measured, "confirmed" if met >= 2 else "partly" if met else "refuted", _commits(recs)


finding("C84", "On the three Gaussian N = 33 sets where best of four kept at the seriation missed, eight starts kept "
        "at step 1 500 (τ 0.49) meet the target on at least two.",
        ["cpu/best_of/n33-early-k8-gaussian"], _k8_gaussian,
        f"confirmed if at least two kept fits reach {COS_TARGET} within 900 s; partly if one does; refuted if none "
        "(prediction written before the runs)")


def _k8_all(root):
    recs = [rec for _, rec in saved_best_of(root)]
    if not recs:
        return "no saved results", "not tested", ""
    parts, any_good, ranked = [], False, True
    for r in recs:
        c = sorted(r["candidates"], key=lambda c: c["early_loss"])
        cos = [x["cosine_similarity"] for x in c]
        rho = _spearman([x["early_loss"] for x in c], cos)
        any_good |= max(cos) >= COS_TARGET
        ranked &= rho <= -0.5
        parts.append(f"{r['dataset']} {r['base_seed']}: all {len(c)} finished at "
                     + ", ".join(f"{x['cosine_similarity']:.3f}" for x in c)
                     + f" (in order of the loss at step {r['select_at']}, lowest first; their cos there "
                     + ", ".join(f"{x['early_cosine_similarity']:.2f}" for x in c)
                     + f"); Spearman ρ of that loss with the final cos {rho:+.2f}; kept by the final loss "
                     f"{r['cos']:.3f}")
    measured = "N = 33, the Legendre setting with Adam in the covariance basis, eight starts: " + "; ".join(parts)
    verdict = "confirmed" if any_good and ranked else "partly" if any_good or ranked else "refuted"
    return measured, verdict, _commits(recs)


finding("C85", "At N = 33 a Legendre training set holds a converging start among eight, as at N = 21, and the "
        "held-out loss at step 1 500 (τ 0.28) ranks the starts as they end.",
        ["cpu/best_of/n33-k8-all"], _k8_all,
        f"confirmed if a start ends ≥ {COS_TARGET} and Spearman's ρ of the loss at step 1 500 with the final cos is "
        "−0.5 or lower; partly if one of the two holds; refuted if neither (prediction written before the run)")

def _k8_gaussian_rest(root):
    rest = {("gaussian-translation", 0), ("gaussian-translation", 1), ("gaussian-permuted", 1),
            ("gaussian-permuted", 2), ("gaussian-dst", 0), ("gaussian-dst", 2)}
    measured, recs, met = _k8(root, rest)
    if not recs:
        return measured, "not tested", ""
    missed = len(recs) - met
    verdict = "confirmed" if met >= 5 else "refuted" if missed >= 2 else "partly"
    return measured + f" (of the {len(rest)} sets best of four met)", verdict, _commits(recs)


finding("C86", "On the six Gaussian N = 33 sets where best of four kept at the seriation met the target, eight "
        "starts kept at step 1 500 meet it on at least five: one recipe for all nine Gaussian sets.",
        ["cpu/best_of/n33-early-k8-gaussian"], _k8_gaussian_rest,
        f"confirmed if at least five of the six keep a fit ≥ {COS_TARGET} within 900 s; refuted once two miss; "
        "partly while fewer are measured and at most one missed (prediction addendum written before the runs)")


def _branch_ends(path):
    rows = _jsonl(path)
    sets = {}  # data seed: the picked start's branches (one start per set, so not _by_training_set)
    for r in rows:
        if r["overrides"].get("branch_step") is not None:
            sets.setdefault(r["data_seed"], []).append(r)
    parts, wide, rescued = [], 0, False
    for d, fits in sorted(sets.items()):
        cos = [r["cos"] for r in fits]
        kept = min(fits, key=lambda r: r["held_out_total"])
        start = fits[0]["seed"]
        wide += max(cos) - min(cos) > 0.10
        rescued |= d in (5, 7) and max(cos) >= COS_TARGET
        parts.append(f"set {d} (start {start}): {len(cos)} branches end {min(cos):.3f}-{max(cos):.3f}, "
                     f"{sum(c >= COS_TARGET for c in cos)} ≥ {COS_TARGET}, the lowest final loss keeps {kept['cos']:.3f}")
    measured = ("N = 21, legendre-translation, the setting of `early_pick`, the start the loss at step 750 picked "
                "on each set, continued from step 750 with its random streams reseeded (`branch_step` 750, "
                "`branch_seed` 1-6): " + "; ".join(parts))
    verdict = "confirmed" if wide >= 3 and rescued else "partly" if wide >= 3 or rescued else "refuted"
    return measured, verdict, _commits(rows)


finding("C87", "A picked start's end is still a draw after step 750 (τ 0.29; N = 21, Legendre): its continuations, "
        "reseeded there, spread by more than 0.10 on most training sets, and on a set with no converging start "
        "one of them converges.",
        ["lab/branch_ends/runs.jsonl"], _branch_ends,
        f"confirmed if six continuations spread by more than 0.10 on at least three of four sets and one reaches "
        f"{COS_TARGET} on a set none of eight starts reached it on; partly if one of the two holds; refuted if "
        "neither (prediction written before the runs)")

def _n33_branches(root):
    recs = [rec for _, rec in saved_best_of(root)]
    if not recs:
        return "no saved results", "not tested", ""
    parts, wide = [], 0
    for r in recs:
        c = next(c for c in r["candidates"] if c.get("branches"))
        ends = [b["cosine_similarity"] for b in c["branches"]]
        wide += max(ends) - min(ends) > 0.10
        parts.append(f"{r['dataset']} {r['base_seed']}: start {c['seed']} picked at step {r['select_at']} (cos "
                     f"{c['early_cosine_similarity']:.3f} there), its {len(ends)} continuations (the plain one first) "
                     "end " + ", ".join(f"{e:.3f}" for e in ends) + f"; kept {r['cos']:.3f} in {r['wall_s']:.0f} s")
    measured = ("N = 33, the `cpu` defaults (the run meant the Legendre setting and omitted it), "
                "`fit_best_of(k=4, select_at=1500, keep=1, branches=4)`: " + "; ".join(parts))
    return measured, "confirmed" if wide == len(recs) else "partly" if wide else "refuted", _commits(recs)


finding("C88", "At N = 33 a picked Legendre start's end is still a draw after the selection at step 1 500: "
        "continuations reseeded there spread by more than 0.10.",
        ["cpu/best_of/n33-branches"], _n33_branches,
        "confirmed if the continuations of every picked start spread by more than 0.10; partly if some do; "
        "refuted if none (prediction written before the run)")

def _best_of_legendre(root, confirm_at=2, partly_at=1):
    recs = [rec for _, rec in saved_best_of(root)]
    if not recs:
        return "no saved results", "not tested", ""
    parts = []
    for r in recs:
        kept = next(c for c in r["candidates"] if c["seed"] == r["kept_seed"])
        parts.append(f"{r['dataset']} {r['base_seed']}: kept start {r['kept_seed']} (cos "
                     f"{kept['early_cosine_similarity']:.3f} at step {r['select_at']}) at {r['cos']:.3f} in "
                     f"{r['wall_s']:.0f} s")
    met = selection_statistics(recs, target=COS_TARGET)["met"]
    k, select_at = recs[0]["k"], recs[0]["select_at"]
    measured = (f"N = 33, the `cpu` defaults, `fit_best_of(k={k}, select_at={select_at}, keep=1, n_jobs=2)`: "
                + "; ".join(parts)
                + f"; {met} of {len(recs)} meet the target")
    return measured, "confirmed" if met >= confirm_at else "partly" if met >= partly_at else "refuted", _commits(recs)


finding("C89", "With the `cpu` defaults, four starts kept by the held-out loss at step 1 500 (τ 0.49) meet the "
        "N = 33 target on Legendre training sets.",
        ["cpu/best_of/n33-early-k4-legendre"], _best_of_legendre,
        f"confirmed if at least two sets keep a fit ≥ {COS_TARGET} within 900 s; partly if one does; refuted if none "
        "(prediction written before the runs)")

finding("C90", "With the `cpu` defaults, four starts kept by the held-out loss at step 1 500 meet the N = 33 "
        "target on seeds 1 and 2 of the three Legendre datasets too.",
        ["cpu/best_of/n33-k4-legendre-seeds"], lambda root: _best_of_legendre(root, confirm_at=4),
        f"confirmed if at least four of the six sets keep a fit ≥ {COS_TARGET} within 900 s; partly if one to three "
        "do; refuted if none (prediction written before the runs)")

finding("C91", "With the `cpu` defaults, eight starts kept by the held-out loss at step 1 000 (τ 0.36) meet the "
        "N = 33 target on Legendre training sets where four kept at step 1 500 did not.",
        ["cpu/best_of/n33-k8-legendre-1000"], lambda root: _best_of_legendre(root, confirm_at=2),
        f"confirmed if at least two sets keep a fit ≥ {COS_TARGET} within 900 s; partly if one does; refuted if none "
        "(prediction written before the runs)")

display(Markdown("\n\n".join(
    f"**{f['id']} · {f['verdict']}.** {f['finding']}\n\n- *measured:* {f['measured']}\n- *rule:* {f['rule']}\n"
    f"- *evidence:* {f['evidence']}" for f in findings)))
finding_counts = {v: sum(f["verdict"] == v for f in findings) for v in ("confirmed", "partly", "refuted", "not tested")}
print(", ".join(f"{n} {v}" for v, n in finding_counts.items()))

# %% [markdown]
# ## Where the paper, the authors' code and this companion differ
#
# The paper's and the code's columns summarise the paper's text and the authors' code (see
# the *Paper, code and this companion* page for each point in full); the last column is
# read from the configuration (`symlens.config`) of the profile whose runs the ledger uses
# for Table 2, so a compressed profile shows its compressions here.

# %% tags=["hide-input"]
cfg_ev = config.get_profile(acc_profile)
L = cfg_ev.loss
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
     f"P = {cfg_ev.resolved_padding(33)}"),
    ("filter noise (eq. 20)", "form only", "σ₀ = 0.1, t₀ = 10 epochs, fresh per forward pass",
     f"σ₀ = {cfg_ev.filter_noise:g}, t₀ = {cfg_ev.noise_decay_epochs:g} epochs, two draws per step"),
    ("conditional estimator (App. A.2)", "two hidden layers, linear mean output",
     "one hidden layer of 528, LeakyReLU mean output, non-squared L2 1e-5",
     f"the code's form, hidden width {cfg_ev.resolved_hidden(33)}"),
    ("data scaling", "—", "each batch divided by its own scalar std",
     "the whole generated set divided by one scalar std (per-batch standardisation in the layer as in the code)"),
    ("Legendre scale L (Table 1)", "values lost", "[6, 15] (later ablation script); old helper [6, 8]",
     "[6, 15] (best guess)"),
    ("datasets", "'nine datasets', six table rows", "dispersion generator unused", "the six tabulated datasets"),
    ("permuted data", "—", "RNG re-seeded per batch: ~2 distinct batches (defect)", "fresh samples (defect not copied)"),
    ("training length", "10 000 epochs",
     f"{paper.epochs} epochs × {paper.steps_per_epoch} steps, batch {paper.batch_size}, lr {paper.model_lr:g} / {paper.estimator_lr:g}",
     f"{cfg_ev.epochs} epochs × {cfg_ev.steps_per_epoch} steps, batch {cfg_ev.batch_size}, lr {cfg_ev.model_lr:g} / {cfg_ev.estimator_lr:g}"),
    ("RMSE (Table 2)", "reported", "never computed in the repository", "√mean of squared entries, better direction"),
    ("ideal K (evaluation)", "—", "anti-diagonal built with i + j = n (off by one)", "i + j = N − 1"),
    ("scoring samples", "—", "—", "Table 2 and K·Q on the training set (run_experiment); notebook 5 on held-out samples"),
]
diff_rows = [{"topic": t, "paper": p, "authors' code": c, f"symlens ({acc_profile})": s} for t, p, c, s in differences]
display(Markdown(plotting.markdown_table(diff_rows)))

# %% [markdown]
# ## Save

# %% tags=["hide-input"]
# NBVAL_IGNORE_OUTPUT
summary = {"profile": profile, "source_profiles": src_profiles, "ledger": ledger, "counts": counts,
           "findings": findings, "finding_counts": finding_counts,
           "thresholds": {"cos_reproduced": COS_REPRODUCED, "cos_partly": COS_PARTLY, "spread_max": SPREAD_MAX,
                          "seed_sd_max": verdicts.SEED_SD_MAX, "converged": verdicts.CONVERGED,
                          "filter_peak_delta": verdicts.PEAK_DELTA, "recovery_min": RECOVERY_MIN,
                          "cos_target": COS_TARGET, "noise_slope_tol": NOISE_SLOPE_TOL,
                          "noise_flat_max": NOISE_FLAT_MAX},
           "differences": diff_rows,
           "sources": {n: {"profile": ev_profile[n], **evidence[n]["provenance"]} for n in SOURCES}}
prov = io.provenance(profile, seed, resolve_device(device), wall_time_s=time.perf_counter() - t_start, notebook=NAME,
                     variant=cfg.loss.variant)
io.save_run(out, summary, config=cfg, provenance=prov)
for v, n in counts.items():
    glue(f"ledger_{v.replace(' ', '_')}", n, display=False)
for v, n in finding_counts.items():
    glue(f"finding_{v.replace(' ', '_')}", n, display=False)
print("saved", sorted(p.name for p in out.iterdir() if p.suffix != ".ipynb"))

# %% [markdown]
# ## Assertions

# %% tags=["hide-input"]
VERDICTS = {"reproduced", "partly", "not yet", "not tested"}
assert all(c["verdict"] in VERDICTS for c in ledger)
assert len({c["id"] for c in ledger}) == len(ledger) == 19
assert sum(counts.values()) == len(ledger)
assert all(c["verdict"] == "reproduced" for c in ledger if c["id"].endswith("-exact"))  # identities hold
assert len(differences) == 17 and all(len(r) == 4 for r in differences)
assert all(c["profile"] in results.PROFILE_ORDER for c in ledger if c["source"] != "—")
assert [f["id"] for f in findings] == [f"C{i}" for i in range(1, 92)]
assert all(f["verdict"] in {"confirmed", "partly", "refuted", "not tested"} for f in findings)
assert all(f["measured"].startswith("no saved results") == (f["verdict"] == "not tested") for f in findings)
print(f"{len(ledger)} claims, {len(findings)} findings, {len(differences)} differences")
