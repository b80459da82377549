"""Notebook 01 · why multi-head attention: one head against several, what the heads read, head ablation."""

from .experiment import (D_MODEL, HEADS, TASK, TRAIN, HeadCountTraining, label, layout_config, read_heads,
                         train_head_counts, train_layouts)

__all__ = ["D_MODEL", "HEADS", "TASK", "TRAIN", "HeadCountTraining", "label", "layout_config", "read_heads",
           "train_head_counts", "train_layouts"]
