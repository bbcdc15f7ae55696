"""Server plumbing the provider sandboxes share; no provider's protocol lives here."""
