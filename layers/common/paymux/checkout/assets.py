"""The page's only style sheet and script, inlined and allowed by their SHA-256 in the page's
Content-Security-Policy (no 'unsafe-inline', no external origin, no CDN, no web fonts: the
system's fonts, which include CJK ones on every phone and desktop).

The script: follows the channel's link, starts the channel form, WeChat's JSAPI (WeixinJSBridge
getBrandWCPayRequest) or Alipay's (AlipayJSBridge tradePay with the trade_no) when the page holds
one, and polls the session's status with backoff (1 s, ×1.5, at most 10 s apart) and a cap
(MAX_POLLS, then the payer is asked to reload), showing paid, expired, failed or closed. `data-next` and
`data-scheduled` on #checkout say the delay of the poll just scheduled and how many were: what
the browser test checks the backoff and the cap with, on a fake clock."""

from __future__ import annotations

import base64
import hashlib
import re

MAX_POLLS = 60
FIRST_DELAY_MS = 1000
MAX_DELAY_MS = 10000
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
DEFAULT_COLOUR = "#1f6feb"

STYLE = """
:root{--brand:%s}
*{box-sizing:border-box}
body{margin:0;
font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
color:#1d2330;background:#f4f6f9;line-height:1.45}
main{max-width:30rem;margin:0 auto;padding:1rem}
header{display:flex;align-items:center;gap:.75rem;padding:1rem;background:var(--brand);color:#fff;border-radius:.75rem}
header img{width:3rem;height:3rem;border-radius:.5rem;background:#fff;object-fit:contain}
header h1{font-size:1.1rem;margin:0}
.amount{font-size:2rem;font-weight:700;margin:1rem 0 .25rem}
.muted{color:#5b6475;font-size:.9rem}
section{background:#fff;border-radius:.75rem;padding:1rem;margin-top:1rem;
box-shadow:0 1px 2px rgba(0,0,0,.06)}
h2{font-size:1rem;margin:0 0 .75rem}
ul{list-style:none;margin:0;padding:0}
li+li{margin-top:.5rem}
button,.button{display:block;width:100%%;padding:.85rem 1rem;font:inherit;font-size:1rem;text-align:left;
border:1px solid #d5dae3;border-radius:.6rem;background:#fff;color:inherit;text-decoration:none;
cursor:pointer}
button:hover,.button:hover,button:focus,.button:focus{border-color:var(--brand);
outline:2px solid var(--brand)}
.primary{background:var(--brand);color:#fff;border-color:var(--brand);text-align:center}
.qr{display:flex;justify-content:center;padding:.5rem}
.qr svg{width:min(16rem,70vw);height:auto;aspect-ratio:1}
input{display:block;width:100%%;font:inherit;font-size:1.5rem;padding:.6rem;margin:.25rem 0 .75rem;
border:1px solid #d5dae3;border-radius:.6rem}
.notice{background:#fff6e5;border:1px solid #f0c36d;border-radius:.6rem;padding:.75rem;margin-top:1rem}
.state{font-size:1.2rem;font-weight:600;text-align:center;margin:.5rem 0}
.paid{color:#137333}.bad{color:#b3261e}
nav{text-align:right;margin-top:1rem}
nav a{color:#5b6475}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;font-size:.8rem;word-break:break-all}
dt{color:#5b6475}dd{margin:0}
@media (min-width:48rem){main{max-width:40rem;padding:2rem}}
"""

SCRIPT = """(function(){
var root=document.getElementById("checkout");if(!root){return;}
var form=document.getElementById("channel-form");if(form){form.submit();}
var link=document.getElementById("channel-link");if(link){window.location.replace(link.href);}
function show(state){var all=document.querySelectorAll("[data-state]");
for(var i=0;i<all.length;i++){all[i].hidden=all[i].getAttribute("data-state")!==state;}
root.setAttribute("data-current",state);}
var url=root.getAttribute("data-status-url");var delay=@FIRST@,polls=0,timer=null,scheduled=0;
function later(){if(timer){clearTimeout(timer);}timer=setTimeout(poll,delay);scheduled+=1;
root.setAttribute("data-next",String(delay));root.setAttribute("data-scheduled",String(scheduled));
delay=Math.min(@MAX@,Math.round(delay*1.5));}
function poll(){timer=null;if(polls>=@POLLS@){show("gave_up");return;}polls+=1;
root.setAttribute("data-polls",String(polls));
fetch(url,{headers:{"Accept":"application/json"},cache:"no-store",credentials:"omit"})
.then(function(r){if(!r.ok){throw new Error(String(r.status));}return r.json();})
.then(function(s){if(s.state==="open"){later();return;}show(s.state);},later);}
var jsapi=document.getElementById("jsapi");
if(jsapi){var params=JSON.parse(jsapi.textContent);
var pay=function(){
window.WeixinJSBridge.invoke("getBrandWCPayRequest",params,function(){delay=@FIRST@;poll();});};
if(window.WeixinJSBridge){pay();}else{document.addEventListener("WeixinJSBridgeReady",pay,false);}}
var alipay=document.getElementById("alipay-jsapi");
if(alipay){var trade=JSON.parse(alipay.textContent);
var tradePay=function(){
window.AlipayJSBridge.call("tradePay",trade,function(){delay=@FIRST@;poll();});};
if(window.AlipayJSBridge){tradePay();}else{document.addEventListener("AlipayJSBridgeReady",tradePay,false);}}
if(url){later();}
})();"""
SCRIPT = (
    SCRIPT.replace("@FIRST@", str(FIRST_DELAY_MS))
    .replace("@MAX@", str(MAX_DELAY_MS))
    .replace("@POLLS@", str(MAX_POLLS))
)


def style_for(colour: str) -> str:
    """The sheet with the merchant's colour; anything but #rrggbb is the default (no CSS can
    be injected through the configuration)."""
    return STYLE % (colour if _COLOUR.fullmatch(colour or "") else DEFAULT_COLOUR)


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
