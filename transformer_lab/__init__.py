"""transformer_lab: the core of the lab, written to read like the paper.

- ``scores``, ``attention``, ``multi_head``: how a query scores a key; the masked softmax and
  ``softmax(q kᵀ/√d_k + mask) v``; h heads side by side.
- ``masks``, ``positional``: which keys take part; where positions enter (input, q and k, scores).
- ``config``, ``model``: a typed ``ModelConfig`` and ``TinyTransformer``.
- ``tasks``, ``train``, ``stacked``, ``optim``: synthetic tasks, a training loop, seeds trained together.
- ``randomness``, ``evidence``, ``measure``: seeds from one base, claims decided over seeds, time and memory.

Each notebook's own analysis, experiments, figures and explorer live in
``transformer_lab.lessons.qNN_<slug>``; the shared figure and explorer machinery in
``transformer_lab.viz``. Importing the package has no side effects and imports neither
matplotlib nor ipywidgets.
"""

from . import evidence, randomness
from .attention import attend, fused_attention, masked_softmax, scaled_dot_product_attention
from .config import ModelConfig
from .evidence import approx, claims_table, fmt_gap
from .masks import (
    causal_mask,
    combine_masks,
    from_torch_key_padding_mask,
    fully_masked_rows,
    key_mask_to_attention_mask,
    padding_mask,
    position_ids,
    query_mask_to_attention_mask,
    safe_fill_value,
    to_additive,
    to_boolean,
    to_torch_key_padding_mask,
    unmask_fully_masked_rows,
)
from .model import TinyTransformer, build_model
from .multi_head import MultiHeadAttention
from .positional import (
    POSITIONAL_SCHEMES,
    AlibiPositional,
    IndexPositional,
    LearnedPositional,
    NormalizedPositional,
    NoPositional,
    PositionalScheme,
    RotaryPositional,
    ShawRelativePositional,
    SinusoidalPositional,
    T5RelativeBias,
    make_positional,
    sinusoidal_encoding,
)
from .randomness import base_seed, eval_seed, seed, seeds
from .scores import (
    SCORE_FUNCTIONS,
    AdditiveScore,
    BilinearScore,
    DotScore,
    ScaledDotScore,
    additive_scores,
    bilinear_scores,
    dot_scores,
    make_score,
    scaled_dot_scores,
)
from .stacked import SeedRuns, train_many, train_seeds
from .tasks import (
    IGNORE,
    CyclicSuccessorTask,
    KeyValueRecallTask,
    LocalCopyTask,
    PartnerTask,
    PointerTask,
    RecallAndPreviousTask,
    ReverseTask,
    Task,
)
from .train import History, TrainConfig, evaluate, final_accuracy, train

__version__ = "0.1.0"
