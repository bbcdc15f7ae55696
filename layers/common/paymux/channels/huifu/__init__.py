"""Huifu 汇付 斗拱 (dougong): the e-CNY (数字人民币) products of its aggregated JSON API,
`D_NATIVE` (a QR code the payer scans) and `D_MICROPAY` (the payer's wallet code), signed with
RSA-SHA256, for a merchant's own Huifu merchant or a sub-merchant under paymux's sys_id."""
