"""Configuration: frozen dataclasses and the one place where named profiles live.

A :class:`LensConfig` holds every knob of a SymmetryLens fit.  Profiles differ only in
size and schedule knobs (batch, steps, network width, learning rates); the method is the
same in every profile unless a profile selects a named loss variant (see :data:`LOSS_VARIANTS`).

Two published loss variants exist (reproduction spec §1.9, §3):

``"v1"``
    the code that produced the arXiv v1 runs: (α, β, γ, δ) = (1.5, 2.5, 1.5, 1.0),
    soft-threshold gain 100, uniformity = reg1 + reg2.
``"head"``
    the later (v2-era) code: (1, 2, 1, 0.75), gain 50, uniformity = ½ (reg1 + reg2).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields, replace

__all__ = [
    "LossConfig",
    "LensConfig",
    "LOSS_VARIANTS",
    "StudyConfig",
    "STUDIES",
    "get_study",
    "PROFILES",
    "PROFILE_NOTES",
    "loss_variant",
    "RECIPES",
    "get_profile",
    "profile_names",
]


def _between(start: float, end: float, u):
    """start + (end - start) u with u clipped to [0, 1]; a tensor u (also under vmap in
    symlens.batched) stays a tensor."""
    u = u.clamp(0.0, 1.0) if hasattr(u, "clamp") else min(1.0, max(0.0, u))
    return start + (end - start) * u


@dataclass(frozen=True)
class LossConfig:
    """Coefficients of the total loss, eq. 13, and of its pieces.

    ``L = alpha L_align + beta * uniformity_scale * (reg1 + reg2)
          + gamma mean_i H(y_i) - (gamma + delta) H_r(y)``
    """

    variant: str = "v1"
    alpha: float = 1.5  # alignment, eq. 9
    beta: float = 2.5  # uniformity, eqs. 7-8
    gamma: float = 1.5  # resolution, eq. 11 (marginal-entropy coefficient)
    delta: float = 1.0  # information preservation, eq. 12
    gain: float = 100.0  # soft-threshold gain g, eq. 17
    uniformity_scale: float = 1.0  # 1 (v1: reg1 + reg2) or 0.5 (head: half sum)
    estimator_l2: float = 1e-5  # non-squared Frobenius penalty on the conditional MLP weights
    # not in the paper: a resolution weight that starts at gamma_start at tau = 0 and grows
    # linearly to gamma at tau = gamma_ramp_tau (the marginal-entropy term favours a filter
    # matched to wide bumps while the chain forms: results/lab/resolution_weight/); None keeps
    # gamma constant (faithful)
    gamma_start: float | None = None
    gamma_ramp_tau: float = 0.6
    # not in the paper: an alignment weight that stays alpha up to tau = alpha_fade_tau and then
    # falls linearly to alpha_end at tau = 1 (near the truth the alignment alone pulls Legendre
    # pixels toward blurred estimates: results/lab/alignment_pull/); None keeps alpha constant
    # (faithful)
    alpha_end: float | None = None
    alpha_fade_tau: float = 0.3
    # not in the paper: the weight of ‖K Kᵀ − I‖²_F / N on the clean lift K
    # (symlens.losses.lift_orthogonality_loss), added to the total; 0: faithful
    orthogonality: float = 0.0

    def __post_init__(self):
        if not (math.isfinite(self.orthogonality) and self.orthogonality >= 0):
            raise ValueError(f"orthogonality must be finite and >= 0, got {self.orthogonality}")
        if self.gamma_start is not None and not self.gamma_start >= 0:
            raise ValueError(f"gamma_start must be >= 0 or None, got {self.gamma_start}")
        if not 0 < self.gamma_ramp_tau <= 1:
            raise ValueError(f"gamma_ramp_tau must lie in (0, 1], got {self.gamma_ramp_tau}")
        if self.alpha_end is not None and not (math.isfinite(self.alpha_end) and self.alpha_end >= 0):
            raise ValueError(f"alpha_end must be finite and >= 0, or None; got {self.alpha_end}")
        if not 0 <= self.alpha_fade_tau < 1:
            raise ValueError(f"alpha_fade_tau must lie in [0, 1), got {self.alpha_fade_tau}")

    def alignment_weight(self, tau: float) -> float:
        """The coefficient on eq. 9's term at training time τ: ``alpha``, or with ``alpha_end``
        set, ``alpha`` up to ``alpha_fade_tau`` and then linear to ``alpha_end`` at τ = 1."""
        if self.alpha_end is None:
            return self.alpha
        return _between(self.alpha, self.alpha_end, (tau - self.alpha_fade_tau) / (1.0 - self.alpha_fade_tau))

    def resolution_weight(self, tau: float) -> float:
        """The coefficient on eq. 11's term at training time τ: ``gamma``, or with
        ``gamma_start`` set, ``gamma_start + (gamma - gamma_start) min(1, τ / gamma_ramp_tau)``."""
        if self.gamma_start is None:
            return self.gamma
        return _between(self.gamma_start, self.gamma, tau / self.gamma_ramp_tau)


LOSS_VARIANTS: dict[str, LossConfig] = {
    "v1": LossConfig("v1", 1.5, 2.5, 1.5, 1.0, 100.0, 1.0),
    "head": LossConfig("head", 1.0, 2.0, 1.0, 0.75, 50.0, 0.5),
}


def loss_variant(name: str) -> LossConfig:
    """The :class:`LossConfig` of a named published variant (``"v1"`` or ``"head"``)."""
    try:
        return LOSS_VARIANTS[name]
    except KeyError:
        raise ValueError(
            f"unknown loss variant {name!r}; choose one of {sorted(LOSS_VARIANTS)}"
        ) from None


#: The band of τ that ``tau_dwell`` slows down: where N = 33 fits still move their domain
#: walls (benchmarks/wall_history.py); the default of ``LensConfig.tau_dwell_band``
TAU_DWELL_BAND = (0.2, 0.6)


@dataclass(frozen=True)
class LensConfig:
    """Every setting of a fit.  Sizes are for N = 33 unless noted.

    Schedules count *epochs* of ``steps_per_epoch`` optimiser steps, as the authors' code
    does (spec §6 item 15): learning rates decay log-linearly per epoch, and the filter
    noise decays as ``exp(-epoch / noise_decay_epochs)``.
    """

    # model (spec §1.2-1.4)
    padding: int | None = None  # P; None -> P = N
    init_std: float = 1e-3  # A_ij ~ N(0, init_std^2), eq. 6
    filter_noise: float = 0.1  # sigma_0, eq. 20
    noise_decay_epochs: float = 10.0  # t_0, eq. 20
    # input centring before the lift (spec §1.2): "scalar" subtracts one mean over the batch
    # and all components, as the authors' code does (faithful, but not invariant under an
    # orthogonal change of basis); "component" subtracts each component's batch mean, which
    # commutes with any orthogonal Q (see the book's differences page)
    centring: str = "scalar"
    # "free": ψ is a free parameter that enters only through ψ/‖ψ‖ (eq. 21, faithful); its
    # norm grows under Adam, so later steps and the fixed-σ filter noise move ψ̂ less and
    # less.  "unit": ψ is projected back to unit norm after every step, which keeps the
    # filter's mobility and the noise's relative size constant (same loss, same ψ̂).
    filter_norm: str = "free"
    # τ of eq. 18 runs from 0 (faithful) or from tau_start to 1: the rank window starts open
    tau_start: float = 0.0
    # the clock τ is read from: "lr" weights each step by the model learning rate (eq. 18,
    # faithful), so with a decaying rate the early half of τ passes in the first quarter of
    # the steps; "steps" makes τ linear in the step count, so the rank window opens at an
    # even pace
    tau_clock: str = "lr"
    # how much longer τ takes to cross TAU_DWELL_BAND (0.2-0.6) than the clock alone gives
    # (1: faithful); the rest of the clock is compressed to keep the steps.  Domain walls
    # form at τ ≈ 0.1-0.2, can still move until τ ≈ 0.6 and freeze after (convergence page,
    # "when the walls form"), and the faithful clock crosses that band in 20 % of the steps
    tau_dwell: float = 1.0
    # the band (a, b) of τ that tau_dwell slows down, 0 <= a < b <= 1.  The default is where
    # walls still move; (0, 0.2), where they form, asks whether a slower passage through the
    # ordering makes fewer of them (Kibble-Zurek), instead of trying to move them afterwards
    tau_dwell_band: tuple[float, float] = TAU_DWELL_BAND
    # the model subsystem's optimiser: "adam" (faithful) normalises each coordinate of A and
    # ψ by its own gradient scale, so the weak-gradient padding block of A moves as fast as
    # the window block and the trajectory depends on the data's basis; "adam-tensorwise" uses
    # one second-moment scalar per tensor (symlens.optim), which is basis-independent but
    # converged worse in the convergence study (book: differences page); "adam-covariance"
    # is elementwise Adam in the eigenbasis of the training set's covariance (the same model
    # reparametrised, so the same objective): basis-independent, and each frequency pair of
    # A gets its own step size, as the dst datasets' own coordinates nearly give it
    model_optimizer: str = "adam"
    # with "adam-covariance": the training time τ at which Adam leaves the covariance basis and
    # returns to the data's own coordinates (its moments carried over), for the late phase;
    # None: never.  In the N = 21 laboratory the eigenbasis forms the chains early and the
    # pixel basis sharpens them late
    covariance_until_tau: float | None = None
    # every this many steps, move the filter ψ to the middle of the chain the generator draws
    # (symlens.recentre): eq. 5 transports ψ by ±(N-1)/2 powers only, so an off-centre filter
    # leaves the far end of the window unseen by the loss.  0: never (faithful)
    recentre_filter_every: int = 0
    # the estimators' learning rate is estimator_lr x this (1: faithful).  The compressed
    # profiles run the model at 300x the paper's rate but the estimators at 3x, and the
    # estimators then lag behind the model and walls freeze (mechanism 5); 4 removes them at
    # N = 15 and lifts the DST datasets at N = 33 (book: convergence page)
    estimator_lr_scale: float = 1.0
    # the filter ψ's learning rate is the model's x this (1: faithful, one rate for A and ψ).
    # The Legendre fits keep an early band-pass filter that never sharpens (mechanism 2); a
    # faster or slower filter asks whether its mobility is what holds it
    filter_lr_scale: float = 1.0
    # after every step, add generator_noise x lr(step) x Z to the generator's parameter A
    # (Z i.i.d. standard normal, its own seeded stream; the kick is this many Adam steps and
    # decays with the model rate).  A domain wall costs the same wherever it sits, so without
    # noise nothing moves it; its law does not depend on the data's basis.  0: never (faithful)
    generator_noise: float = 0.0
    # estimators (spec §1.11)
    n_kernels: int = 4
    hidden: int | None = None  # conditional MLP width H; None -> 16 N (528 for N = 33)
    # the data dimension batch_size and hidden are written for.  None: they hold at every N
    # (the paper profile: its width is 16 N already).  Set (the compressed profiles: 33), a
    # fit at dimension N uses batch_size // size_dim samples per dimension and a width
    # scaled by N / size_dim (:meth:`for_dim`), so a step's cost and the samples per
    # conditional slot stay those of the profile at every N, as the paper's sizes scale
    size_dim: int | None = None
    # data feed (spec §2.1 item 9)
    batch_size: int = 16_500
    n_batches: int = 100  # size of the fixed training set in batches (make_dataset n = n_batches * B)
    # optimisation (spec §3)
    epochs: int = 10_000
    steps_per_epoch: int = 100
    model_lr: float = 1e-4
    estimator_lr: float = 1e-3
    lr_decay: float = 0.1  # final lr / initial lr, log-spaced per epoch
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-7  # Keras default, as in the authors' runs
    loss: LossConfig = field(default_factory=lambda: LOSS_VARIANTS["v1"])
    # execution (no effect on the mathematics)
    compile: bool = False  # torch.compile the loss computation
    # seeded growth of the chain: until τ reaches reach_tau, the generator learns only through
    # the first r(τ) powers of each side of the lift (eq. 5), r growing linearly from 1 at
    # τ = 0 to (N-1)/2 at τ = reach_tau; the farther powers still enter the loss, through a
    # detached generator.  With every power training every link from the first step, far
    # links orient independently of the filter and freeze into domain walls (convergence
    # page, "growing the chain from the filter").  0: every power from the start (faithful)
    reach_tau: float = 0.0
    # at each of these training times τ, put the pixels the generator's chain visits back in
    # the order the data say is right (symlens.seriation): orthonormalise the lift's rows,
    # find the visiting order that maximises the neighbours' mutual information on training
    # data (2-opt and or-opt moves, which undo domain walls and jumps), and replace G by the
    # chain through that order.  Frozen walls are a path stuck in a local optimum that no
    # small step of G leaves (convergence page, "seriation").  (): never (faithful)
    seriate_tau: tuple[float, ...] = ()
    # a seriation stands only if the new order's path score is at most this much (relative)
    # above the current one's.  Undoing a wall or a jump gains a few per cent; a lift whose
    # rows are not an ordered path through resolved pixels (N = 7, some Legendre fits)
    # gains tens of per cent, and the chain built on it ruins the fit (convergence page,
    # "which seriations should stand").  None: no upper bar
    seriate_max_gain: float | None = None
    # whiten the data partly before the fit, x -> (C + whiten × mean eig C × I)^(-1/2) (x - μ)
    # (symlens.whitening), fitted on the training set and applied by transform and objective
    # too: wide bumps leave many covariance directions near zero, where the data say little
    # about which pixel neighbours which (convergence page, "Why the Legendre datasets
    # fail").  0 whitens fully.  None: never (faithful)
    whiten: float | None = None
    # after the schedule, this many more steps at τ = 1 with the final learning rates x
    # polish_lr_scale (filter noise decaying on).  The compressed profiles end their
    # log-linear decay while the chain is still sharpening: in the cpu targets table 13 of 18
    # fits were still gaining cos over their last 500 steps (convergence page, "polishing
    # the end").  The settings may differ from a checkpoint's, so a finished fit can be
    # polished further.  0: none (faithful)
    polish_steps: int = 0
    polish_lr_scale: float = 1.0
    # after the last step, replace G by the exact chain through its own lift's pixel estimates
    # (symlens.seriation.snap, current order: both ends of the chain leave through the
    # padding, the blur the polar factor removes is gone) when the snapped and the trained
    # window blocks agree to at least this cosine.  The loss never sees where G sends the
    # exit pixel, and at N = 7 a chain closed inside the window scores at most 0.926
    # (convergence page, "snapping the finished chain").  None: never (faithful)
    snap_end: float | None = None
    # at this step, reseed every random stream the rest of the fit draws from (the input
    # noise of both subsystems, the generator kicks, the batch order) from (seed,
    # branch_step, branch_seed): fits that differ only in branch_seed share every step before
    # branch_step and are independent continuations after it.  A tool for asking how much of
    # a fit's end is decided by then (convergence page, "one start, several ends"), not a
    # change to the method.  None: never (faithful)
    branch_step: int | None = None
    branch_seed: int = 0
    # bookkeeping
    log_every: int = 100
    checkpoint_every: int = 1_000
    snapshot_every: int = 0  # 0: no generator/K snapshots in the history

    def __post_init__(self):
        # pairs arrive as lists from JSON (saved runs, checkpoints) and the command line; a
        # frozen config keeps them as tuples, so configs compare and hash alike either way
        for key in ("adam_betas", "tau_dwell_band", "seriate_tau"):
            object.__setattr__(self, key, tuple(getattr(self, key)))
        positive = ("init_std", "filter_noise", "noise_decay_epochs", "n_kernels", "batch_size",
                    "n_batches", "epochs", "steps_per_epoch", "model_lr", "estimator_lr",
                    "lr_decay", "adam_eps", "log_every", "checkpoint_every", "estimator_lr_scale",
                    "filter_lr_scale", "tau_dwell", "polish_lr_scale")
        bad = [f"{k}={getattr(self, k)!r}" for k in positive if not getattr(self, k) > 0]
        bad += [f"{k}={getattr(self, k)!r}"
                for k in ("padding", "hidden", "snapshot_every", "recentre_filter_every", "size_dim",
                          "polish_steps")
                if getattr(self, k) is not None and getattr(self, k) < (1 if k in ("hidden", "size_dim") else 0)]
        if bad:
            raise ValueError(f"invalid configuration value(s): {', '.join(bad)} (must be positive)")
        if not 0.0 <= self.generator_noise < math.inf:
            raise ValueError(f"generator_noise must be a finite number >= 0, got {self.generator_noise!r}")
        if self.centring not in CENTRINGS:
            raise ValueError(f"unknown centring {self.centring!r}; choose one of {CENTRINGS}")
        band = self.tau_dwell_band
        if len(band) != 2 or not 0.0 <= band[0] < band[1] <= 1.0:
            raise ValueError(f"tau_dwell_band must be (a, b) with 0 <= a < b <= 1, got {self.tau_dwell_band!r}")
        if not 0.0 <= self.reach_tau <= 1.0:
            raise ValueError(f"reach_tau must lie in [0, 1], got {self.reach_tau!r}")
        if self.whiten is not None and not 0.0 <= self.whiten < math.inf:
            raise ValueError(f"whiten must be None or a finite strength >= 0, got {self.whiten!r}")
        if self.snap_end is not None and not 0.0 < self.snap_end <= 1.0:
            raise ValueError(f"snap_end must be None or a cosine in (0, 1], got {self.snap_end!r}")
        if self.seriate_max_gain is not None and not self.seriate_max_gain > 0.01:
            raise ValueError(f"seriate_max_gain must exceed the 1 % bar a seriation needs (0.01), "
                             f"got {self.seriate_max_gain!r}")
        if self.branch_step is not None and not (int(self.branch_step) == self.branch_step >= 1
                                                 and self.branch_step < self.fit_steps):
            raise ValueError(f"branch_step must be None or a step between 1 and {self.fit_steps - 1} "
                             f"(the fit's last), got {self.branch_step!r}")
        if not int(self.branch_seed) == self.branch_seed >= 0:
            raise ValueError(f"branch_seed must be an integer >= 0, got {self.branch_seed!r}")
        if self.branch_seed and self.branch_step is None:
            raise ValueError(f"branch_seed={self.branch_seed!r} needs branch_step (the step to branch at)")
        taus = self.seriate_tau
        if not all(0.0 < t <= 1.0 for t in taus) or list(taus) != sorted(set(taus)):
            raise ValueError(f"seriate_tau must be increasing training times in (0, 1], got {taus!r}")
        if not 0.0 <= self.tau_start < 1.0:
            raise ValueError(f"tau_start must lie in [0, 1), got {self.tau_start!r}")
        if self.tau_clock not in TAU_CLOCKS:
            raise ValueError(f"unknown tau_clock {self.tau_clock!r}; choose one of {TAU_CLOCKS}")
        if self.model_optimizer not in MODEL_OPTIMIZERS:
            raise ValueError(f"unknown model_optimizer {self.model_optimizer!r}; choose one of {MODEL_OPTIMIZERS}")
        if self.covariance_until_tau is not None:
            if self.model_optimizer != "adam-covariance":
                raise ValueError("covariance_until_tau needs model_optimizer='adam-covariance', "
                                 f"got {self.model_optimizer!r}")
            if not 0.0 < self.covariance_until_tau < 1.0:
                raise ValueError(f"covariance_until_tau must be None or a training time in (0, 1), "
                                 f"got {self.covariance_until_tau!r}")
        if self.filter_norm not in FILTER_NORMS:
            raise ValueError(f"unknown filter_norm {self.filter_norm!r}; choose one of {FILTER_NORMS}")
        if self.size_dim is not None and self.batch_size < self.size_dim:
            raise ValueError(f"batch_size {self.batch_size} is less than one sample per dimension "
                             f"of size_dim {self.size_dim}")

    @property
    def total_steps(self) -> int:
        """Steps of the schedule (epochs x steps_per_epoch): τ reaches 1 at the last one."""
        return self.epochs * self.steps_per_epoch

    @property
    def fit_steps(self) -> int:
        """Steps a fit trains: the schedule's ``total_steps`` plus ``polish_steps``."""
        return self.total_steps + self.polish_steps

    @property
    def scaled_estimator_lr(self) -> float:
        """The estimators' initial learning rate: ``estimator_lr`` x ``estimator_lr_scale``."""
        return self.estimator_lr * self.estimator_lr_scale

    @property
    def training_samples(self) -> int:
        """Size of the fixed training set a named dataset is drawn with: n_batches x batch_size."""
        return self.n_batches * self.batch_size

    def resolved_padding(self, dim: int) -> int:
        return dim if self.padding is None else self.padding

    def resolved_hidden(self, dim: int) -> int:
        return 16 * dim if self.hidden is None else self.hidden

    def for_dim(self, dim: int) -> "LensConfig":
        """The concrete sizes for data of dimension ``dim``: with ``size_dim`` set, the batch
        becomes (batch_size // size_dim) x dim and the width round(H x dim / size_dim), with
        H the width at size_dim; ``size_dim`` is then None.  Without it, the config itself.

        The cpu profile (2 046 = 62 x 33, H = 264 = 8 x 33) gives 434 and 56 at N = 7.
        """
        if self.size_dim is None:
            return self
        if dim < 1:
            raise ValueError(f"dim must be positive, got {dim}")
        per_dim = self.batch_size // self.size_dim
        hidden = max(1, round(self.resolved_hidden(self.size_dim) * dim / self.size_dim))
        return replace(self, batch_size=per_dim * dim, hidden=hidden, size_dim=None)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "LensConfig":
        d = dict(d)
        d["loss"] = LossConfig(**d["loss"])
        return cls(**d)


CENTRINGS = ("scalar", "component")
FILTER_NORMS = ("free", "unit")
TAU_CLOCKS = ("lr", "steps")
MODEL_OPTIMIZERS = ("adam", "adam-tensorwise", "adam-covariance")

#: Named recipes: settings of the options that change the method (not its size).
#: ``"faithful"`` is the authors' method; ``"symlens"`` is the best recipe the convergence
#: study found (book: differences page, convergence page), the default of
#: :class:`~symlens.lens.SymmetryLens` for a named profile.
RECIPES: dict[str, dict] = {
    "faithful": dict(centring="scalar", filter_norm="free", tau_start=0.0, tau_clock="lr", tau_dwell=1.0,
                     model_optimizer="adam", recentre_filter_every=0, estimator_lr_scale=1.0,
                     filter_lr_scale=1.0, generator_noise=0.0, tau_dwell_band=TAU_DWELL_BAND, reach_tau=0.0, seriate_tau=(),
                     seriate_max_gain=None, whiten=None, snap_end=None, branch_step=None,
                     branch_seed=0),
    "symlens": dict(centring="component", filter_norm="unit", tau_start=0.0, tau_clock="lr", tau_dwell=1.0,
                    model_optimizer="adam", recentre_filter_every=0, estimator_lr_scale=4.0,
                    filter_lr_scale=1.0, generator_noise=0.0, tau_dwell_band=TAU_DWELL_BAND, reach_tau=0.0, seriate_tau=(0.8,),
                    seriate_max_gain=0.1, whiten=None, snap_end=None, branch_step=None,
                    branch_seed=0),
}

_LOSS_FIELDS = {f.name for f in fields(LossConfig)} - {"variant"}
_LENS_FIELDS = {f.name for f in fields(LensConfig)} - {"loss"}


# Profiles: size and schedule knobs only (batch, steps, width, learning rates); the method
# is the same in all of them.  "paper" is spec §7 (the v1 runs).
_CPU = LensConfig(
    batch_size=33 * 62,
    n_batches=40,
    hidden=264,
    size_dim=33,
    epochs=120,
    steps_per_epoch=50,
    model_lr=3e-2,
    estimator_lr=3e-3,
    noise_decay_epochs=2.0,
    log_every=50,
    checkpoint_every=500,
    snapshot_every=400,
)

PROFILES: dict[str, LensConfig] = {
    "paper": LensConfig(),
    "smoke": LensConfig(
        batch_size=33 * 31,
        n_batches=8,
        hidden=99,
        size_dim=33,
        epochs=8,
        steps_per_epoch=25,
        model_lr=3e-3,
        estimator_lr=1e-2,
        noise_decay_epochs=1.0,
        log_every=10,
        checkpoint_every=100,
        snapshot_every=60,
    ),
    "cpu": _CPU,
    # the cpu profile's batch with twice its steps, for a GPU, where all runs of a study are
    # stacked into one batched computation (symlens.batched)
    "fast": replace(_CPU, epochs=240),
}

PROFILE_NOTES: dict[str, str] = {
    "paper": "the paper's v1 settings (spec §7): B = 16 500, 10 000 epochs x 100 steps; a GPU job",
    "smoke": "a few hundred steps at B = 1 023; checks the pipeline, not the method's accuracy",
    "cpu": "6 000 steps at B = 2 046 with 300x / 3x the paper's learning rates: about 7 minutes of "
           "steps on 2 idle CPU cores with the fused step (0.069 s/step), 11-12 minutes on one thread "
           "(14 minutes with the earlier step); a fit is a draw: one dataset of six converges, "
           "gaussian-translation seed 0 reached 0.90 on 2 threads and 0.49 on one, see benchmarks/README.md",
    "fast": "12 000 steps at B = 2 046 (the cpu profile's settings, twice the steps), meant for a GPU "
            "with the runs stacked (SYMLENS_BATCHED=1); measured on an H200 only up to step 5 788 "
            "(cos 0.93 / 0.95 / 0.77 on gaussian-translation seeds 0-2), see benchmarks/README.md",
}


@dataclass(frozen=True)
class StudyConfig:
    """How much a notebook or study runs under a profile: seeds and datasets (size knobs only)."""

    seeds: tuple[int, ...] = (0,)
    datasets: tuple[str, ...] = (
        "gaussian-translation", "gaussian-permuted", "gaussian-dst",
        "legendre-translation", "legendre-permuted", "legendre-dst",
    )
    n_eval: int = 4096  # held-out samples for scoring representations


STUDIES: dict[str, StudyConfig] = {
    "smoke": StudyConfig(seeds=(0,), n_eval=1024),
    "cpu": StudyConfig(seeds=(0, 1)),  # 12 fits x about 7 min on 2 idle CPU cores
    "fast": StudyConfig(seeds=(0, 1, 2)),
    "paper": StudyConfig(seeds=(0, 1, 2)),
}


def get_study(profile: str) -> StudyConfig:
    """The :class:`StudyConfig` of a profile (seeds and datasets a study runs)."""
    try:
        return STUDIES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; choose one of {profile_names()}") from None


def profile_names() -> list[str]:
    return sorted(PROFILES)


def get_profile(name: str = "smoke", recipe: str | None = None, **overrides) -> LensConfig:
    """The named profile with ``overrides`` applied.

    ``recipe`` (``"faithful"`` or ``"symlens"``, see :data:`RECIPES`) sets the method
    options first; None keeps the profile's own (every profile is faithful).  Overrides are
    :class:`LensConfig` or :class:`LossConfig` field names, plus ``variant="v1"|"head"``
    which selects a published loss variant first (individual loss coefficients given
    beside it win); they win over the recipe.  A ``batch_size`` or ``hidden`` given here
    is taken literally at every N (``size_dim`` becomes None unless it is given too).

    Raises
    ------
    ValueError
        unknown profile, recipe, variant or override name.
    """
    if recipe is not None:
        if recipe not in RECIPES:
            raise ValueError(f"unknown recipe {recipe!r}; choose one of {sorted(RECIPES)}")
        overrides = {**RECIPES[recipe], **overrides}
    if isinstance(name, LensConfig):
        cfg = name
    else:
        try:
            cfg = PROFILES[name]
        except KeyError:
            raise ValueError(
                f"unknown profile {name!r}; choose one of {profile_names()}"
            ) from None
    overrides = dict(overrides)
    loss = cfg.loss
    if "variant" in overrides:
        loss = loss_variant(overrides.pop("variant"))
    if "loss" in overrides:
        loss = overrides.pop("loss")
    loss_kw = {k: overrides.pop(k) for k in list(overrides) if k in _LOSS_FIELDS}
    unknown = sorted(set(overrides) - _LENS_FIELDS)
    if unknown:
        raise ValueError(
            f"unknown configuration key(s) {unknown}; valid keys are "
            f"{sorted(_LENS_FIELDS | _LOSS_FIELDS | {'variant'})}"
        )
    if loss_kw:
        loss = replace(loss, **loss_kw)
    if ("batch_size" in overrides or "hidden" in overrides) and "size_dim" not in overrides:
        overrides["size_dim"] = None  # sizes given by hand are meant at the data's own N
    return replace(cfg, loss=loss, **overrides)
