// The admin areas: accounts, coupons, prices, API keys, webhooks, the audit log, the ledger check and platform totals.
// Shown to admins only; the admin routes refuse everyone else whatever a page shows.
import { call, get, post, put, del, query } from './api.js';
import { h, card, field, status, act, table, fill, secretNotice } from './ui.js';
import { credits, count, date } from './format.js';
import { transactionsCard } from './user.js';

const API = '/api/v1/credits';

export function adminView(root) {
  root.replaceChildren(accountsCard(), couponsCard(), pricesCard(), apiKeysCard(), webhooksCard(), auditCard(), ledgerCard(),
    totalsCard());
}

function accountsCard() {
  const search = field('Search accounts', { type: 'search', placeholder: 'user id contains…' });
  const find = h('button', { type: 'submit' }, 'Search');
  const results = h('div');
  const detail = h('div');
  const form = h('form', { class: 'row', role: 'search' }, search.element, find);
  const load = () => fill(results, async () => {
    const { body, total } = await call('GET', `${API}/admin/accounts${query({ search: search.input.value.trim(), limit: 20 })}`);
    return h('div', {}, h('p', {}, `${count(total)} accounts`), table([
      ['User', (a) => h('button', { type: 'button', class: 'link', onclick: () => showAccount(detail, a.user_id) }, a.user_id)],
      ['Tier', (a) => a.tier],
      ['Balance', (a) => credits(a.balance), 'num'],
      ['Held', (a) => credits(a.held), 'num'],
    ], body, 'No account matches'));
  });
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  return card('Accounts', form, results, detail);
}

async function showAccount(slot, userId) {
  const balance = h('div');
  const refresh = () => fill(balance, async () => {
    const b = await get(`${API}/admin/accounts/${encodeURIComponent(userId)}`);
    return h('dl', { class: 'stats' },
      ...[['Balance', credits(b.balance)], ['Available', credits(b.available)], ['Held', credits(b.held)],
        ['Allowance left', credits(b.allowance_remaining)], ['Bonus', credits(b.bonus_credits)], ['Tier', b.tier],
        ['Next renewal', date(b.reset_date)]]
        .map(([k, v]) => h('div', { class: 'stat' }, h('dt', {}, k), h('dd', {}, v))));
  });
  const amount = field('Amount', { type: 'number', min: '0', step: 'any', inputmode: 'decimal' });
  const reason = field('Reason or source', { value: 'dashboard' });
  const told = status();
  const move = (label, path, extra) => {
    const button = h('button', { type: 'button' }, label);
    button.addEventListener('click', async () => {
      const value = Number(amount.input.value);
      const done = await act(button, told, () => post(`${API}/${path}`, { user_id: userId, amount: value, ...extra() }),
        () => `${label}: ${credits(value)} credits`);
      if (done) { refresh(); transactions.replaceWith(transactions = transactionsCard(userId, `Transactions of ${userId}`)); }
    });
    return button;
  };
  const tiers = await get(`${API}/tiers/compare`).catch(() => []);
  const tier = field('Tier', { tag: 'select', options: tiers.map((t) => t.tier) });
  const switchTier = h('button', { type: 'button' }, 'Switch tier');
  switchTier.addEventListener('click', async () => {
    if (await act(switchTier, told, () => post(`${API}/tiers/switch`, { user_id: userId, new_tier: tier.input.value }),
      () => `Switched to ${tier.input.value}`)) refresh();
  });
  const holds = h('div');
  fill(holds, async () => table([
    ['Hold', (x) => x.hold_id], ['Amount', (x) => credits(x.amount), 'num'], ['Expires', (x) => date(x.expires_at)],
  ], await get(`${API}/holds${query({ user_id: userId })}`), 'No open holds'));
  let transactions = transactionsCard(userId, `Transactions of ${userId}`);
  slot.replaceChildren(h('article', { class: 'detail', 'aria-label': `Account ${userId}` },
    h('h3', {}, `Account ${userId}`), balance,
    h('div', { class: 'row' }, amount.element, reason.element),
    h('div', { class: 'row' },
      move('Allocate', 'allocate', () => ({ source: reason.input.value })),
      move('Deduct', 'deduct', () => ({ service: 'dashboard', metadata: { reason: reason.input.value } })),
      move('Refund', 'refund', () => ({ reason: reason.input.value }))),
    h('div', { class: 'row' }, tier.element, switchTier), told,
    h('h3', {}, 'Open holds'), holds, transactions));
  refresh();
}

function couponsCard() {
  const type = field('Type', { tag: 'select', options: ['credit_bonus', 'free_month', 'percentage_discount', 'fixed_discount'] });
  const value = field('Value', { type: 'number', min: '0', step: 'any' });
  const code = field('Code (empty: generated)', { autocapitalize: 'characters' });
  const maxUses = field('Max uses', { type: 'number', min: '1', step: '1' });
  const expires = field('Expires', { type: 'datetime-local' });
  const create = h('button', { type: 'submit' }, 'Create coupon');
  const told = status();
  const list = h('div');
  const all = field('Show inactive too', { type: 'checkbox' });
  const redemptions = h('div');
  const load = () => fill(list, async () => table([
    ['Code', (c) => c.code], ['Type', (c) => c.coupon_type], ['Value', (c) => credits(c.value), 'num'],
    ['Used', (c) => `${count(c.used_count)}${c.max_uses ? ` of ${count(c.max_uses)}` : ''}`, 'num'],
    ['Expires', (c) => date(c.expires_at)], ['Active', (c) => (c.is_active ? 'yes' : 'no')],
    ['', (c) => (c.is_active ? deactivate(c.code) : '')],
  ], await get(`${API}/coupons${query({ active_only: all.input.checked ? 'false' : 'true' })}`), 'No coupons'));
  const deactivate = (c) => {
    const button = h('button', { type: 'button', class: 'danger', 'aria-label': `Deactivate ${c}` }, 'Deactivate');
    button.addEventListener('click', async () => { if (await act(button, told, () => del(`${API}/coupons/${encodeURIComponent(c)}`))) load(); });
    return button;
  };
  all.input.addEventListener('change', load);
  const form = h('form', { class: 'grid' }, type.element, value.element, code.element, maxUses.element, expires.element, create);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { coupon_type: type.input.value, value: Number(value.input.value) };
    if (code.input.value.trim()) body.code = code.input.value.trim();
    if (maxUses.input.value) body.max_uses = Number(maxUses.input.value);
    if (expires.input.value) body.expires_at = new Date(expires.input.value).toISOString();
    if (await act(create, told, () => post(`${API}/coupons/create`, body), (c) => `Created ${c.code}`)) load();
  });
  const redemptionsFor = field('Redemptions of user');
  const show = h('button', { type: 'button' }, 'Show redemptions');
  show.addEventListener('click', () => fill(redemptions, async () => table([
    ['Code', (r) => r.code], ['Credits', (r) => credits(r.credits_awarded), 'num'], ['When', (r) => date(r.redeemed_at)],
  ], await get(`${API}/coupons/redemptions${query({ user_id: redemptionsFor.input.value.trim() })}`), 'No redemptions')));
  load();
  return card('Coupons', form, told, all.element, list, h('div', { class: 'row' }, redemptionsFor.element, show), redemptions);
}

function pricesCard() {
  const list = h('div');
  const unpriced = h('div');
  const model = field('Model');
  const input = field('Input per million', { type: 'number', min: '0', step: 'any' });
  const output = field('Output per million', { type: 'number', min: '0', step: 'any' });
  const save = h('button', { type: 'submit' }, 'Override price');
  const sync = h('button', { type: 'button' }, 'Sync from OpenRouter');
  const told = status();
  const load = () => {
    fill(list, async () => table([
      ['Model', (p) => p.model], ['Input / M', (p) => credits(p.input_price_per_million), 'num'],
      ['Output / M', (p) => credits(p.output_price_per_million), 'num'], ['Source', (p) => p.source],
    ], await get(`${API}/pricing/models`), 'No prices'));
    fill(unpriced, async () => table([
      ['Service', (u) => u.service], ['Model', (u) => u.model], ['Events', (u) => count(u.event_count), 'num'],
    ], await get(`${API}/admin/usage/unpriced`), 'Every model used in the last 30 days has a price'));
  };
  const form = h('form', { class: 'grid' }, model.element, input.element, output.element, save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await act(save, told, () => put(`${API}/pricing/models/${encodeURIComponent(model.input.value.trim())}`,
      { input_price_per_million: Number(input.input.value), output_price_per_million: Number(output.input.value) }), 'Saved')) load();
  });
  sync.addEventListener('click', async () => {
    if (await act(sync, told, () => post(`${API}/pricing/sync`), (r) => `Imported ${count(r.imported)}, updated ${count(r.updated)}`)) load();
  });
  load();
  return card('Prices', form, h('div', { class: 'row' }, sync), told, list, h('h3', {}, 'Unpriced models'), unpriced);
}

function apiKeysCard() {
  const user = field('User id');
  const role = field('Role', { tag: 'select', options: ['user', 'service', 'admin'] });
  const label = field('Label');
  const issue = h('button', { type: 'submit' }, 'Issue key');
  const told = status();
  const secret = h('div');
  const list = h('div');
  const load = () => fill(list, async () => table([
    ['Prefix', (k) => h('code', {}, k.prefix)], ['User', (k) => k.user_id], ['Role', (k) => k.role], ['Label', (k) => k.label || ''],
    ['Created', (k) => date(k.created_at)],
    ['', (k) => (k.revoked_at ? `revoked ${date(k.revoked_at)}` : revoke(k))],
  ], await get(`${API}/admin/api-keys`), 'No keys'));
  const revoke = (k) => {
    const button = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${k.prefix}` }, 'Revoke');
    button.addEventListener('click', async () => { if (await act(button, told, () => del(`${API}/admin/api-keys/${k.id}`), 'Revoked')) load(); });
    return button;
  };
  const form = h('form', { class: 'grid' }, user.element, role.element, label.element, issue);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = await act(issue, told, () => post(`${API}/admin/api-keys`,
      { user_id: user.input.value.trim(), role: role.input.value, label: label.input.value.trim() || undefined }));
    if (!key) return;
    secret.replaceChildren(secretNotice('New API key', key.key, 'The key is shown this once; store it now.'));
    load();
  });
  load();
  return card('API keys', form, told, secret, list);
}

const EVENT_TYPES = ['balance.low', 'balance.depleted', 'balance.recovered', 'quota.warning', 'quota.exhausted',
  'credits.added', 'tier.changed', 'hold.expired', 'usage.unpriced', 'webhook.disabled'];

// Webhook endpoints: register one (its signing secret shown once), send it a test, read its deliveries, switch it
// off and on, remove it.
function webhooksCard() {
  const url = field('Endpoint URL', { type: 'url', placeholder: 'https://…' });
  const boxes = EVENT_TYPES.map((type) => {
    const box = h('input', { type: 'checkbox', value: type, checked: type.startsWith('balance.') });
    return { box, element: h('label', { class: 'check' }, box, ` ${type}`) };
  });
  const register = h('button', { type: 'submit' }, 'Register endpoint');
  const told = status();
  const secret = h('div');
  const list = h('div');
  const detail = h('div');
  const load = () => fill(list, async () => table([
    ['URL', (w) => h('code', {}, w.url)],
    ['Events', (w) => w.event_types.join(', ')],
    ['State', (w) => (w.enabled ? 'enabled' : `disabled${w.disabled_reason ? `: ${w.disabled_reason}` : ''}`)],
    ['', (w) => h('div', { class: 'row' }, action('Test', w, () => post(`${API}/admin/webhooks/${w.id}/test`),
      (d) => `Test to ${w.url}: ${d.status}${d.response_status ? ` (HTTP ${d.response_status}, ${d.latency_ms} ms)` : ''}${d.error ? `: ${d.error}` : ''}`),
    h('button', { type: 'button', onclick: () => showDeliveries(w) }, 'Deliveries'),
    action(w.enabled ? 'Disable' : 'Enable', w, () => call('PATCH', `${API}/admin/webhooks/${w.id}`, { enabled: !w.enabled }),
      () => `${w.enabled ? 'Disabled' : 'Enabled'} ${w.url}`, true),
    action('Delete', w, () => del(`${API}/admin/webhooks/${w.id}`), () => `Deleted ${w.url}`, true))],
  ], await get(`${API}/admin/webhooks`), 'No endpoint registered'));
  const action = (label, w, run, success, reload = false) => {
    const button = h('button', { type: 'button', class: label === 'Delete' ? 'danger' : undefined,
      'aria-label': `${label} ${w.url}` }, label);
    button.addEventListener('click', async () => { if (await act(button, told, run, success) && reload) load(); });
    return button;
  };
  const showDeliveries = (w) => fill(detail, async () => h('div', {}, h('h3', {}, `Deliveries to ${w.url}`), table([
    ['Event', (d) => `${d.event_type} #${d.event_id}`], ['Status', (d) => d.status], ['Attempts', (d) => count(d.attempts), 'num'],
    ['Answer', (d) => (d.response_status ? `HTTP ${d.response_status}` : d.error || '–')],
    ['Latency', (d) => (d.latency_ms == null ? '–' : `${count(d.latency_ms)} ms`), 'num'], ['Last attempt', (d) => date(d.last_attempt_at)],
  ], await get(`${API}/admin/webhooks/${w.id}/deliveries${query({ limit: 20 })}`), 'No delivery yet')));
  const form = h('form', {}, url.element, h('fieldset', { class: 'checks' }, h('legend', {}, 'Events'),
    boxes.map((b) => b.element)), register);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const created = await act(register, told, () => post(`${API}/admin/webhooks`, {
      url: url.input.value.trim(), event_types: boxes.filter((b) => b.box.checked).map((b) => b.box.value) }));
    if (!created) return;
    secret.replaceChildren(secretNotice('Signing secret', created.secret,
      'The signing secret is shown this once; give it to the receiver to verify signatures.'));
    url.input.value = '';
    load();
  });
  load();
  return card('Webhooks', form, told, secret, list, detail);
}

function auditCard() {
  const list = h('div');
  const user = field('User id');
  const show = h('button', { type: 'submit' }, 'Show');
  const load = () => fill(list, async () => table([
    ['When', (e) => date(e.at)], ['Who', (e) => e.actor], ['What', (e) => e.action],
    ['Target', (e) => e.target_user_id || e.target || ''], ['Outcome', (e) => e.outcome],
  ], await get(`${API}/admin/audit${query({ user_id: user.input.value.trim(), limit: 50 })}`), 'Nothing audited'));
  const form = h('form', { class: 'row' }, user.element, show);
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  load();
  return card('Audit log', form, list);
}

function ledgerCard() {
  const check = h('button', { type: 'button' }, 'Check the ledger');
  const told = status();
  check.addEventListener('click', () => act(check, told, () => get(`${API}/admin/ledger/verify`),
    (r) => (r.consistent ? `Consistent: ${count(r.accounts_checked)} accounts checked`
      : `${count(r.inconsistencies.length)} inconsistent accounts: ${r.inconsistencies.map((i) => i.user_id).join(', ')}`)));
  return card('Ledger check', h('p', {}, 'For every account: balance = the sum of its ledger, held = its open holds.'), check, told);
}

function totalsCard() {
  const days = field('Days', { type: 'number', min: '1', max: '366', value: '30' });
  const show = h('button', { type: 'submit' }, 'Show totals');
  const slot = h('div');
  const load = () => fill(slot, async () => {
    const t = await get(`${API}/admin/usage/totals${query({ days: days.input.value })}`);
    const top = (rows, title) => table([[title, (r) => r.name || '–'], ['Events', (r) => count(r.events), 'num'],
      ['Credits', (r) => credits(r.charged), 'num']], rows, 'None');
    return h('div', {},
      h('dl', { class: 'stats' },
        ...[['Events', count(t.events)], ['Credits charged', credits(t.charged)], ['Markup earned', credits(t.markup_earned)]]
          .map(([k, v]) => h('div', { class: 'stat' }, h('dt', {}, k), h('dd', {}, v)))),
      h('div', { class: 'columns' }, top(t.top_users, 'Top users'), top(t.top_models, 'Top models')));
  });
  const form = h('form', { class: 'row' }, days.element, show);
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  load();
  return card('Platform totals', form, slot);
}
