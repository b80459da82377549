"""Notebook 03 · additive, dot-product and scaled dot-product attention: the trained experiment."""

from .experiment import SCORES, ScoreTraining, train_score_functions

__all__ = ["SCORES", "ScoreTraining", "train_score_functions"]
