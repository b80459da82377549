"""Notebook 02 · why Q and K use different weight matrices: the trained experiments."""

from .experiment import (
    CYCLE,
    PARTNER,
    TRAIN,
    VARIANTS,
    CyclicTraining,
    PartnerTraining,
    model_config,
    train_cyclic,
    train_partner,
    training_sequences,
)

__all__ = ["CYCLE", "PARTNER", "TRAIN", "VARIANTS", "CyclicTraining", "PartnerTraining", "model_config", "train_cyclic",
           "train_partner", "training_sequences"]
