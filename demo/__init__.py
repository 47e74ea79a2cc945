"""The demo: the whole slice on synthetic listings (``slice``), the loop that follows a trend through
retraining, shadow and promotion (``loop``), and the CS tool served on the demo's database
(``serve``). An application of its own beside the core library; ``lovemachine demo`` runs it."""
