"""Pub/Sub workers: ``bootstrap`` wires a process; ``consumer`` batches a streaming pull; ``handler``
turns a batch of message bytes into ack / retry / dead-letter; ``provider`` hot-reloads model and rules."""
