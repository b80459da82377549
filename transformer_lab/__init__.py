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
from .train import History, TrainConfig, evaluate, final_accuracy, train, train_many

__version__ = "0.1.0"
