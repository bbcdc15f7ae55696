"""Digital RMB (e-CNY, 数字人民币) through an acquirer: there is no public channel-wide API, so
each acquiring partner's own API is one adapter (partner.EcnyAcquirer) behind one channel
shape (partner.EcnyChannel): `ecny.qr` and `ecny.barcode`, no close."""
