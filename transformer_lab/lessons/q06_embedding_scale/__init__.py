"""Notebook 06 · why multiply the embeddings by √d_model: the trained experiment."""

from .experiment import (
    EARLY_STEP,
    SETTINGS,
    TASK,
    TRAIN,
    EmbeddingTraining,
    Setting,
    toy_config,
    train_embedding_scale,
)

__all__ = ["EARLY_STEP", "SETTINGS", "TASK", "TRAIN", "EmbeddingTraining", "Setting", "toy_config",
           "train_embedding_scale"]
