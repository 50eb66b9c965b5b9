// What every signed-in user sees: their balance, low-balance alert, usage, transactions, coupons, their own OpenRouter
// key and the gateway quick start. Admins see the same for themselves.
import { call, get, post, put, del, query } from './api.js';
import { h, card, field, status, act, table, fill, debounce, loading } from './ui.js';
import { credits, count, date } from './format.js';
import { usageChart } from './chart.js';

const API = '/api/v1/credits';
const PAGE = 20;

export function userView(root) {
  const balanceSlot = h('div');
  const refreshBalance = () => fill(balanceSlot, renderBalance);
  root.replaceChildren(
    card('Balance', balanceSlot),
    alertsCard(),
    usageCard(),
    transactionsCard(),
    couponCard(refreshBalance),
    byokCard(),
    gatewayCard(),
  );
  refreshBalance();
}

async function renderBalance() {
  const b = await get(`${API}/balance`);
  const calls = b.api_calls;
  const debt = Number(b.balance) < 0;
  const item = (label, value, extra = {}) => h('div', { class: 'stat', ...extra }, h('dt', {}, label), h('dd', {}, value));
  return h('dl', { class: 'stats' },
    item('Balance', debt ? `${credits(b.balance)} (debt)` : credits(b.balance), { class: debt ? 'stat debt' : 'stat main' }),
    item('Available', credits(b.available)),
    item('Held', credits(b.held)),
    item('Allowance left', credits(b.allowance_remaining)),
    item('Bonus', credits(b.bonus_credits)),
    item('Tier', b.tier),
    item('Next renewal', date(b.reset_date)),
    item('API calls', calls ? `${count(calls.used)} of ${calls.limit == null ? 'unlimited' : count(calls.limit)} this ${calls.period}` : '–'),
  );
}

// The low-balance alert (GET/PUT /alerts/thresholds): the platform's default until the user sets an amount.
function alertsCard() {
  const current = h('div');
  const amount = field('Alert below (credits)', { type: 'number', min: '0', step: 'any', inputmode: 'decimal' });
  const save = h('button', { type: 'submit' }, 'Save alert');
  const reset = h('button', { type: 'button' }, 'Use the default');
  const told = status();
  const whose = { account: 'your own', platform: "the platform's default", none: 'none set' };
  const where = { none: 'above it', low: 'below it', depleted: 'nothing left' };
  const show = () => fill(current, async () => {
    const t = await get(`${API}/alerts/thresholds`);
    const share = t.low_balance_share == null ? '' : `, ${count(t.low_balance_share * 100)} % of the monthly allowance`;
    return h('p', {}, `An alert when the balance falls below ${credits(t.low_balance)} credits (${whose[t.source]}${share}). `
      + `Now: ${where[t.state]}. Webhooks and GET /events carry it as balance.low.`);
  });
  const set = async (button, body, success) => {
    if (await act(button, told, () => put(`${API}/alerts/thresholds`, body), success)) show();
  };
  const form = h('form', { class: 'row' }, amount.element, save, reset);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    set(save, { low_balance: amount.input.value.trim() }, 'Saved');
  });
  reset.addEventListener('click', () => set(reset, { low_balance: null }, "The platform's default applies"));
  show();
  return card('Alerts', current, form, told);
}

function usageCard() {
  const chartSlot = h('div', { class: 'chart' });
  const byModelSlot = h('div');
  const measure = field('Show', { tag: 'select', options: ['credits', 'tokens'] });
  let days = [];
  const draw = () => {
    chartSlot.replaceChildren();
    if (!days.length) {
      chartSlot.append(h('p', { class: 'empty' }, 'No usage in the last 30 days'));
      return;
    }
    usageChart(chartSlot, days, measure.input.value === 'credits' ? 'cost' : 'tokens', Math.max(280, chartSlot.clientWidth || 600));
  };
  measure.input.addEventListener('change', draw);
  window.addEventListener('resize', debounce(() => { if (chartSlot.isConnected && days.length) draw(); }, 200));
  const exportStatus = status();
  const exportButton = h('button', { type: 'button' }, 'Export CSV');
  exportButton.addEventListener('click', () => act(exportButton, exportStatus, async () => {
    const { body } = await call('GET', `${API}/usage/export.csv`, undefined, { raw: true });
    const link = h('a', { href: URL.createObjectURL(body), download: 'usage.csv' });
    document.body.append(link);
    link.click();
    link.remove();
  }, 'Downloaded usage.csv'));
  const section = card('Usage', h('div', { class: 'row' }, measure.element, exportButton), exportStatus, chartSlot,
    h('h3', {}, 'By model'), byModelSlot);
  chartSlot.replaceChildren(loading());
  get(`${API}/usage/daily?days=30`).then((rows) => { days = rows; draw(); })
    .catch((e) => chartSlot.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message)));
  fill(byModelSlot, async () => table([
    ['Service', (r) => r.service],
    ['Model', (r) => r.model],
    ['Events', (r) => count(r.event_count), 'num'],
    ['Tokens', (r) => count(r.total_tokens), 'num'],
    ['Credits', (r) => credits(r.total_cost), 'num'],
  ], await get(`${API}/usage/by-model`), 'No usage with a model in the last 30 days'));
  return section;
}

/** A paged ledger with a type filter; `userId` for an admin looking at someone else's. */
export function transactionsCard(userId, title = 'Transactions') {
  const slot = h('div');
  const type = field('Type', { tag: 'select', options: ['', 'usage', 'allocation', 'purchase', 'refund', 'bonus', 'monthly_reset', 'expiration', 'adjustment'] });
  type.input.options[0].textContent = 'all';
  let offset = 0;
  const load = () => fill(slot, async () => {
    const { body, total } = await call('GET', `${API}/transactions${query({ user_id: userId, transaction_type: type.input.value, limit: PAGE, offset })}`);
    const previous = h('button', { type: 'button', disabled: offset === 0 }, 'Previous');
    const next = h('button', { type: 'button', disabled: offset + PAGE >= total }, 'Next');
    previous.addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
    next.addEventListener('click', () => { offset += PAGE; load(); });
    return h('div', {},
      table([
        ['When', (t) => date(t.created_at)],
        ['Type', (t) => t.transaction_type],
        ['Service', (t) => [t.service, t.model].filter(Boolean).join(' · ') || '–'],
        ['Amount', (t) => credits(t.amount), 'num'],
        ['Balance after', (t) => credits(t.balance_after), 'num'],
      ], body, 'No transactions'),
      h('div', { class: 'pager' }, previous,
        h('span', {}, total ? `${count(offset + 1)}–${count(Math.min(offset + PAGE, total))} of ${count(total)}` : ''), next));
  });
  type.input.addEventListener('change', () => { offset = 0; load(); });
  load();
  return card(title, type.element, slot);
}

function couponCard(refreshBalance) {
  const code = field('Coupon code', { autocapitalize: 'characters' });
  const verdict = status();
  const redeem = h('button', { type: 'submit' }, 'Redeem');
  const outcome = status();
  code.input.addEventListener('input', debounce(async () => {
    const value = code.input.value.trim();
    verdict.classList.remove('error');
    if (value.length < 3) { verdict.textContent = ''; return; }
    try {
      const v = await get(`${API}/coupons/validate/${encodeURIComponent(value)}`);
      verdict.textContent = v.valid ? `Valid: ${v.coupon.coupon_type.replace('_', ' ')} of ${credits(v.coupon.value)}` : v.reason;
      verdict.classList.toggle('error', !v.valid);
    } catch (e) {
      verdict.textContent = e.message;
      verdict.classList.add('error');
    }
  }));
  const form = h('form', {}, code.element, verdict, redeem, outcome);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = await act(redeem, outcome, () => post(`${API}/coupons/redeem`, { code: code.input.value.trim() }),
      (r) => `Redeemed ${r.code}: ${credits(r.credits_awarded)} credits added`);
    if (done) {
      code.input.value = '';
      verdict.textContent = '';
      refreshBalance();
    }
  });
  return card('Coupon', form);
}

function byokCard() {
  const slot = h('div');
  const load = () => fill(slot, async () => {
    const account = await get(`${API}/openrouter/account`);
    return account ? connected(account) : connectForm();
  });
  const connected = (account) => {
    const sync = h('button', { type: 'button' }, 'Sync credits');
    const disconnect = h('button', { type: 'button', class: 'danger' }, 'Disconnect');
    const told = status();
    const credit = h('dd', {}, credits(account.free_credits_remaining));
    sync.addEventListener('click', async () => {
      const r = await act(sync, told, () => post(`${API}/openrouter/sync-balance`), 'Synced');
      if (r) credit.textContent = credits(r.free_credits);
    });
    disconnect.addEventListener('click', async () => {
      if (await act(disconnect, told, () => del(`${API}/openrouter/account`))) load();
    });
    return h('div', {},
      h('dl', { class: 'stats' },
        h('div', { class: 'stat' }, h('dt', {}, 'Key'), h('dd', {}, account.key_hint)),
        h('div', { class: 'stat' }, h('dt', {}, 'OpenRouter credits'), credit),
        h('div', { class: 'stat' }, h('dt', {}, 'Last synced'), h('dd', {}, date(account.last_synced)))),
      h('div', { class: 'row' }, sync, disconnect), told);
  };
  const connectForm = () => {
    const key = field('OpenRouter API key', { type: 'password' });
    const connect = h('button', { type: 'submit' }, 'Connect');
    const told = status();
    const form = h('form', {}, h('p', {}, 'Calls through the gateway then use your own OpenRouter key; you pay OpenRouter directly.'),
      key.element, connect, told);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (await act(connect, told, () => post(`${API}/openrouter/create-account`, { api_key: key.input.value.trim() }))) load();
    });
    return form;
  };
  load();
  return card('Bring your own key', slot);
}

function gatewayCard() {
  const base = `${location.origin}/v1`;
  const curl = `curl ${base}/chat/completions \\\n  -H "Authorization: Bearer $CREDITMETER_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`;
  return card('Gateway quick start',
    h('p', {}, 'Any OpenAI-compatible client works: point it at this base URL with your API key; each call is charged to you.'),
    h('dl', { class: 'stats' }, h('div', { class: 'stat' }, h('dt', {}, 'Base URL'), h('dd', {}, h('code', {}, base)))),
    h('pre', {}, h('code', {}, curl)));
}
