"""symlens.plotting: every helper returns a Figure with the expected axes (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from symlens import plotting

N = 7


def _mat(seed=0, n=N):
    return np.random.default_rng(seed).standard_normal((n, n))


def test_generator_panel_layout_and_error_range():
    learned, ideal = _mat(0), np.eye(N, k=-1)
    fig = plotting.generator_panel(learned, ideal, title="t")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 7  # 4 panels + 3 colour bars
    ideal_ax, learned_ax, err_ax, hist_ax = fig.axes[:4]
    assert [a.get_title() for a in (ideal_ax, learned_ax, err_ax, hist_ax)] == [
        "ideal", "learned", "error = ideal − learned", "error histogram"]
    np.testing.assert_allclose(err_ax.images[0].get_array(), ideal - learned)
    assert err_ax.images[0].get_clim() == (-1.0, 1.0)  # colour range ±1, as in the authors' plots
    # histogram bins of width 0.05 covering every error entry
    edges = np.array(sorted({p.get_x() for p in hist_ax.patches}))
    np.testing.assert_allclose(np.diff(edges), 0.05, atol=1e-9)
    assert sum(p.get_height() for p in hist_ax.patches) == N * N


def test_generator_panel_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shape mismatch"):
        plotting.generator_panel(_mat(0), _mat(1, N + 2))


def test_matrix_heatmap():
    fig = plotting.matrix_heatmap(_mat(), title="K")
    assert isinstance(fig, Figure) and len(fig.axes) == 2  # heatmap + colour bar
    assert fig.axes[0].get_title() == "K"
    with pytest.raises(ValueError):
        plotting.matrix_heatmap(np.zeros(3))


@pytest.mark.parametrize("n, ncols", [(1, 3), (5, 3), (6, 3)])
def test_matrix_grid_removes_unused_cells(n, ncols):
    fig = plotting.matrix_grid({f"m{i}": _mat(i) for i in range(n)}, ncols=ncols)
    assert isinstance(fig, Figure) and len(fig.axes) == n
    assert fig.axes[0].get_title().startswith("m0")


def test_matrix_grid_shared_and_fixed_scale():
    mats = [_mat(0), 10 * _mat(1)]
    fig = plotting.matrix_grid(mats, titles=["a", "b"], shared_scale=True)
    assert fig.axes[0].images[0].get_clim() == fig.axes[1].images[0].get_clim()
    fig = plotting.matrix_grid(mats, vmax=1.0)
    assert fig.axes[1].images[0].get_clim() == (-1.0, 1.0)
    with pytest.raises(ValueError):
        plotting.matrix_grid(mats, titles=["only one"])
    with pytest.raises(ValueError):
        plotting.matrix_grid([])


def test_snapshot_strip():
    steps = [0, 10, 20, 30]
    stack = np.stack([_mat(i) for i in steps])
    fig = plotting.snapshot_strip({"G": stack, "K": stack}, steps, suptitle="s")
    assert isinstance(fig, Figure) and len(fig.axes) == 8
    assert fig.axes[0].get_title() == "G, step 0" and fig.axes[-1].get_title() == "K, step 30"
    with pytest.raises(ValueError):
        plotting.snapshot_strip({"G": stack[:2]}, steps)


def test_snapshot_strip_shows_at_most_max_columns_with_first_and_last():
    steps = list(range(0, 6400, 400))  # 16 snapshots, as a 6 000-step cpu run saves
    stack = np.stack([_mat(i) for i in range(len(steps))])
    fig = plotting.snapshot_strip({"G": stack}, steps, max_columns=6)
    titles = [ax.get_title() for ax in fig.axes]
    # linspace(0, 15, 6) rounds to 0, 3, 6, 9, 12, 15
    assert titles == [f"G, step {s}" for s in (0, 1200, 2400, 3600, 4800, 6000)]
    assert len(plotting.snapshot_strip({"G": stack}, steps, max_columns=None).axes) == 16
    with pytest.raises(ValueError, match="max_columns"):
        plotting.snapshot_strip({"G": stack}, steps, max_columns=1)


def test_history_curves():
    h = {"step": np.arange(5), "a": np.ones(5), "b": np.arange(5.0), "c": -np.arange(5.0)}
    fig = plotting.history_curves(h, keys=["a", ["b", "c"]], ncols=3)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[1].lines) == 2 and fig.axes[1].get_legend() is not None
    fig = plotting.history_curves(h, keys=["a", "b", "c", "a"], ncols=3)
    assert len(fig.axes) == 4
    with pytest.raises(KeyError):
        plotting.history_curves(h, keys=["missing"])
    with pytest.raises(KeyError):
        plotting.history_curves(h, keys=["a"], x="time")


def test_history_curves_titles_labels_and_fonts():
    h = {"step": np.arange(5), "a": np.ones(5), "b": np.arange(5.0), "c": -np.arange(5.0)}
    fig = plotting.history_curves(h, keys=["a", ["b", "c"]], ncols=2, labels={"b": "bee"},
                                  titles=["A", "B and C"], ylabels=["a value", None], xlabel="training step",
                                  fontsize=12, suptitle="s")
    ax0, ax1 = fig.axes
    assert ax0.get_title() == "A" and ax1.get_title() == "B and C"
    assert ax0.get_ylabel() == "a value" and ax1.get_ylabel() == "" and ax0.get_xlabel() == "training step"
    assert ax0.xaxis.label.get_fontsize() == 12 and ax0.title.get_fontsize() == 13
    assert [t.get_text() for t in ax1.get_legend().get_texts()] == ["bee", "c"]
    with pytest.raises(ValueError, match="titles"):
        plotting.history_curves(h, keys=["a"], titles=["x", "y"])


def test_history_curves_write_long_step_axes_in_thousands():
    # 320 000 steps: "150000" and "200000" would run into each other at a panel's width
    long = plotting.history_curves({"step": np.linspace(0, 320_000, 9), "a": np.ones(9)}, keys=["a"])
    fmt = long.axes[0].xaxis.get_major_formatter()
    assert fmt(150_000, 0) == "150k" and fmt(0, 0) == "0k"
    short = plotting.history_curves({"step": np.arange(5), "a": np.ones(5)}, keys=["a"])
    assert not isinstance(short.axes[0].xaxis.get_major_formatter(), type(fmt))


def test_curve_groups_one_colour_per_label():
    x = np.arange(4.0)
    fig = plotting.curve_groups({"a": [(x, x), (x, 2 * x)], "b": [(x, -x)]}, title="t")
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    assert ax.lines[0].get_color() == ax.lines[1].get_color() != ax.lines[2].get_color()
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), 2 * x)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    with pytest.raises(ValueError, match="no curves"):
        plotting.curve_groups({})


def test_sample_plot_and_grid():
    S = np.random.default_rng(0).standard_normal((3, N))
    fig = plotting.sample_plot(S, S[:, ::-1], title="x")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 3
    fig = plotting.sample_grid({"a": (S, S), "b": (S, -S), "c": (S, 2 * S)})
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    with pytest.raises(ValueError):
        plotting.sample_plot(S, S[:2])


def test_vector_grid():
    fig = plotting.vector_grid({f"v{i}": np.arange(N) * i for i in range(4)}, ncols=3, ylim=(-1, 1))
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert fig.axes[0].get_ylim() == (-1.0, 1.0)


def test_recipe_comparison_draws_a_dot_per_seed_and_a_bar_per_mean():
    first = {"a": [0.2, 0.4], "b": [0.9]}
    second = {"a": [0.97], "b": []}
    fig = plotting.recipe_comparison(first, second, labels=("faithful", "symlens"), target=0.95)
    ax = fig.axes[0]
    heights = sorted(round(b.get_height(), 6) for b in ax.patches)
    assert heights == [0.3, 0.9, 0.97]  # means of the datasets that have scores
    dots = sorted(float(y) for line in ax.lines if line.get_marker() == "o" for y in line.get_ydata())
    assert dots == [0.2, 0.4, 0.9, 0.97]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["faithful", "symlens"]
    with pytest.raises(ValueError, match="same datasets"):
        plotting.recipe_comparison(first, {"b": [1.0], "a": [1.0]})


def test_markdown_table_formats_values():
    md = plotting.markdown_table(
        [{"name": "a|b", "x": 0.12345, "flag": True, "n": 3, "missing": None, "nan": float("nan"), "v": [1.0, 2.5]}],
        digits=2,
    )
    header, rule, row = md.splitlines()
    assert header == "| name | x | flag | n | missing | nan | v |"
    assert rule == "|---|---|---|---|---|---|---|"
    assert row == "| a\\|b | 0.12 | yes | 3 | — | — | [1.00, 2.50] |"
    with pytest.raises(ValueError):
        plotting.markdown_table([])
    assert plotting.markdown_table([{"H(y|x)": 1}]).splitlines()[0] == "| H(y\\|x) |"


def test_save_figure_is_byte_reproducible(tmp_path):
    # a notebook re-run draws a new figure from the same numbers: the PNG must not change
    p1 = plotting.save_figure(plotting.matrix_heatmap(_mat()), tmp_path / "a", "m")
    p2 = plotting.save_figure(plotting.matrix_heatmap(_mat()), tmp_path / "b", "m")
    assert p1 == tmp_path / "a" / "figures" / "m.png" and p1.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert p1.read_bytes() == p2.read_bytes()


def test_no_pyplot_state_is_left_behind():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plotting.generator_panel(_mat(), _mat(1))
    plotting.matrix_grid([_mat()])
    assert plt.get_fignums() == before
