"""Notebook 08 · other positional encodings: which schemes extrapolate past the training length."""

from .experiment import LENGTHS, SCHEMES, TASK, TIERS, TRAIN_LEN, Extrapolation, model_config, train_extrapolation

__all__ = ["SCHEMES", "TASK", "TRAIN_LEN", "LENGTHS", "TIERS", "Extrapolation", "model_config", "train_extrapolation"]
