"""A protocol-faithful local WeChat Pay API v3 server (direct merchants and service providers).

from sandbox.wechat import WeChatSandbox, generate_merchant

identity = generate_merchant("1900000109", ("wx8888888888888888",))
with WeChatSandbox(key_mode="public_key", callback_time_scale=0.001) as sb:
    sb.register_merchant(identity.merchant)
    ...  # sign requests with identity.private_key_pem against sb.base_url
"""

from sandbox.wechat.callbacks import WECHAT_RETRY_DELAYS, CallbackAttempt
from sandbox.wechat.errors import SandboxStateError
from sandbox.wechat.merchant import GeneratedMerchant, SandboxMerchant, SandboxSubMerchant, generate_merchant
from sandbox.wechat.sandbox import KeyMode, WeChatSandbox

__all__ = [
    "WECHAT_RETRY_DELAYS",
    "CallbackAttempt",
    "GeneratedMerchant",
    "KeyMode",
    "SandboxMerchant",
    "SandboxStateError",
    "SandboxSubMerchant",
    "WeChatSandbox",
    "generate_merchant",
]
