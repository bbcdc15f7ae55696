"""Operator commands: `python -m ops …` against the deployed stack (or the local stack)."""
