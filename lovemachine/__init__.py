"""Lovemachine: keeps prohibited listings off online marketplaces.

The core library (this package, minus ``lovemachine.adapters``) is pure domain code: the listing
contract, features, classifiers, policy and rules. Adapters connect it to SQL databases, Google
Cloud Pub/Sub and the embedded broker. Beside it, never imported by it: ``workers``, ``trainers``
and ``cstool_api`` (the applications built on it), ``cli`` (the ``lovemachine`` command, the
composition root), ``demo`` (the demo and its loop) and ``synth`` (the synthetic listing generator
and image host, for the demo, tests and training).
"""

__version__ = "0.1.0"
