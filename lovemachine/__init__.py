"""Lovemachine: keeps prohibited listings off online marketplaces.

The core library (this package, minus ``lovemachine.adapters`` and ``lovemachine.cli``) is pure
domain code: the listing contract, features, classifiers, policy and rules. Adapters connect it to
SQL databases, Google Cloud Pub/Sub and the embedded broker; ``workers``, ``trainers`` and
``cstool_api`` are the applications built on it.
"""

__version__ = "0.1.0"
