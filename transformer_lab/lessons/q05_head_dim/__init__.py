"""Notebook 05 · why each head is d_model/h wide: the low-rank fit and the head-count sweep, over seeds."""

from ..q01_multi_head.experiment import TASK, TRAIN, layout_config
from .experiment import FIT_N, SWEEP_HEADS, HeadSweep, LowRankFit, fit_low_rank, sweep_head_count

__all__ = ["FIT_N", "SWEEP_HEADS", "TASK", "TRAIN", "HeadSweep", "LowRankFit", "fit_low_rank", "layout_config",
           "sweep_head_count"]
