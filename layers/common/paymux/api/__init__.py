"""The merchant-facing HTTP edge: event parsing, authentication, models, error mapping."""
