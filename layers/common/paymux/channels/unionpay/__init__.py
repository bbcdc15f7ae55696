"""UnionPay online payment, ACP 全渠道 5.1.0 (Cloud QuickPass QR codes, payer-presented codes,
the B2C gateway on PC and mobile), signMethod 01, in both funds modes: a merchant's own merId
(accessType 0) or an acquirer's sub-merchant (accessType 1)."""
