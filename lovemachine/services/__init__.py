"""Use-cases over the ports: scoring now; reviewing, retraining and promoting later."""
