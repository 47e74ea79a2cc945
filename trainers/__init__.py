"""Training jobs: labelled JSONL -> a registered, evaluated model version (see ``train.py``)."""
