"""symlens.config: the published loss variants and the paper profile against the spec's
tables (§1.9, §3, §7); override rules and error messages."""

import dataclasses

import pytest

from symlens import config
from symlens.config import (LOSS_VARIANTS, PROFILES, LensConfig, LossConfig, get_profile, get_study,
                            loss_variant, profile_names)


# spec §1.9 table (code rows) and §3: (alpha, beta, gamma, delta, gain g, uniformity scale)
SPEC_VARIANTS = {
    "v1": (1.5, 2.5, 1.5, 1.0, 100.0, 1.0),  # [code@v0.1/Oct24]: reg1 + reg2
    "head": (1.0, 2.0, 1.0, 0.75, 50.0, 0.5),  # [code@HEAD]: ½ (reg1 + reg2)
}


@pytest.mark.parametrize("name", sorted(SPEC_VARIANTS))
def test_loss_variants_match_spec(name):
    v = loss_variant(name)
    assert v.variant == name
    assert (v.alpha, v.beta, v.gamma, v.delta, v.gain, v.uniformity_scale) == SPEC_VARIANTS[name]
    assert v.estimator_l2 == 1e-5  # spec §1.9: 1e-5 × Σ ‖W‖_F
    # coefficient on -Ĥ_r in the code is γ + δ (spec §1.9 last column): 2.5 (v1), 1.75 (head)
    assert v.gamma + v.delta == {"v1": 2.5, "head": 1.75}[name]


def test_default_loss_is_v1():
    assert LossConfig() == LOSS_VARIANTS["v1"]
    assert LensConfig().loss == LOSS_VARIANTS["v1"]


def test_paper_profile_is_spec_section_7():
    p = get_profile("paper")
    assert p.batch_size == 16_500 and p.n_batches == 100
    assert p.epochs == 10_000 and p.steps_per_epoch == 100 and p.total_steps == 1_000_000
    assert (p.model_lr, p.estimator_lr, p.lr_decay) == (1e-4, 1e-3, 0.1)
    assert p.adam_betas == (0.9, 0.999) and p.adam_eps == 1e-7  # Keras defaults
    assert p.init_std == 1e-3  # A ~ N(0, 1e-6)
    assert (p.filter_noise, p.noise_decay_epochs) == (0.1, 10.0)
    assert p.n_kernels == 4
    assert p.resolved_padding(33) == 33  # P = N
    assert p.resolved_hidden(33) == 528  # H = 16 N
    assert p.loss == LOSS_VARIANTS["v1"]


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_uses_a_published_method(name):
    p = get_profile(name)
    assert p.loss == LOSS_VARIANTS[p.loss.variant], "profiles may only select a named loss variant"
    assert p.batch_size % 33 == 0, "a profile batch must split over the N = 33 conditioning slots"
    assert p.total_steps == p.epochs * p.steps_per_epoch > 0
    assert name in config.PROFILE_NOTES


def test_profile_names_sorted_and_complete():
    assert profile_names() == sorted(PROFILES)
    assert {"smoke", "cpu", "paper"} <= set(profile_names())


def test_overrides_apply_and_do_not_mutate_the_profile():
    before = PROFILES["smoke"]
    p = get_profile("smoke", epochs=3, hidden=12, gamma=7.0)
    assert (p.epochs, p.hidden, p.loss.gamma) == (3, 12, 7.0)
    assert p.loss.alpha == before.loss.alpha
    assert PROFILES["smoke"] == before


def test_variant_override_then_coefficient_wins():
    p = get_profile("smoke", variant="head", gamma=2.0)
    assert p.loss.variant == "head"
    assert (p.loss.alpha, p.loss.beta, p.loss.gamma, p.loss.delta, p.loss.gain) == (1.0, 2.0, 2.0, 0.75, 50.0)


def test_get_profile_accepts_a_config_and_lists_to_tuples():
    base = LensConfig(epochs=5)
    p = get_profile(base, adam_betas=[0.8, 0.9])
    assert p.epochs == 5 and p.adam_betas == (0.8, 0.9)


def test_unknown_profile_variant_key_and_study():
    with pytest.raises(ValueError, match="unknown profile 'nope'"):
        get_profile("nope")
    with pytest.raises(ValueError, match="unknown loss variant 'v3'"):
        get_profile("smoke", variant="v3")
    with pytest.raises(ValueError, match="bogus_key"):
        get_profile("smoke", bogus_key=1)
    with pytest.raises(ValueError, match="unknown profile 'nope'"):
        get_study("nope")


def test_config_is_frozen_and_round_trips():
    p = get_profile("smoke", variant="head", padding=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.epochs = 1
    d = p.to_dict()
    assert isinstance(d["loss"], dict)
    d["adam_betas"] = list(d["adam_betas"])  # as after a JSON round trip
    assert LensConfig.from_dict(d) == p


def test_resolved_sizes():
    c = LensConfig(padding=None, hidden=None)
    assert (c.resolved_padding(7), c.resolved_hidden(7)) == (7, 112)  # HEAD sensitivity runner: H = 112
    c = LensConfig(padding=0, hidden=5)
    assert (c.resolved_padding(7), c.resolved_hidden(7)) == (0, 5)


def test_compressed_profiles_scale_batch_and_width_with_the_dimension():
    cpu = get_profile("cpu")
    assert (cpu.batch_size, cpu.hidden, cpu.size_dim) == (2046, 264, 33)
    at7 = cpu.for_dim(7)  # 62 samples and a width of 8 per dimension, as at N = 33
    assert (at7.batch_size, at7.hidden, at7.size_dim) == (434, 56, None)
    assert at7.for_dim(7) is at7  # concrete sizes are not scaled twice
    at33 = cpu.for_dim(33)
    assert (at33.batch_size, at33.hidden, at33.size_dim) == (2046, 264, None)
    assert dataclasses.replace(at33, size_dim=33) == cpu  # nothing else changes
    smoke = get_profile("smoke").for_dim(9)  # 1 023 = 31 x 33, H = 99 = 3 x 33
    assert (smoke.batch_size, smoke.hidden) == (279, 27)
    assert get_profile("fast").for_dim(11).batch_size == 682


def test_paper_profile_and_hand_given_sizes_are_literal_at_every_dimension():
    paper = get_profile("paper")
    assert paper.size_dim is None and paper.for_dim(7) is paper
    assert paper.for_dim(7).resolved_hidden(7) == 112  # 16 N already
    mine = get_profile("cpu", batch_size=700)
    assert mine.size_dim is None and mine.for_dim(7).batch_size == 700 and mine.for_dim(7).hidden == 264
    assert get_profile("cpu", hidden=40).for_dim(7).batch_size == 2046
    scaled = get_profile("cpu", batch_size=700, size_dim=35).for_dim(7)  # 20 per dimension
    assert (scaled.batch_size, scaled.hidden) == (140, round(264 * 7 / 35))
    # no explicit width: the width at size_dim is 16 size_dim, so 16 N at every N
    assert get_profile("paper", size_dim=33).for_dim(7).hidden == 112


def test_size_dim_must_be_positive_and_leave_a_sample_per_dimension():
    with pytest.raises(ValueError, match="size_dim"):
        LensConfig(size_dim=0)
    with pytest.raises(ValueError, match="one sample per dimension"):
        LensConfig(batch_size=10, size_dim=33)


def test_the_symlens_recipe_scales_the_estimator_rate_and_the_faithful_one_does_not():
    from symlens.config import get_profile

    cpu = get_profile("cpu")
    assert get_profile("cpu", recipe="faithful").estimator_lr_scale == 1.0 == cpu.estimator_lr_scale
    rec = get_profile("cpu", recipe="symlens")
    assert rec.estimator_lr_scale == 4.0 and rec.estimator_lr == cpu.estimator_lr  # the profile's knob is kept
    # one seriation at τ = 0.8, held back when the new order gains more than 10 %; none in the faithful method
    assert (rec.seriate_tau, rec.seriate_max_gain) == ((0.8,), 0.1)
    assert (cpu.seriate_tau, cpu.seriate_max_gain) == ((), None)
    with pytest.raises(ValueError, match="estimator_lr_scale"):
        get_profile("cpu", estimator_lr_scale=0.0)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_generator_noise_must_be_finite_and_not_negative(bad):
    with pytest.raises(ValueError, match="generator_noise"):
        get_profile("smoke", generator_noise=bad)
    assert get_profile("smoke", generator_noise=0.5).generator_noise == 0.5
