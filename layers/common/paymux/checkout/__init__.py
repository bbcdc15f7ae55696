"""The hosted checkout: sessions (a payment the payer completes on paymux's own page), the page,
its server-side QR codes, wallet detection and the signed return to the merchant. docs/checkout.md."""
