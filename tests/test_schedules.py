"""symlens.schedules: learning-rate decay, training time τ (eq. 18) and filter noise (eq. 20)
against closed forms and the spec's τ table (§1.10)."""

import math

import numpy as np
import pytest

from symlens.config import LensConfig
from symlens.schedules import dwell, epoch_learning_rates, filter_noise_std, learning_rate, training_time, gradient_reach


def _cfg(**kw):
    base = dict(epochs=20, steps_per_epoch=5, model_lr=1e-4, estimator_lr=1e-3, lr_decay=0.1)
    base.update(kw)
    return LensConfig(**base)


def test_epoch_learning_rates_log_spaced():
    lrs = epoch_learning_rates(2.0, 0.1, 5)
    np.testing.assert_allclose(lrs, [2.0, 2.0 * 0.1 ** 0.25, 2.0 * 0.1 ** 0.5, 2.0 * 0.1 ** 0.75, 0.2], rtol=1e-12)
    np.testing.assert_allclose(np.diff(np.log(lrs)), np.log(0.1) / 4, rtol=1e-12)
    np.testing.assert_array_equal(epoch_learning_rates(3.0, 0.1, 1), [3.0])


def test_learning_rate_per_step():
    cfg = _cfg()
    spe, E = cfg.steps_per_epoch, cfg.epochs
    assert learning_rate(cfg, 1e-4, 0) == pytest.approx(1e-4, rel=1e-12)
    assert learning_rate(cfg, 1e-4, cfg.total_steps - 1) == pytest.approx(1e-5, rel=1e-12)  # lr0 · decay
    for step in range(cfg.total_steps):
        epoch = step // spe
        assert learning_rate(cfg, 1e-3, step) == pytest.approx(1e-3 * 10 ** (-epoch / (E - 1)), rel=1e-12)
    # constant inside an epoch, and past the end it stays at the final value
    assert learning_rate(cfg, 1.0, 7) == learning_rate(cfg, 1.0, 5)
    assert learning_rate(cfg, 1.0, 10 * cfg.total_steps) == pytest.approx(0.1, rel=1e-12)
    one = _cfg(epochs=1)
    assert learning_rate(one, 0.5, 3) == 0.5


def test_training_time_is_the_normalised_lr_cumsum():
    cfg = _cfg(epochs=4, steps_per_epoch=3)
    per_step = np.repeat([0.1 ** (e / 3) for e in range(4)], 3)  # eq. 18 weights, step by step
    expected = np.cumsum(per_step) / per_step.sum()
    got = np.array([training_time(cfg, s) for s in range(cfg.total_steps)])
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_training_time_rises_monotonically_to_exactly_one():
    cfg = _cfg(epochs=50, steps_per_epoch=4)
    taus = np.array([training_time(cfg, s) for s in range(cfg.total_steps)])
    assert taus[0] > 0 and np.all(np.diff(taus) > 0)
    assert taus[-1] == 1.0
    assert training_time(cfg, cfg.total_steps + 10) == 1.0  # capped


@pytest.mark.parametrize("fraction,expected", [(0.10, 0.23), (0.25, 0.49), (0.50, 0.76), (0.75, 0.91)])
def test_training_time_table_of_spec(fraction, expected):
    # spec §1.10: τ after a fraction f of the epochs, 10x log lr decay; closed form
    # (1 - 10^-f) / (1 - 10^-1) in the continuum limit
    cfg = _cfg(epochs=1000, steps_per_epoch=2)
    step = int(round(fraction * cfg.total_steps)) - 1
    assert training_time(cfg, step) == pytest.approx(expected, abs=0.01)
    assert training_time(cfg, step) == pytest.approx((1 - 10 ** -fraction) / 0.9, abs=2e-3)


def test_training_time_without_decay_is_linear():
    cfg = _cfg(epochs=10, steps_per_epoch=10, lr_decay=1.0)
    for s in (0, 17, 49, 99):
        assert training_time(cfg, s) == pytest.approx((s + 1) / 100, rel=1e-12)


def test_tau_start_maps_the_clock_onto_the_remaining_interval():
    cfg = _cfg(epochs=10, steps_per_epoch=10, lr_decay=1.0, tau_start=0.4)
    for s in (0, 17, 49, 99):
        assert training_time(cfg, s) == pytest.approx(0.4 + 0.6 * (s + 1) / 100, rel=1e-12)
    with pytest.raises(ValueError, match="tau_start"):
        _cfg(tau_start=1.0)


def test_steps_clock_is_linear_in_steps_whatever_the_decay():
    # with lr decaying 10x, the faithful clock passes τ = 0.5 at ~26 % of the steps
    # ((1 - 10^-f) / 0.9 = 0.5 -> f = 0.26); the steps clock at exactly half of them
    lr_clock = _cfg(epochs=100, steps_per_epoch=10, lr_decay=0.1)
    steps_clock = _cfg(epochs=100, steps_per_epoch=10, lr_decay=0.1, tau_clock="steps")
    assert training_time(lr_clock, 259) == pytest.approx(0.5, abs=0.01)
    for s in (0, 259, 499, 999):
        assert training_time(steps_clock, s) == pytest.approx((s + 1) / 1000, rel=1e-12)
    with pytest.raises(ValueError, match="tau_clock"):
        _cfg(tau_clock="wall")


def test_filter_noise_schedule():
    cfg = _cfg(filter_noise=0.1, noise_decay_epochs=10.0, steps_per_epoch=100)
    assert filter_noise_std(cfg, 0) == 0.1  # σ₀ at step 0
    assert filter_noise_std(cfg, 10 * 100) == pytest.approx(0.1 / math.e, rel=1e-12)  # σ₀/e at t₀ epochs
    assert filter_noise_std(cfg, 20 * 100) == pytest.approx(0.1 / math.e ** 2, rel=1e-12)
    assert filter_noise_std(cfg, 50) == pytest.approx(0.1 * math.exp(-0.05), rel=1e-12)  # t counted in epochs
    vals = [filter_noise_std(cfg, s) for s in range(0, 5000, 250)]
    assert all(a > b for a, b in zip(vals, vals[1:]))


def test_tau_dwell_slows_the_clock_inside_the_band_only():
    # steps clock, 700 steps: u = (step + 1) / 700.  With factor 2 and band (0.2, 0.6),
    # L = 0.2 + 0.8 + 0.4 = 1.4, so the band is crossed from u = 1/7 to u = 5/7 (by hand)
    cfg = LensConfig(epochs=1, steps_per_epoch=700, tau_clock="steps", tau_dwell=2.0)
    for done, tau in ((50, 0.1), (100, 0.2), (300, 0.4), (500, 0.6), (600, 0.8), (700, 1.0)):
        assert training_time(cfg, done - 1) == pytest.approx(tau, abs=1e-12)
    # the faithful setting leaves the clock exactly as it is: (step + 1) / 700 to the last bit
    plain = LensConfig(epochs=1, steps_per_epoch=700, tau_clock="steps", tau_dwell=1.0)
    assert [training_time(plain, s) for s in range(700)] == [(s + 1) / 700 for s in range(700)]
    # monotone and onto [0, 1] for any factor; a factor below 1 hurries through the band
    us = np.linspace(0, 1, 1001)
    for f in (0.5, 1.0, 3.0):
        w = np.array([dwell(u, f) for u in us])
        assert w[0] == 0 and w[-1] == pytest.approx(1.0) and np.all(np.diff(w) > 0)
    # by hand: f = 3 gives L = 1.8, band from u = 1/9 to 7/9; f = 0.5 gives L = 0.8, band 1/4 to 1/2
    assert dwell(0.5, 3.0) == pytest.approx(0.2 + (0.5 - 1 / 9) * 0.6)
    assert dwell(0.5, 0.5) == pytest.approx(0.6) and dwell(0.75, 0.5) == pytest.approx(0.8)


def test_tau_dwell_must_be_positive():
    with pytest.raises(ValueError, match="tau_dwell=0"):
        LensConfig(tau_dwell=0)


def test_tau_dwell_band_may_start_at_zero_or_end_at_one():
    # by hand: band (0, 0.2), factor 3: L = 0.6 + 0.8 = 1.4, the band is crossed from u = 0 to
    # u = 3/7, after which τ = 0.2 + 1.4 (u - 3/7); band (0.6, 1), factor 2: L = 0.6 + 0.8,
    # the band starts at u = 3/7 and τ = 0.6 + 0.7 (u - 3/7) to the end
    assert dwell(0.0, 3.0, (0.0, 0.2)) == 0.0
    assert dwell(3 / 14, 3.0, (0.0, 0.2)) == pytest.approx(0.1)
    assert dwell(3 / 7, 3.0, (0.0, 0.2)) == pytest.approx(0.2)
    assert dwell(5 / 7, 3.0, (0.0, 0.2)) == pytest.approx(0.6)
    assert dwell(1.0, 3.0, (0.0, 0.2)) == pytest.approx(1.0)
    assert dwell(3 / 14, 2.0, (0.6, 1.0)) == pytest.approx(0.3)
    assert dwell(5 / 7, 2.0, (0.6, 1.0)) == pytest.approx(0.8)
    assert dwell(1.0, 2.0, (0.6, 1.0)) == pytest.approx(1.0)
    # wired through the config: a steps clock of 700 steps with band (0, 0.2) and factor 3
    cfg = LensConfig(epochs=1, steps_per_epoch=700, tau_clock="steps", tau_dwell=3.0, tau_dwell_band=(0.0, 0.2))
    assert training_time(cfg, 149) == pytest.approx(0.1)  # u = 150/700 = 3/14
    assert training_time(cfg, 499) == pytest.approx(0.6)  # u = 5/7


@pytest.mark.parametrize("band", [(0.3, 0.2), (-0.1, 0.5), (0.2, 1.2), (0.5,), (0.2, 0.2)])
def test_tau_dwell_band_must_be_an_interval_of_the_unit_range(band):
    with pytest.raises(ValueError, match="tau_dwell_band"):
        LensConfig(tau_dwell_band=band)


def test_tau_dwell_band_survives_overrides_and_a_round_trip():
    from symlens.config import get_profile
    cfg = get_profile("smoke", tau_dwell_band=[0.0, 0.2])
    assert cfg.tau_dwell_band == (0.0, 0.2)
    assert LensConfig.from_dict(cfg.to_dict()) == cfg
    assert LensConfig(tau_dwell_band=[0.0, 0.2]).tau_dwell_band == (0.0, 0.2)  # a list given directly, too


@pytest.mark.parametrize("tau, reach", [(0.0, 1), (0.1, 2), (0.25, 5), (0.49, 9), (0.5, 10), (0.9, 10)])
def test_gradient_reach_grows_from_one_power_to_all_by_reach_tau(tau, reach):
    # N = 21: (N-1)/2 = 10 powers a side; 1 + floor(9 tau / 0.5), all 10 from tau = 0.5 on
    assert gradient_reach(LensConfig(reach_tau=0.5), 21, tau) == reach


def test_gradient_reach_is_every_power_when_off():
    assert gradient_reach(LensConfig(), 33, 0.0) == 16


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_reach_tau_must_lie_in_the_unit_range(bad):
    with pytest.raises(ValueError, match="reach_tau"):
        LensConfig(reach_tau=bad)


def test_polish_steps_run_at_tau_one_and_the_final_rate_times_its_scale():
    # after the schedule: τ stays at exactly 1 and the rate is lr0 · decay · scale (here 1e-4 · 0.1 · 3)
    cfg = _cfg(polish_steps=7, polish_lr_scale=3.0)
    assert cfg.fit_steps == cfg.total_steps + 7
    last = cfg.total_steps - 1
    assert learning_rate(cfg, 1e-4, last) == pytest.approx(1e-5, rel=1e-12)  # the schedule is untouched
    for step in range(cfg.total_steps, cfg.fit_steps):
        assert learning_rate(cfg, 1e-4, step) == pytest.approx(3e-5, rel=1e-12)
        assert training_time(cfg, step) == 1.0
    assert learning_rate(_cfg(epochs=1, polish_lr_scale=0.5), 2.0, 100) == pytest.approx(1.0)
    for step in range(cfg.total_steps):  # no change before the polish
        assert learning_rate(cfg, 1e-4, step) == learning_rate(_cfg(), 1e-4, step)


@pytest.mark.parametrize("bad", [dict(polish_steps=-1), dict(polish_lr_scale=0.0), dict(polish_lr_scale=-2.0)])
def test_polish_settings_must_be_non_negative_steps_and_a_positive_scale(bad):
    with pytest.raises(ValueError, match="polish"):
        _cfg(**bad)
