"""Synthetic tasks, generated on the fly from a seed: nothing to download.

Each task yields ``(tokens (B, T) long, targets (B, T) long)``; targets are ``IGNORE`` (-100,
``F.cross_entropy``'s ``ignore_index``) at positions that are not scored. One module per family.
"""

from .base import IGNORE, Task
from .recall import KeyValueRecallTask, PointerTask, RecallAndPreviousTask
from .relations import CyclicSuccessorTask, PartnerTask
from .sequences import LocalCopyTask, ReverseTask

__all__ = ["IGNORE", "Task", "PointerTask", "KeyValueRecallTask", "RecallAndPreviousTask", "CyclicSuccessorTask",
           "PartnerTask", "LocalCopyTask", "ReverseTask"]
