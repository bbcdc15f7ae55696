"""WeChat Pay API v3 (direct merchant)."""
