"""A protocol-faithful local Huifu 斗拱 API for e-CNY (D_NATIVE and D_MICROPAY).

from sandbox.huifu import HuifuSandbox, generate_sys_id

merchant = generate_sys_id("6666000108854952")
with HuifuSandbox(notify_time_scale=0.001) as sb:
    sb.register(merchant)
    ...  # sign requests with merchant.private_key_pem; verify with sb.public_key_pem
"""

from sandbox.huifu.keys import GeneratedSysId, generate_sys_id
from sandbox.huifu.notify import NOTIFY_DELAYS, NotifyAttempt
from sandbox.huifu.sandbox import HuifuSandbox

__all__ = ["NOTIFY_DELAYS", "GeneratedSysId", "HuifuSandbox", "NotifyAttempt", "generate_sys_id"]
