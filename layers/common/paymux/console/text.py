"""The console's words in zh-CN and en: the page renders its frame with them and hands the
whole table of its language to the script (for what it builds later); the dashboard's charts
(console/charts.py) are drawn on the server with them."""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")
_KEYS = (
    # key, zh-CN, en
    ("title", "paymux 控制台", "paymux console"),
    ("language", "English", "中文"),
    ("username", "用户名", "Username"),
    ("password", "密码", "Password"),
    ("sign_in", "登录", "Sign in"),
    ("sign_out", "退出", "Sign out"),
    ("wrong_login", "用户名或密码错误", "Wrong username or password"),
    # the sign-in's other answers, by error code (script.py's SIGN_IN; paymux.console.login)
    (
        "password_reset_required",
        "密码需由管理员重置，请联系管理员",
        "An administrator must reset your password",
    ),
    ("sign_in_throttled", "登录尝试过于频繁，请稍后再试", "Too many sign-in attempts; try again later"),
    (
        "sign_in_unavailable",
        "登录服务暂不可用，请稍后再试",
        "The sign-in service is unavailable; try again shortly",
    ),
    (
        "sign_in_refused",
        "无法登录，请重新登录或联系管理员",
        "The sign-in was refused; sign in again or ask an administrator",
    ),
    ("dashboard", "概览", "Dashboard"),
    ("payments", "支付", "Payments"),
    ("exceptions", "异常", "Exceptions"),
    ("reconciliation", "对账", "Reconciliation"),
    ("accounts", "渠道账户", "Channel accounts"),
    ("day", "日期", "Day"),
    ("load", "查询", "Load"),
    ("count", "笔数", "Payments"),
    ("success_count", "成功笔数", "Succeeded"),
    ("success_rate", "成功率", "Success rate"),
    ("success_rate_without_fallback", "成功率（不含降级挽回）", "Success rate without fallback"),
    ("amount", "成功金额", "Amount paid"),
    ("average_amount", "客单价", "Average transaction value"),
    ("fallback_rescued", "降级挽回", "Rescued by fallback"),
    ("per_hour", "每时段支付笔数与降级挽回笔数", "Payments per period and those rescued by fallback"),
    ("rate_by_method", "按支付方式的成功率", "Success rate by method"),
    ("rate_by_provider", "按渠道的成功率", "Success rate by provider"),
    (
        "method_mix",
        "支付方式占比（上：按笔数，下：按金额）",
        "Method mix (upper bar: by count, lower: by amount)",
    ),
    ("legend_lines", "实线：含降级挽回　虚线：不含", "solid: with fallback rescues, dashed: without"),
    (
        "checkout_mix",
        "收银台支付方式占比（当日完成的收银台会话，按付款人所选方式）",
        "Checkout methods (the day's completed checkout sessions, by the method the payer chose)",
    ),
    ("no_checkout", "当日没有完成的收银台会话", "No checkout session completed this day"),
    ("no_figures", "当日没有数据", "No figures for this day"),
    ("by_count", "按笔数", "by count"),
    ("by_amount", "按金额", "by amount"),
    ("search", "搜索", "Search"),
    ("older", "更早的", "Older"),
    ("payment_id", "支付单号", "Payment id"),
    ("merchant_order_no", "商户订单号", "Merchant order no"),
    ("merchant_id", "商户", "Merchant"),
    ("status", "状态", "Status"),
    ("created_at", "创建时间", "Created"),
    ("method", "支付方式", "Method"),
    ("provider", "渠道", "Provider"),
    ("events", "审计记录", "Audit trail"),
    ("notifications", "通知", "Notifications"),
    ("kind", "类型", "Kind"),
    ("subject", "对象", "Subject"),
    ("at", "时间", "At"),
    ("resolve", "处理", "Resolve"),
    ("note", "处理说明", "Note"),
    ("outcome", "撤销结果（先在渠道商户平台核实）", "Outcome (check the channel's platform first)"),
    ("outcome_closed", "付款人已退款：关闭", "Payer has the money back: close"),
    ("outcome_paid", "渠道已扣款：支付成功", "Channel kept the charge: paid"),
    ("date", "日期", "Date"),
    ("reconciled", "已对账", "Reconciled"),
    ("not_reconciled", "未对账", "Not reconciled"),
    ("matched", "一致", "Matched"),
    ("discrepancies", "差异", "Discrepancies"),
    ("pending", "待定", "Pending"),
    ("export", "导出", "Export"),
    ("from", "从", "From"),
    ("to", "到", "To"),
    ("account", "账户", "Account"),
    ("binding", "绑定", "Binding"),
    ("enabled", "启用", "Enabled"),
    ("weight", "权重", "Weight"),
    ("enable", "启用", "Enable"),
    ("disable", "停用", "Disable"),
    ("save", "保存", "Save"),
    ("none", "无", "None"),
    ("not_found", "未找到", "Not found"),
    ("forbidden", "仅限运营人员", "Operators only"),
    ("error", "出错了，请重试", "Something went wrong; try again"),
    # the new-password screen (a temporary password from an administrator)
    ("new_password_title", "请设置新密码", "Choose a new password"),
    (
        "new_password_why",
        "管理员设置的临时密码须先更换。",
        "The temporary password an administrator set must be replaced first.",
    ),
    ("new_password", "新密码", "New password"),
    ("confirm_password", "确认新密码", "Confirm the new password"),
    ("set_password", "设置密码并登录", "Set the password and sign in"),
    ("policy_minimum_length", "至少 {n} 个字符", "at least {n} characters"),
    ("policy_lowercase", "含小写字母", "a lowercase letter"),
    ("policy_uppercase", "含大写字母", "an uppercase letter"),
    ("policy_numbers", "含数字", "a digit"),
    ("policy_symbols", "含符号", "a symbol"),
    ("policy_intro", "新密码须满足：", "The new password needs:"),
    ("weak_password", "新密码不符合要求：", "The new password does not meet:"),
    ("passwords_differ", "两次输入的新密码不一致", "The two new passwords differ"),
    ("session_expired", "登录已超时，请重新登录", "The sign-in expired; sign in again"),
    # the audit page
    ("audit", "操作审计", "Audit log"),
    ("actor", "操作人", "Operator"),
    ("action", "操作", "Action"),
    ("target", "操作对象", "Target"),
    ("detail", "内容", "Detail"),
    ("sub", "用户 ID", "User id"),
    ("more", "更多", "More"),
    (
        "audit_hint",
        "按操作人或对象筛选时可不填日期（查全部日期）；日期为 UTC。",
        "With an operator or a target the day may be left empty (every day); days are UTC.",
    ),
)
TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {key: zh for key, zh, _ in _KEYS},
    "en": {key: en for key, _, en in _KEYS},
}


def language(query: str, accept_language: str) -> str:
    """`?lang=` when it names one, else the first of Accept-Language we speak, else zh-CN."""
    if query in LANGUAGES:
        return query
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh-CN"
    return "zh-CN"


def t(lang: str, key: str) -> str:
    return TEXT[lang][key]
