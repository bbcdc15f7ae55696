# ruff: noqa: E501 - the string is JavaScript, formatted as JavaScript
"""The console's one script (inline, allowed by its hash): sign-in, views by the URL's hash,
tables built with DOM calls only (text is never parsed as HTML) and the dashboard's charts, drawn
on the server as SVG (console/charts.py), shown as images. Tokens live in sessionStorage for the
tab only."""

SCRIPT = r"""
(() => {
const T = JSON.parse(document.getElementById('i18n').textContent);
const $ = (id) => document.getElementById(id);
const KEY = 'paymux.console.token';
let token = sessionStorage.getItem(KEY) || '';
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of kids) e.append(c instanceof Node ? c : String(c));
  return e;
}
const say = (text) => { $('message').textContent = text || ''; };
const yuan = (fen) => '¥' + (Number(fen) / 100).toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2});
const pct = (rate) => (Number(rate) * 100).toFixed(1) + '%';
async function api(path, opts) {
  opts = opts || {};
  const headers = {'Accept': 'application/json'};
  if (token) headers['Authorization'] = 'Bearer ' + token;
  if (opts.body) headers['Content-Type'] = 'application/json';
  const r = await fetch('/console/api/' + path, {method: opts.method || 'GET', headers, body: opts.body ? JSON.stringify(opts.body) : undefined});
  const doc = await r.json().catch(() => ({}));
  if (r.status === 401 && !path.startsWith('login')) { signOut(); throw new Error('401'); }
  if (!r.ok) {
    const error = doc.error || {};
    say(r.status === 404 ? T.not_found : r.status === 403 ? T.forbidden : (error.message || T.error));
    throw Object.assign(new Error(error.code || String(r.status)), {error});
  }
  say('');
  return doc;
}
function signOut() { token = ''; sessionStorage.removeItem(KEY); show(); }
function table(id, columns, rows, extra) {
  const t = $(id);
  t.replaceChildren(el('tr', {}, ...columns.map((c) => el('th', {}, T[c] || c))));
  t.dataset.rows = String(rows.length);
  for (const row of rows) {
    const tr = el('tr', {}, ...columns.map((c) => el('td', {'data-col': c}, row[c] === null || row[c] === undefined ? '' : row[c])));
    if (extra) tr.append(el('td', {}, ...extra(row)));
    t.append(tr);
  }
  return t;
}
function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}
// ------------------------------------------------------------------ dashboard
const FIGURES = ['count', 'success_count', 'success_rate', 'success_rate_without_fallback', 'amount', 'average_amount', 'fallback_rescued'];
function figure(name, value) {
  if (name.startsWith('success_rate')) return pct(value);
  if (name === 'amount' || name === 'average_amount') return yuan(value);
  return String(value);
}
// The charts come drawn from the server (console/charts.py); each is shown as an <img> of a
// data: URL, where the browser runs no script and loads nothing, whatever the SVG holds.
async function charts(list) {
  const shown = list.map((c) => {
    const img = $('chart-' + c.id);
    img.alt = c.description;  // the figures in words; the figure's caption is the title
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(c.svg);
    return img.decode().catch(() => {});  // a chart that does not decode shows its alt text
  });
  await Promise.all(shown);
}
async function loadDashboard() {
  const input = $('dash-day');
  if (!input.value) input.value = today();
  const day = input.value;
  const doc = await api('dashboard?day=' + encodeURIComponent(day) + '&lang=' + document.documentElement.lang);
  if (day !== input.value) return;
  $('tiles').replaceChildren(...FIGURES.map((f) => el('div', {'class': 'tile', 'data-figure': f, 'data-value': doc.totals[f]}, el('small', {}, T[f]), el('strong', {}, figure(f, doc.totals[f])))));
  await charts(doc.charts);
  if (day === input.value) $('view-dashboard').dataset.loaded = doc.day;
}
// ------------------------------------------------------------------ payments
const PAYMENT_COLUMNS = ['id', 'merchant_order_no', 'merchant_id', 'amount', 'status', 'method', 'created_at'];
async function searchPayments(next) {
  const form = new FormData($('pay-form'));
  const query = new URLSearchParams([...form.entries()].filter(([, v]) => v));
  if (![...query.keys()].some((k) => ['id', 'merchant_order_no', 'day'].includes(k))) query.set('day', today());
  if (typeof next === 'string') query.set('next', next);  // the same search, its following page
  const doc = await api('payments?' + query);
  table('pay-table', PAYMENT_COLUMNS, doc.data.map((p) => ({...p, amount: yuan(p.amount)})), (p) => [
    Object.assign(el('button', {'type': 'button', 'data-open': p.id}, '→'), {onclick: () => openPayment(p.id)})]);
  const older = $('pay-older');
  older.hidden = !doc.next;
  older.onclick = () => searchPayments(doc.next).catch(() => {});
  $('pay-detail').replaceChildren();
}
async function openPayment(id) {
  const doc = await api('payments/' + encodeURIComponent(id));
  const p = doc.payment;
  const box = $('pay-detail');
  box.replaceChildren(el('h3', {}, p.id + ' · ' + p.status + ' · ' + yuan(p.amount)),
    el('h4', {}, T.events), el('table', {id: 'pay-events'}), el('h4', {}, T.notifications), el('table', {id: 'pay-notifications'}));
  table('pay-events', ['at', 'type', 'actor', 'from_status', 'to_status'], doc.events);
  table('pay-notifications', ['created_at', 'type', 'status', 'notify_url'], doc.notifications);
}
// ------------------------------------------------------------------ exceptions
async function loadExceptions() {
  const doc = await api('exceptions');
  table('exc-table', ['at', 'kind', 'subject'], doc.data, (x) => {
    const note = el('input', {'name': 'note', 'placeholder': T.note, 'maxlength': '500'});
    const go = el('button', {'type': 'button'}, T.resolve);
    // a stopped payer-code reversal needs the operator's outcome too (services/reversal_review)
    const outcome = x.kind === 'reversal_unconfirmed' ? el('select', {'name': 'outcome'}, el('option', {'value': ''}, T.outcome), el('option', {'value': 'closed'}, T.outcome_closed), el('option', {'value': 'paid'}, T.outcome_paid)) : null;
    if (outcome) outcome.title = x.detail.action || '';
    go.onclick = async () => {
      const body = outcome ? {note: note.value, outcome: outcome.value} : {note: note.value};
      await api('exceptions/' + x.id + '/resolve', {method: 'POST', body}); loadExceptions();
    };
    return outcome ? [outcome, note, go] : [note, go];
  });
}
// ------------------------------------------------------------------ reconciliation
function download(url) { const a = el('a', {href: url}); document.body.append(a); a.click(); a.remove(); }
async function loadReconciliation() {
  const to = $('rec-to'), from = $('rec-from');
  if (!to.value) to.value = today();
  if (!from.value) from.value = new Date(Date.parse(to.value) - 6 * 86400000).toISOString().slice(0, 10);
  const range = from.value + '/' + to.value;
  const doc = await api('reconciliation?from=' + from.value + '&to=' + to.value);
  if (range !== from.value + '/' + to.value) return;  // the inputs changed meanwhile: a newer load draws
  const rows = doc.data.map((r) => ({...r, reconciled: r.reconciled ? T.reconciled : T.not_reconciled}));
  table('rec-table', ['date', 'reconciled', 'matched', 'discrepancies', 'pending'], rows, (r) => (r.exports || []).map((fmt) => {
    const b = el('button', {'type': 'button', 'data-export': r.date + '/' + fmt}, T.export + ' ' + fmt.toUpperCase());
    b.onclick = async () => download((await api('reconciliation/' + r.date + '/exports/' + fmt)).url);
    return b;
  }));
  $('rec-table').dataset.range = range;
}
// ------------------------------------------------------------------ accounts
function controls(kind, item) {
  const weight = el('input', {'type': 'number', 'min': '0', 'value': String(item.weight), 'name': 'weight'});
  const save = el('button', {'type': 'button'}, T.save);
  const flip = el('button', {'type': 'button', 'data-toggle': item[kind + '_id']}, item.enabled ? T.disable : T.enable);
  const patch = async (body) => { await api(kind + 's/' + encodeURIComponent(item[kind + '_id']), {method: 'PATCH', body: {...body, version: item.version}}); loadAccounts(); };
  save.onclick = () => patch({weight: Number(weight.value)});
  flip.onclick = () => patch({enabled: !item.enabled});
  return [weight, save, flip];
}
async function loadAccounts() {
  const doc = await api('accounts');
  table('acc-table', ['account_id', 'provider', 'mode', 'enabled', 'weight'], doc.accounts, (a) => controls('account', a));
  table('bind-table', ['binding_id', 'merchant_id', 'account_id', 'enabled', 'weight'], doc.bindings, (b) => controls('binding', b));
}
// ------------------------------------------------------------------ audit
let auditRows = [], auditNext = null;
async function loadAudit(more) {
  const query = new URLSearchParams([...new FormData($('audit-form')).entries()].filter(([, v]) => v));
  if (more && auditNext) query.set('next', auditNext);  // the same listing, its following page
  const doc = await api('audit?' + query);
  const rows = doc.data.map((a) => ({...a, detail: JSON.stringify(a.detail)}));
  auditRows = more ? auditRows.concat(rows) : rows;
  auditNext = doc.next;
  table('audit-table', ['at', 'username', 'sub', 'action', 'target', 'detail'], auditRows);
  $('audit-more').hidden = !auditNext;
}
// ------------------------------------------------------------------ frame
const LOADERS = {'view-dashboard': loadDashboard, 'view-payments': searchPayments, 'view-exceptions': loadExceptions,
  'view-reconciliation': loadReconciliation, 'view-accounts': loadAccounts, 'view-audit': () => loadAudit(false)};
async function show() {
  for (const s of document.querySelectorAll('section.view')) s.hidden = true;
  $('new-password').hidden = true;
  if (!token) { $('login').hidden = false; $('nav').hidden = true; return; }
  const me = await api('me');
  $('who').textContent = me.username + (me.merchant_id ? ' · ' + me.merchant_id : '');
  document.body.dataset.role = me.role;
  $('login').hidden = true;
  $('nav').hidden = false;
  const section = $('view-' + (location.hash || '#dashboard').slice(1)) || $('view-dashboard');
  section.hidden = false;
  LOADERS[section.id]().catch(() => {});
}
$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const doc = await api('login', {method: 'POST', body: {username: form.get('username'), password: form.get('password')}});
    if (doc.challenge === 'new_password_required') { askNewPassword(String(form.get('username')), doc.session); return; }
    signedIn(doc);
  } catch (e) { say(signInText(e)); }
});
// The sign-in's typed refusals (paymux.console.login), each in the page's words.
const SIGN_IN = {invalid_credentials: 'wrong_login', session_expired: 'session_expired', password_reset_required: 'password_reset_required',
  sign_in_throttled: 'sign_in_throttled', sign_in_unavailable: 'sign_in_unavailable', sign_in_refused: 'sign_in_refused'};
function signInText(e) { const code = (e.error || {}).code; return T[SIGN_IN[code] || (code ? 'sign_in_refused' : 'error')]; }
function signedIn(doc) { token = doc.id_token; sessionStorage.setItem(KEY, token); show(); }
// A temporary password: the new one, within the stated policy; Cognito's session is kept in memory only.
let pending = null;
function askNewPassword(username, session) {
  pending = {username, session};
  $('login').hidden = true;
  $('new-password').hidden = false;
  $('f-new-password').focus();
}
$('new-password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const chosen = $('f-new-password').value;
  if (chosen !== $('f-confirm-password').value) { say(T.passwords_differ); return; }
  try {
    signedIn(await api('login/new-password', {method: 'POST', body: {...pending, new_password: chosen}}));
    pending = null;
  } catch (e) {
    const error = e.error || {};
    if (error.code === 'weak_password') {
      const rules = (error.details || []).map((d) => T['policy_' + d.message] || '').filter(Boolean);
      say(T.weak_password + ' ' + rules.map((r) => r.replace('{n}', $('f-new-password').minLength)).join('、'));
    } else if (error.code === 'session_expired') {
      pending = null; $('new-password').hidden = true; $('login').hidden = false; say(T.session_expired);
    } else {
      say(signInText(e));
    }
  }
});
$('signout').addEventListener('click', signOut);
$('audit-more').addEventListener('click', () => loadAudit(true).catch(() => {}));
for (const [form, loader] of [['dash-form', loadDashboard], ['pay-form', searchPayments], ['rec-form', loadReconciliation], ['audit-form', () => loadAudit(false)]]) {
  $(form).addEventListener('submit', (event) => { event.preventDefault(); loader().catch(() => {}); });
}
window.addEventListener('hashchange', () => show().catch(() => {}));
show().catch(() => {});
})();
"""
