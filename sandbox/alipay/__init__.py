"""A protocol-faithful local Alipay OpenAPI gateway (v1, RSA2) for one or more merchant apps.

from sandbox.alipay import AlipaySandbox, generate_app

identity = generate_app(app_id="2021000000000001", pid="2088000000000001")
with AlipaySandbox(notify_time_scale=0.001) as sb:
    sb.register_app(identity.app)
    ...  # sign requests with identity.private_key_pem, POST them to sb.gateway_url,
    ...  # verify answers and notifications with sb.alipay_public_key_pem
"""

from sandbox.alipay.apps import GeneratedApp, SandboxApp, generate_app
from sandbox.alipay.errors import GatewayError, SandboxStateError
from sandbox.alipay.notify import ALIPAY_NOTIFY_DELAYS, NotifyAttempt
from sandbox.alipay.sandbox import AlipaySandbox

__all__ = [
    "ALIPAY_NOTIFY_DELAYS",
    "AlipaySandbox",
    "GatewayError",
    "GeneratedApp",
    "NotifyAttempt",
    "SandboxApp",
    "SandboxStateError",
    "generate_app",
]
