"""One module per use case; handlers call exactly one of these."""
