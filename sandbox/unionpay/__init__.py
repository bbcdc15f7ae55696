"""A protocol-faithful local UnionPay ACP 5.1.0 gateway (direct merchants and acquirers).

from sandbox.unionpay import UnionPaySandbox, generate_merchant

identity = generate_merchant("777290058167151")
with UnionPaySandbox(notify_time_scale=0.001) as sb:
    sb.register_merchant(identity)
    ...  # sign requests with identity.pkcs12 / identity.password against sb.base_url
"""

from sandbox.unionpay.certificates import GeneratedMerchant, generate_merchant
from sandbox.unionpay.errors import SandboxStateError
from sandbox.unionpay.notify import OLDER_DEMO_NOTIFY_DELAYS, UNIONPAY_NOTIFY_DELAYS, NotifyAttempt
from sandbox.unionpay.sandbox import UnionPaySandbox

__all__ = [
    "OLDER_DEMO_NOTIFY_DELAYS",
    "UNIONPAY_NOTIFY_DELAYS",
    "GeneratedMerchant",
    "NotifyAttempt",
    "SandboxStateError",
    "UnionPaySandbox",
    "generate_merchant",
]
