"""The SDK's version (also in pyproject.toml; tests/sdk/test_python_client.py keeps them equal)."""

VERSION = "0.2.0"
