"""transformer_lab: the math, toy models and tasks behind the eight Transformer notebooks.

Importing the package has no side effects and imports neither matplotlib nor ipywidgets:
``transformer_lab.plots`` and ``transformer_lab.widgets`` are imported explicitly by notebooks.
"""

from .attention import (
    SCORE_FUNCTIONS,
    AdditiveScore,
    BilinearScore,
    DotScore,
    MultiHeadAttention,
    ScaledDotScore,
    additive_scores,
    attend,
    bilinear_scores,
    dot_scores,
    make_score,
    masked_softmax,
    scaled_dot_product_attention,
    scaled_dot_scores,
)
from .config import ModelConfig
from .masks import (
    causal_mask,
    combine_masks,
    from_torch_key_padding_mask,
    key_mask_to_attention_mask,
    padding_mask,
    query_mask_to_attention_mask,
    safe_fill_value,
    to_additive,
    to_boolean,
    to_torch_key_padding_mask,
)
from .masks import fully_masked_rows, position_ids, unmask_fully_masked_rows  # notebook 04
from . import masking  # notebook 04: fills, leaks, rows with no key, padding invariance, masked loss/pooling
from .model import TinyTransformer, build_model
from .positional import (
    POSITIONAL_SCHEMES,
    LearnedPositional,
    NoPositional,
    PositionalScheme,
    SinusoidalPositional,
    make_positional,
    sinusoidal_encoding,
)
from .tasks import IGNORE, KeyValueRecallTask, PointerTask, Task
from .tasks import CyclicSuccessorTask, PartnerTask  # notebook 02
from . import qk  # notebook 02: tied vs separate W_Q, W_K: symmetry, self-preference, what a head can express
from .tasks import RecallAndPreviousTask  # notebooks 01 and 05
from .tasks import LocalCopyTask  # notebook 08
from .tasks import ReverseTask  # notebook 06
from . import embedding, sinusoidal  # notebooks 06 and 07: embedding statistics; what the sinusoids can tell a model
from .positional import AlibiPositional, IndexPositional, NormalizedPositional, RotaryPositional  # notebook 08
from .positional import ShawRelativePositional, T5RelativeBias  # notebook 08
from . import pe_analysis  # notebook 08: score patterns, translation invariance, length limits, loss by length
from . import heads  # notebooks 01 and 05: head layout, cost, rank, ablation
from .report import claims_table, fmt_gap  # every notebook: the note's claims with computed verdicts
from .train import History, SeedRuns, TrainConfig, evaluate, final_accuracy, train, train_many, train_seeds
from .randomness import base_seed, eval_seed, seed, seeds  # every seed a notebook uses: moved by $TRANSFORMER_LAB_SEED
from . import evidence  # claims decided over seeds; approx() marks numbers whose last digits depend on the machine
from .evidence import approx

__version__ = "0.1.0"
