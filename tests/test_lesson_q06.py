"""Notebook 06's experiment at a tiny size: seven settings, two seeds, a few steps.

The claims themselves are replayed at full size by ``make claims`` (tools/claims.py); here a few
steps on two seeds check that the machinery works, and the exact facts hold at any length.
"""

import math

import matplotlib

matplotlib.use("Agg")

import pytest
from conftest import assert_experiment_result

from transformer_lab import evidence
from transformer_lab.lessons.q06_embedding_scale.analysis import EMBED_INITS
from transformer_lab.lessons import q06_embedding_scale as lesson


@pytest.fixture(scope="module")
def result():
    return lesson.train_embedding_scale(base=0, n_seeds=2, steps=lesson.EARLY_STEP)


def test_registered():
    assert evidence.EXPERIMENTS["06 · train_embedding_scale"] is lesson.train_embedding_scale
    assert lesson.train_embedding_scale.notebook == "06"


def test_result_has_seeds_claims_summary_and_figure(result):
    assert_experiment_result(result, (0, 1), figures=((result.figure(), 3),))
    assert all(c.rule.startswith("in every seed") for c in result.claims)
    summary = result.summary()
    assert summary.count("\n") >= 3 * 3 and all(f"| {s.label} |" in summary for s in lesson.SETTINGS)


def test_every_setting_trains_on_the_same_seeds_and_is_read_per_seed(result):
    assert list(result.runs) == [s.label for s in lesson.SETTINGS]
    assert all(r.seeds == (0, 1) for r in result.runs.values())
    for label in result.runs:
        assert len(result.final(label)) == len(result.early(label)) == len(result.first_loss(label)) == 2
        assert all(0 <= a <= 1 for a in result.final(label) + result.early(label))
        assert result.runs[label].histories[0].eval_steps[0] == result.early_step == lesson.EARLY_STEP


def test_the_untrained_tied_scaled_model_pays_more_than_knowing_nothing(result):
    """Step 1's loss is the untrained model's: tied + ×√d predicts the input token, never the answer
    of a reversal of even length, so it pays more than log 16 in any seed (an exact property of the init)."""
    for loss in result.first_loss("scaled_normal ×√d, tied"):
        assert loss > math.log(16)


def test_the_figure_drawn_by_name(result):
    """The figure function itself (tests/test_figures.py checks each is called by name in a test)."""
    import matplotlib.pyplot as plt

    fig = lesson.plot_embedding_training(result)
    untied, tied, dots = fig.axes
    assert (untied.get_title(), tied.get_title()) == ("untied output layer", "tied: the output layer is E")
    n_tied = sum("tied" in label for label in result.runs)
    assert len(tied.get_lines()) == n_tied * (2 + 1) and len(untied.get_lines()) == (len(result.runs) - n_tied) * 3
    assert [t.get_text() for t in dots.get_xticklabels()] == [lesson.short_label(s, "\n") for s in result.runs]
    plt.close(fig)


def test_settings_and_their_models():
    labels = [s.label for s in lesson.SETTINGS]
    assert len(set(labels)) == len(labels)
    assert "scaled_normal ×√d, tied" in labels and "normal ×√d, pre-LN" in labels
    cfg = lesson.Setting("scaled_normal", True, tied=True).config()
    assert (cfg.embed_init, cfg.embed_scale, cfg.tie_weights, cfg.norm) == ("scaled_normal", True, True, "post")
    assert (cfg.vocab_size, cfg.max_len, cfg.d_model) == (lesson.TASK.vocab_size, lesson.TASK.seq_len, 64)
    assert lesson.toy_config("normal", False, norm="pre", d_model=32).norm == "pre"
    assert all(s.init in EMBED_INITS for s in lesson.SETTINGS)


@pytest.mark.parametrize("kwargs, error", [
    ({"n_seeds": 1}, ValueError),  # no spread from one seed
    ({"n_seeds": 2.0}, TypeError),
    ({"steps": lesson.EARLY_STEP - 1}, ValueError),  # no evaluation at step 15
    ({"steps": 1.5}, TypeError),
    ({"base": -1}, ValueError),
    ({"base": "0"}, TypeError),
])
def test_bad_arguments_are_refused_before_training(kwargs, error):
    with pytest.raises(error):
        lesson.train_embedding_scale(**kwargs)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: lesson.toy_config("kaiming", True), ValueError, r"init must be one of"),
    (lambda: lesson.toy_config("normal", 1), TypeError, r"scale must be a bool, got int 1"),
    (lambda: lesson.toy_config("normal", True, tied="yes"), TypeError, r"tied must be a bool"),
    (lambda: lesson.toy_config("normal", True, d_model=64.0), TypeError, r"d_model must be an int"),
    (lambda: lesson.Setting("xavier", False, norm="mid"), ValueError, r"Setting.norm must be 'pre' or 'post'"),
])
def test_bad_settings_name_the_argument(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
