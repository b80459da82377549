"""Every public function and class refuses bad input with a named, explained error.

The cases live in tables, one per area (``tests/cases_bad_*.py``, rows of :class:`badcase.Bad`).
For each row the call must raise the expected type, and its message must

- name the argument (``Bad.arg``, as a whole word), and
- say what was expected (``Bad.expect``, a regex).

``test_every_public_name_has_a_case`` keeps the tables complete: every public function and class of
``transformer_lab`` and of its public submodules has at least one row, or a line in an ``EXEMPT``
table saying why it takes no input that can be wrong.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from badcase import Bad

TABLES = sorted(p.stem for p in Path(__file__).parent.glob("cases_bad_*.py"))
CASES: list[Bad] = []
EXEMPT: dict[str, str] = {}
for _name in TABLES:
    _table = importlib.import_module(_name)
    CASES += _table.CASES
    EXEMPT.update(getattr(_table, "EXEMPT", {}))

# the public surface: top-level names, and the submodules notebooks import by name
SUBMODULES = ("measure", "randomness", "evidence", "viz", "positional")
# submodules whose names the package also re-exports at the top level: a name reached both ways
# (``tl.RotaryPositional`` is ``positional.RotaryPositional``) counts once, at the top level
REEXPORTED_AT_TOP = ("positional",)


def public_names() -> set[str]:
    """Every public function and class a user reaches: ``name`` on the package, ``module.name`` on a submodule."""
    import transformer_lab as tl

    def own(value) -> bool:
        return (inspect.isfunction(value) or inspect.isclass(value)) and value.__module__.startswith("transformer_lab")

    names = {k for k, v in vars(tl).items() if not k.startswith("_") and own(v)}
    from transformer_lab import lessons

    for mod_name in (*SUBMODULES, "lessons.head_layouts", "lessons.score_matrices", "lessons.guide",
                     *(f"lessons.{name}" for name in lessons.LESSONS)):
        mod = importlib.import_module(f"transformer_lab.{mod_name}")
        exported = getattr(mod, "__all__", [k for k in vars(mod) if not k.startswith("_")])
        # a name re-exported from another walked module (q05 reuses head_layouts.layout_config) counts once,
        # where it is defined; figures are drawn by test_figures.py instead (a figure has no input to refuse
        # that its lesson's analysis has not refused already)
        names |= {f"{mod_name}.{k}" for k in exported
                  if own(getattr(mod, k)) and getattr(mod, k).__module__.startswith(mod.__name__)
                  and not is_figure_code(getattr(mod, k))
                  and not (mod_name in REEXPORTED_AT_TOP and getattr(tl, k, None) is getattr(mod, k))}
    return names


def is_figure_code(value) -> bool:
    """Drawing code: a lesson's ``figures`` (or ``diagram``) module, and the shared figure, PNG and blit
    machinery of ``viz``."""
    module = value.__module__
    return module.endswith((".figures", ".diagram")) and module != "transformer_lab.viz.diagram" or module in (
        "transformer_lab.viz.png", "transformer_lab.viz.blit")


def owner(target: str, names: set[str]) -> str | None:
    """The public name a case's target belongs to: ``"MultiHeadAttention.forward"`` -> ``"MultiHeadAttention"``."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in names:
            return ".".join(parts[:n])
    return None


def names_the_argument(arg: str, message: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(arg)}(?!\w)", message) is not None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_a_named_error(case: Bad):
    with pytest.raises(case.exc) as info:
        case.call()
    message = str(info.value)
    assert names_the_argument(case.arg, message), f"the message does not name {case.arg!r}: {message!r}"
    assert re.search(case.expect, message), f"the message does not say what was expected ({case.expect!r}): {message!r}"


def test_the_tables_are_large_and_their_ids_unique():
    assert len(CASES) >= 60
    ids = [c.id for c in CASES]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, duplicates


def test_every_case_targets_a_public_name():
    names = public_names()
    strays = sorted(c.target for c in CASES if owner(c.target, names) is None)
    assert not strays, f"targets that are not public names of transformer_lab: {strays}"


def test_every_public_name_has_a_case():
    names = public_names()
    covered = {owner(c.target, names) for c in CASES}
    missing = sorted(names - covered - set(EXEMPT))
    assert not missing, f"public names with no bad-input case and no EXEMPT reason: {missing}"


def test_exemptions_are_public_uncovered_and_explained():
    names = public_names()
    covered = {owner(c.target, names) for c in CASES}
    assert set(EXEMPT) <= names, sorted(set(EXEMPT) - names)
    assert not set(EXEMPT) & covered, f"exempt but covered (drop the exemption): {sorted(set(EXEMPT) & covered)}"
    assert all(len(why) > 20 for why in EXEMPT.values())


# --- beyond the public surface ------------------------------------------------------------------

def test_the_training_loss_refuses_mismatched_targets():
    """``train.loss_and_accuracy`` is private, but every training step goes through it."""
    import torch

    from transformer_lab.train import loss_and_accuracy

    logits = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))  # (B, T, C)
    with pytest.raises(ValueError, match=r"logits .*targets"):
        loss_and_accuracy(logits, torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"targets .*C=4"):
        loss_and_accuracy(logits, torch.tensor([[-100, -100, 5], [-100, -100, 1]]))


def test_valid_neighbours_of_the_bad_inputs_are_accepted():
    """The checks are not too eager: the nearest valid inputs pass."""
    import torch

    import transformer_lab as tl

    def r(*shape):
        return torch.randn(*shape, generator=torch.Generator().manual_seed(0))

    boolean = dict(dtype=torch.bool)
    tl.masked_softmax(r(2, 3), torch.zeros(3))  # an all-zero float mask is a valid additive mask
    tl.masked_softmax(r(2, 3), torch.tensor([0.0, -1.0, float("-inf")]))
    tl.masked_softmax(r(2, 3), torch.tensor([0.5, -1.0, 2.0]))  # general float masks are additive
    tl.masked_softmax(torch.tensor([[0.0, float("-inf")]]))  # -inf scores are masking, not an error
    tl.to_additive(torch.ones(2, **boolean), torch.float16, fill=-65504.0)
    tl.padding_mask([0, 4], 4)
    tl.causal_mask(1)
    tl.MultiHeadAttention(10, 3, head_dim=4)
    tl.ModelConfig(d_model=10, n_heads=3, head_dim=4, positional="none")
    tl.ModelConfig(n_out=5)
    tl.TrainConfig(grad_clip=None, weight_decay=0.0, lr=1)
    tl.PointerTask(n_symbols=2, n_items=2)
    tl.KeyValueRecallTask(n_keys=2, n_values=2, n_pairs=2)
    tl.scaled_dot_scores(r(2, 3), r(2, 3), scale=1)  # an int scale is a number
    tl.ScaledDotScore(scale=1e-3)
    tl.AdditiveScore(4, d_k=3, d_attn=1)
    m = tl.build_model(tl.ModelConfig(vocab_size=10, d_model=8, n_heads=2, max_len=6))
    assert m(torch.full((1, 6), 9, dtype=torch.long)).shape == (1, 6, 10)
