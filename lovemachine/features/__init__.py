"""Pure feature extraction: Listing -> text tokens and tabular signals. No I/O, no frameworks."""
