"""symlens.train: two subsystems with their own optimisers (spec §1.5, §3), schedules wired
into the optimisers, batch order, checkpoints and their frequency."""

import platform
import sys

import numpy as np
import pytest
import torch

from symlens import train as train_mod
from symlens.config import get_profile
from symlens.losses import ModelLoss, estimator_loss, model_loss
from symlens.metrics import cosine_similarity
from symlens.schedules import training_time
from symlens.train import CHECKPOINT_NAME, Trainer, resolve_device

N = 7


def _cfg(**kw):
    base = dict(epochs=2, steps_per_epoch=4, hidden=8, batch_size=N * 4, n_batches=2, padding=3,
                log_every=2, checkpoint_every=3, snapshot_every=0, model_lr=1e-2, estimator_lr=1e-2)
    base.update(kw)
    return get_profile("smoke", **base)


def _X(n=N * 8, seed=0):
    g = np.random.default_rng(seed)
    s = np.cumsum(g.normal(size=(n, N + 4)), axis=1)[:, 4:]  # smooth, local-ish rows
    return torch.tensor(s - s.mean(1, keepdims=True), dtype=torch.float32)


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def _changed(before, module):
    return {k for k, v in module.named_parameters() if not torch.equal(before[k], v.detach())}


def test_parameter_count_of_the_paper_model():
    # spec §3: 99² + 33 + 3·33·4 + 3·(33·528 + 528 + 528·132 + 132) = 273 570 trainable parameters
    tr = Trainer(get_profile("paper"), 33, seed=0)
    counts = [sum(p.numel() for p in m.parameters()) for m in (tr.model, tr.marginal, tr.conditional)]
    assert counts == [9801 + 33, 396, 263_340]
    assert sum(counts) == 273_570


@pytest.mark.parametrize("reference", [False, True])
def test_orthogonality_weight_adds_its_term_on_the_clean_lift(reference):
    # the total with LossConfig.orthogonality = w is the faithful total plus w ‖K Kᵀ − I‖²_F / N
    # of the noise-free lift, computed here from the trained matrices by NumPy
    w = 0.3
    x = _X()[: N * 4]
    noise = 0.05 * torch.randn(N, generator=torch.Generator().manual_seed(1))
    totals = []
    for weight in (0.0, w):
        tr = Trainer(_cfg(orthogonality=weight), N, seed=0, reference=reference)
        with torch.no_grad():
            tr.system.model.filter.psi.copy_(torch.linspace(-1.0, 1.0, N) ** 2)
            terms, _ = tr.system(x, noise, noise, torch.tensor(0.3))
        totals.append(float(terms[0]))
    K = tr.model.matrix(None).detach().double().numpy()
    expected = np.square(K @ K.T - np.eye(N)).sum() / N
    assert expected > 0.1
    assert totals[1] == pytest.approx(totals[0] + w * expected, rel=1e-5, abs=1e-5)


def test_optimisers_own_disjoint_subsystems():
    tr = Trainer(_cfg(), N, seed=0)
    model_ids = {id(p) for p in tr.model.parameters()}
    est_ids = {id(p) for m in (tr.marginal, tr.conditional) for p in m.parameters()}
    opt_model = {id(p) for g in tr.opt_model.param_groups for p in g["params"]}
    opt_est = {id(p) for g in tr.opt_est.param_groups for p in g["params"]}
    assert opt_model == model_ids and opt_est == est_ids and not (model_ids & est_ids)


def test_each_loss_reaches_only_its_own_subsystem():
    tr = Trainer(_cfg(), N, seed=0)
    x = _X()[: 4 * N]
    y = tr.model(x, 0.1 * torch.randn(N, generator=torch.Generator().manual_seed(1)))
    model_loss(y, tr.marginal, tr.conditional, 0.3, tr.config.loss).total.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in tr.model.parameters())
    assert all(p.grad is None for m in (tr.marginal, tr.conditional) for p in m.parameters())
    tr.model.zero_grad(set_to_none=True)
    y = tr.model(x, 0.1 * torch.randn(N, generator=torch.Generator().manual_seed(2)))
    estimator_loss(y, tr.marginal, tr.conditional, 1e-5).backward()
    assert all(p.grad is None for p in tr.model.parameters())
    assert all(p.grad is not None for m in (tr.marginal, tr.conditional) for p in m.parameters())


def test_train_step_with_one_loss_zeroed_moves_only_the_other_subsystem(monkeypatch):
    x = _X()[: 4 * N]
    # estimator loss x 0: Adam sees zero gradients there, so only a leak of the model loss
    # into the estimators could move them
    real_est = train_mod.estimator_loss
    monkeypatch.setattr(train_mod, "estimator_loss", lambda *a, **k: 0.0 * real_est(*a, **k))
    tr = Trainer(_cfg(), N, seed=0)
    mb, eb_m, eb_c = _snapshot(tr.model), _snapshot(tr.marginal), _snapshot(tr.conditional)
    tr.train_step(x)
    assert _changed(mb, tr.model) == {"generator.A", "filter.psi"}
    assert not _changed(eb_m, tr.marginal) and not _changed(eb_c, tr.conditional)
    monkeypatch.undo()

    # model loss x 0: only a leak of the estimator loss into the model could move G or ψ
    real_model = train_mod.model_loss

    def zeroed(*a, **k):
        t = real_model(*a, **k)
        return ModelLoss(**{**t.__dict__, "total": 0.0 * t.total})

    monkeypatch.setattr(train_mod, "model_loss", zeroed)
    tr = Trainer(_cfg(), N, seed=0)
    mb, eb_m, eb_c = _snapshot(tr.model), _snapshot(tr.marginal), _snapshot(tr.conditional)
    tr.train_step(x)
    assert not _changed(mb, tr.model)
    assert _changed(eb_m, tr.marginal) == {"logits", "log_var", "means"}
    assert _changed(eb_c, tr.conditional) == {"W1", "b1", "W2", "b2"}


@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_train_step_sets_scheduled_learning_rates_and_tau(monkeypatch, scale):
    cfg = _cfg(epochs=3, steps_per_epoch=2, model_lr=1e-2, estimator_lr=1e-1, lr_decay=0.01,
               estimator_lr_scale=scale)
    seen = []
    real = train_mod.model_loss
    monkeypatch.setattr(train_mod, "model_loss", lambda y, m, c, tau, lc, **k: seen.append(tau) or real(y, m, c, tau, lc, **k))
    tr = Trainer(cfg, N, seed=0)
    x = _X()[: 4 * N]
    for step in range(cfg.total_steps):
        tr.train_step(x)
        epoch = step // 2
        assert tr.opt_model.param_groups[0]["lr"] == pytest.approx(1e-2 * 0.1 ** epoch, rel=1e-12)
        assert tr.opt_est.param_groups[0]["lr"] == pytest.approx(scale * 1e-1 * 0.1 ** epoch, rel=1e-12)
    assert tr.step == cfg.total_steps
    assert seen[-1] == 1.0 and seen == [training_time(cfg, s) for s in range(cfg.total_steps)]


def test_filter_lr_scale_moves_the_filter_by_its_own_adam_step():
    # Adam's first step moves each coordinate by lr * g / (|g| + eps) = ±lr wherever |g| >> eps,
    # so the filter moves by 3 lr and the generator by lr (filter_norm "free": no projection)
    lr, scale = 1e-2, 3.0
    tr = Trainer(_cfg(model_lr=lr, filter_lr_scale=scale, filter_norm="free"), N, seed=0)
    assert [g.get("lr_scale", 1.0) for g in tr.opt_model.param_groups] == [1.0, scale]
    A0, psi0 = tr.model.generator.A.detach().clone(), tr.model.filter.psi.detach().clone()
    tr.train_step(_X()[: 4 * N])
    dA, dpsi = (tr.model.generator.A.detach() - A0).abs(), (tr.model.filter.psi.detach() - psi0).abs()
    moved_A, moved_psi = dA[dA > 1e-9], dpsi[dpsi > 1e-9]
    assert len(moved_psi) == N and len(moved_A) > 0
    assert torch.allclose(moved_psi, torch.full_like(moved_psi, scale * lr), rtol=1e-3)
    # A's padding block has gradients near eps, which step less than lr; none steps more
    assert float(moved_A.max()) == pytest.approx(lr, rel=1e-3) and bool((moved_A <= lr * 1.001).all())
    assert float((moved_A > 0.999 * lr).float().mean()) > 0.5
    assert tr.opt_model.param_groups[1]["lr"] == pytest.approx(scale * tr.opt_model.param_groups[0]["lr"])


def test_filter_lr_scale_one_keeps_the_faithful_single_group():
    tr = Trainer(_cfg(), N, seed=0)
    assert len(tr.opt_model.param_groups) == 1 and len(tr.opt_model.param_groups[0]["params"]) == 2
    with pytest.raises(ValueError, match="filter_lr_scale"):
        _cfg(filter_lr_scale=0.0)


def test_each_step_runs_two_forward_passes_with_fresh_scheduled_noise():
    cfg = _cfg(filter_noise=0.2, noise_decay_epochs=0.5, steps_per_epoch=4)
    tr = Trainer(cfg, N, seed=0)
    noises = []
    real = tr.model.forward
    tr.model.forward = lambda x, noise=None, **k: noises.append(noise.clone()) or real(x, noise, **k)
    x = _X()[: 4 * N]
    for _ in range(3):
        tr.train_step(x)
    assert len(noises) == 6  # one pass for the model loss, one for the estimator loss
    for i in range(0, 6, 2):
        assert not torch.equal(noises[i], noises[i + 1])  # fresh draws
    # σ(t) = σ₀ exp(-t/t₀), t = step / steps_per_epoch: the draws' scale follows it
    rms = [float(torch.cat(noises[i:i + 2]).pow(2).mean().sqrt()) for i in (0, 2, 4)]
    sig = [0.2 * np.exp(-s / 4 / 0.5) for s in range(3)]
    ratios = np.array(rms) / np.array(sig)
    assert np.all((ratios > 0.3) & (ratios < 2.0))
    assert rms[0] > 2 * rms[2]  # decays by e over 2 steps here


def test_batches_cover_the_data_once_per_pass_and_are_seeded():
    cfg = _cfg(batch_size=N * 2)
    n = N * 2 * 5  # 5 batches per pass
    a, b, c = Trainer(cfg, N, seed=0), Trainer(cfg, N, seed=0), Trainer(cfg, N, seed=1)
    first_pass = np.concatenate([a._batch_indices(n, s) for s in range(5)])
    assert sorted(first_pass) == list(range(n))
    second = np.concatenate([a._batch_indices(n, s) for s in range(5, 10)])
    assert sorted(second) == list(range(n)) and not np.array_equal(first_pass, second)  # reshuffled
    np.testing.assert_array_equal(b._batch_indices(n, 7), a._batch_indices(n, 7))  # pure function of (seed, step)
    assert not np.array_equal(c._batch_indices(n, 0), a._batch_indices(n, 0))


def test_fit_records_history_and_cosine_similarity():
    cfg = _cfg()
    true = np.eye(N, k=-1)
    tr = Trainer(cfg, N, seed=0).fit(_X(), true_generator=true, progress=False)
    steps = [h["step"] for h in tr.history]
    assert steps == [1, 2, 4, 6, 8]  # step 1, every log_every, and the last
    last = tr.history[-1]
    for key in ("tau", "effective_rank", "filter_noise", "model_lr", "total", "alignment", "uniformity",
                "resolution", "information", "estimator", "cosine_similarity", "rmse"):
        assert key in last, key
    G = tr.model.generator().detach().numpy()
    expected = max(cosine_similarity(G, true), cosine_similarity(G, true.T))
    assert last["cosine_similarity"] == pytest.approx(expected, rel=1e-12)
    assert last["tau"] == 1.0
    no_truth = Trainer(cfg, N, seed=0).fit(_X(), progress=False, stop_at=2)
    assert all("cosine_similarity" not in h for h in no_truth.history)


def test_snapshots_follow_snapshot_every():
    tr = Trainer(_cfg(snapshot_every=3), N, seed=0).fit(_X(), progress=False)
    assert tr.snapshots["step"] == [0, 3, 6, 8]
    assert all(g.shape == (N, N) for g in tr.snapshots["generator"])


def test_checkpoint_every_interval_survives_a_kill(tmp_path, monkeypatch):
    cfg = _cfg(epochs=4, steps_per_epoch=4, checkpoint_every=5)
    tr = Trainer(cfg, N, seed=0)
    real = tr.train_step

    def dying(x):
        if tr.step == 12:
            raise KeyboardInterrupt("simulated kill")
        return real(x)

    monkeypatch.setattr(tr, "train_step", dying)
    with pytest.raises(KeyboardInterrupt):
        tr.fit(_X(), checkpoint_dir=tmp_path, progress=False)
    state = torch.load(tmp_path / CHECKPOINT_NAME, weights_only=False)
    assert state["step"] == 10  # the last multiple of checkpoint_every: at most one interval lost
    assert not list(tmp_path.glob("*.tmp"))
    # resuming from it continues at step 10
    tr2 = Trainer(cfg, N, seed=0)
    tr2.load_checkpoint(tmp_path)
    assert tr2.step == 10 and [h["step"] for h in tr2.history][-1] == 10


def test_stop_at_writes_a_checkpoint_at_that_step(tmp_path):
    tr = Trainer(_cfg(checkpoint_every=100), N, seed=0).fit(_X(), checkpoint_dir=tmp_path, progress=False, stop_at=3)
    assert tr.step == 3
    assert torch.load(tmp_path / CHECKPOINT_NAME, weights_only=False)["step"] == 3


def test_resumed_trainer_equals_uninterrupted(tmp_path):
    cfg = _cfg()
    X = _X()
    full = Trainer(cfg, N, seed=3).fit(X, progress=False)
    Trainer(cfg, N, seed=3).fit(X, checkpoint_dir=tmp_path, progress=False, stop_at=5)
    resumed = Trainer(cfg, N, seed=3)
    resumed.load_checkpoint(tmp_path)
    resumed.fit(X, progress=False)
    for a, b in ((full.model, resumed.model), (full.marginal, resumed.marginal), (full.conditional, resumed.conditional)):
        for (k, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
            assert torch.equal(p, q), k
    strip = lambda h: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in h]  # noqa: E731
    assert strip(full.history) == strip(resumed.history)


def test_a_finished_fit_polished_from_its_checkpoint_equals_a_fit_with_the_polish(tmp_path):
    # polish_steps may differ from the checkpoint's config; the schedule's steps are the same
    # either way, and continuing a finished fit gives what one uninterrupted fit gives
    X = _X()
    plain = Trainer(_cfg(), N, seed=2).fit(X, checkpoint_dir=tmp_path, progress=False)
    polished = Trainer(_cfg(polish_steps=3, polish_lr_scale=2.0), N, seed=2).fit(X, progress=False)
    assert plain.step == 8 and polished.step == 11
    assert [r["step"] for r in polished.history][-3:] == [8, 10, 11]
    assert all(r["tau"] == 1.0 for r in polished.history if r["step"] > 8)
    resumed = Trainer(_cfg(polish_steps=3, polish_lr_scale=2.0), N, seed=2)
    resumed.load_checkpoint(tmp_path)
    assert resumed.step == 8
    resumed.fit(X, progress=False)
    assert resumed.step == 11
    for (k, p), (_, q) in zip(polished.model.named_parameters(), resumed.model.named_parameters()):
        assert torch.equal(p, q), k
    assert not torch.equal(plain.model.generator.A, resumed.model.generator.A)  # the polish trained


def test_checkpoint_mismatch_and_missing(tmp_path):
    Trainer(_cfg(), N, seed=0).save_checkpoint(tmp_path)
    with pytest.raises(ValueError, match="seed"):
        Trainer(_cfg(), N, seed=1).load_checkpoint(tmp_path)
    with pytest.raises(ValueError, match="config"):
        Trainer(_cfg(epochs=3), N, seed=0).load_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        Trainer(_cfg(), N, seed=0).load_checkpoint(tmp_path / "missing")


def test_a_checkpoint_from_before_an_option_existed_resumes_as_its_default(tmp_path):
    # checkpoints of long runs span sessions; an option added in between was, for them, at its
    # default (faithful) value, so they resume; one whose option differs from the run does not
    tr = Trainer(_cfg(), N, seed=0)
    tr.step = 3
    path = tr.save_checkpoint(tmp_path)
    state = torch.load(path, weights_only=False)
    del state["config"]["estimator_lr_scale"], state["config"]["recentre_filter_every"]
    torch.save(state, path)
    again = Trainer(_cfg(), N, seed=0)
    again.load_checkpoint(tmp_path)
    assert again.step == 3
    with pytest.raises(ValueError, match="config"):
        Trainer(_cfg(estimator_lr_scale=2.0), N, seed=0).load_checkpoint(tmp_path)


def _one_step_A(cfg, step=0, seed=0):
    """The generator parameter A before and after optimiser step ``step`` of a fit on _X()."""
    tr = Trainer(cfg, N, seed=seed)
    X = _X()
    for _ in range(step):
        tr.train_step(X[: cfg.batch_size])
    before = tr.model.generator.A.detach().clone()
    tr.train_step(X[: cfg.batch_size])
    return before, tr.model.generator.A.detach().clone()


def test_generator_noise_zero_is_the_faithful_step_and_g_adds_g_lr_standard_normals():
    # from the same initial A the first step's Adam update is the same with and without the
    # kick, so the two fits differ by g x lr_0 x Z: Z's (N + 2P)² = 169 entries must be
    # standard normal (mean 0, standard deviation 1; sampling errors 0.08 and 0.05)
    plain = _one_step_A(_cfg())
    assert torch.equal(plain[1], _one_step_A(_cfg(generator_noise=0.0))[1])
    before, after = _one_step_A(_cfg(generator_noise=3.0))
    assert torch.equal(before, plain[0])
    Z = (after - plain[1]) / (3.0 * 1e-2)
    assert abs(float(Z.mean())) < 0.3 and abs(float(Z.std()) - 1.0) < 0.2


@pytest.mark.parametrize("step, lr", [(0, 1e-2), (3, 1e-2), (4, 1e-3), (7, 1e-3)])
def test_the_generator_kick_decays_with_the_model_rate(step, lr):
    # 2 epochs of 4 steps, rate 1e-2 decaying to 1e-3 log-spaced per epoch: epoch 0 at 1e-2,
    # epoch 1 at 1e-3; 4 000 draws give the standard deviation to about 1 %
    cfg = _cfg(generator_noise=0.5)
    A = torch.zeros(40, 100)
    train_mod.kick_generator(A, cfg, step, torch.Generator().manual_seed(1))
    assert float(A.std()) / (0.5 * lr) == pytest.approx(1.0, abs=0.05)


def test_generator_noise_resumes_from_a_checkpoint_exactly(tmp_path):
    cfg = _cfg(generator_noise=2.0)
    straight = Trainer(cfg, N, seed=4).fit(_X(), progress=False)
    first = Trainer(cfg, N, seed=4)
    first.fit(_X(), progress=False, checkpoint_dir=tmp_path, stop_at=3)
    again = Trainer(cfg, N, seed=4)
    again.load_checkpoint(tmp_path)
    again.fit(_X(), progress=False)
    assert again.step == straight.step == cfg.total_steps
    assert torch.equal(again.model.generator.A, straight.model.generator.A)


def test_fit_input_checks():
    with pytest.raises(ValueError, match="fewer than one batch"):
        Trainer(_cfg(), N, seed=0).fit(_X(n=N * 3), progress=False)
    with pytest.raises(ValueError, match="N = 7"):
        Trainer(_cfg(batch_size=30), N, seed=0).fit(_X(), progress=False)


def test_non_finite_loss_raises_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    real = train_mod.model_loss
    calls = []

    def blows_up(*a, **k):  # the 4th step's loss is infinite
        calls.append(1)
        t = real(*a, **k)
        return ModelLoss(**{**t.__dict__, "total": t.total + (float("inf") if len(calls) == 4 else 0.0)})

    monkeypatch.setattr(train_mod, "model_loss", blows_up)
    tr = Trainer(_cfg(log_every=1, checkpoint_every=1), N, seed=0)
    with pytest.raises(FloatingPointError, match="non-finite"):
        tr.fit(_X(), progress=False, checkpoint_dir=tmp_path)
    assert torch.load(tmp_path / CHECKPOINT_NAME, weights_only=False)["step"] == 3


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            resolve_device("cuda")


def test_time_limit_stops_logs_and_checkpoints(tmp_path):
    cfg = _cfg()
    tr = Trainer(cfg, N, seed=0).fit(_X(), checkpoint_dir=tmp_path, progress=False, time_limit_s=0.0)
    assert tr.step == 1 and [h["step"] for h in tr.history] == [1]
    later = Trainer(cfg, N, seed=0)
    later.load_checkpoint(tmp_path)
    assert later.step == 1
    later.fit(_X(), progress=False)
    assert later.step == cfg.total_steps


def test_unit_filter_norm_projects_psi_and_keeps_the_normalised_filter_of_the_free_step():
    free = Trainer(_cfg(), N, seed=0)
    unit = Trainer(_cfg(filter_norm="unit"), N, seed=0)
    x = _X()[: N * 4]
    free.train_step(x)
    unit.train_step(x)
    psi_free, psi_unit = free.model.filter.psi.detach(), unit.model.filter.psi.detach()
    # the first step from ψ = 0 is the same; projection only rescales it
    assert float(psi_unit.norm()) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(psi_unit.numpy(), (psi_free / psi_free.norm()).numpy(), atol=1e-6)
    for _ in range(5):
        free.train_step(x)
        unit.train_step(x)
    assert float(unit.model.filter.psi.norm()) == pytest.approx(1.0, abs=1e-6)
    assert abs(float(free.model.filter.psi.norm()) - 1.0) > 1e-3  # free: the norm wanders
    with pytest.raises(ValueError, match="unknown filter_norm"):
        _cfg(filter_norm="sphere")


def test_tune_cpu_allocator_is_idempotent():
    from symlens.train import tune_cpu_allocator

    first = tune_cpu_allocator()
    assert first in (True, False) and tune_cpu_allocator() == first
    if sys.platform.startswith("linux") and "glibc" in " ".join(platform.libc_ver()):
        assert first  # mallopt accepted both settings


def _params(tr):
    return {k: v.detach().clone() for k, v in tr.system.named_parameters()}


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_a_branched_fit_shares_every_step_before_the_branch_and_none_after():
    # ground truth: the unbranched fit stopped at the branch step, and the seeds' own streams
    X = _X()
    plain = Trainer(_cfg(), N, seed=1).fit(X, progress=False, stop_at=4)
    ends = {}
    for b in (1, 2):
        tr = Trainer(_cfg(branch_step=4, branch_seed=b), N, seed=1).fit(X, progress=False, stop_at=4)
        assert _same(_params(tr), _params(plain))  # nothing branched yet
        tr.fit(X, progress=False)
        ends[b] = _params(tr)
    plain.fit(X, progress=False)
    assert not _same(ends[1], _params(plain)) and not _same(ends[1], ends[2])
    again = Trainer(_cfg(branch_step=4, branch_seed=1), N, seed=1).fit(X, progress=False)
    assert _same(_params(again), ends[1])  # a branch is reproducible


def test_branch_seed_0_still_branches():
    # a set branch_step reseeds whatever the branch_seed, so 0 is a branch of its own
    X = _X()
    plain = Trainer(_cfg(), N, seed=1).fit(X, progress=False)
    zero = Trainer(_cfg(branch_step=4), N, seed=1).fit(X, progress=False)
    assert not _same(_params(zero), _params(plain))


def test_the_batch_order_branches_at_the_branch_step_and_stays_a_reshuffle():
    n, B = N * 8, N * 4  # two batches per pass
    plain = Trainer(_cfg(), N, seed=1)
    br = Trainer(_cfg(branch_step=5), N, seed=1)
    before = [br._batch_indices(n, s) for s in range(5)]
    assert all(np.array_equal(a, plain._batch_indices(n, s)) for s, a in enumerate(before))
    after = [br._batch_indices(n, s) for s in (6, 7)]  # the pass of steps 6-7, all after the branch
    assert sorted(np.concatenate(after)) == list(range(n))
    assert not all(np.array_equal(a, plain._batch_indices(n, s)) for s, a in zip((6, 7), after))
    assert all(len(a) == B for a in after)


def test_a_branched_fit_resumes_from_a_checkpoint_after_the_branch_exactly(tmp_path):
    cfg = _cfg(branch_step=3, branch_seed=5, generator_noise=1.0)
    straight = Trainer(cfg, N, seed=4).fit(_X(), progress=False)
    Trainer(cfg, N, seed=4).fit(_X(), progress=False, checkpoint_dir=tmp_path, stop_at=5)
    again = Trainer(cfg, N, seed=4)
    again.load_checkpoint(tmp_path)
    again.fit(_X(), progress=False)
    assert _same(_params(again), _params(straight))


@pytest.mark.parametrize("bad, match", [(dict(branch_step=0), "branch_step"), (dict(branch_step=8), "branch_step"),
                                        (dict(branch_step=2.5), "branch_step"),
                                        (dict(branch_step=2, branch_seed=-1), "branch_seed"),
                                        (dict(branch_seed=3), "needs branch_step")])
def test_bad_branch_settings_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        _cfg(**bad)
