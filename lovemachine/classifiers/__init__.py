"""Classifiers: one module per model family, all behind the ``Classifier`` protocol."""

from lovemachine.classifiers.base import Classifier
from lovemachine.classifiers.fast import FastTierModel

__all__ = ["Classifier", "FastTierModel"]
