// Enforcement (leads and admins): the account actions that sellers' strikes recommend, to confirm
// (published to the marketplace) or dismiss, each with a written reason; and the enforcement numbers
// per day and category (restrictions, how many were automated, appeals, how many were overturned, how
// long they took), the figures the DSA transparency report is built from.

import { api, qs } from './api.js';
import { h, mount, toast, errorText, errorBox, fmtTime } from './dom.js';

const REPORT_DAYS = [7, 30, 90, 365];
const MAX_REASON = 2000;

const pct = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
const num = (x) => (x === null || x === undefined ? '—' : Number(x).toLocaleString(undefined, { maximumFractionDigits: 2 }));

function forbidden(main) {
  mount(main, h('section', { class: 'page' }, h('h1', {}, 'Enforcement'),
    h('div', { class: 'error-box', role: 'alert', 'data-testid': 'page-error' },
      'You do not have access to enforcement: account actions and the numbers are for leads and admins.')));
}

function accountActions() {
  const tbody = h('tbody');
  const status = h('div');
  const table = h('table', { class: 'table', 'data-testid': 'account-actions-table' },
    h('thead', {}, h('tr', {}, ['#', 'Seller', 'Action', 'Strike weight', 'Recommended', 'Reason', '']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  function row(a) {
    const reason = h('input', {
      type: 'text', class: 'note', maxlength: String(MAX_REASON), placeholder: 'Reason (required)',
      'aria-label': `Reason for account action ${a.id}`, 'data-testid': `account-action-reason-${a.id}`,
    });
    const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': `account-action-error-${a.id}` });
    const confirmBtn = h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-testid': `account-action-confirm-${a.id}` }, 'Confirm');
    const dismissBtn = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': `account-action-dismiss-${a.id}` }, 'Dismiss');

    async function decide(confirm) {
      error.hidden = true;
      const why = reason.value.trim();
      if (!why) {
        error.textContent = 'Write the reason first.';
        error.hidden = false;
        reason.focus();
        return;
      }
      if (confirm && !window.confirm(`Confirm: ${a.action} seller ${a.seller_id}? The marketplace is told at once.`)) return;
      confirmBtn.disabled = dismissBtn.disabled = true;
      try {
        const res = await api.post(`/account-actions/${encodeURIComponent(a.id)}/decision`, { confirm, reason: why });
        toast(`Account action #${a.id} ${res.status}${res.published_at ? ' and published' : ''}`, 'ok');
        await load();
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      } finally {
        confirmBtn.disabled = dismissBtn.disabled = false;
      }
    }
    confirmBtn.addEventListener('click', () => decide(true));
    dismissBtn.addEventListener('click', () => decide(false));

    return h('tr', { 'data-testid': `account-action-row-${a.id}`, 'data-seller': a.seller_id },
      h('td', { class: 'num' }, `#${a.id}`),
      h('td', {}, a.seller_id),
      h('td', {}, h('span', { class: 'badge badge-bad' }, a.action)),
      h('td', { class: 'num' }, `${num(a.strike_weight)} / ${num(a.threshold)}`),
      h('td', { class: 'nowrap' }, fmtTime(a.created_at)),
      h('td', {}, reason, error),
      h('td', { class: 'actions' }, confirmBtn, ' ', dismissBtn));
  }

  async function load() {
    try {
      const data = await api.get(`/account-actions${qs({ status: 'recommended' })}`);
      const items = data.items || [];
      mount(tbody, items.length
        ? items.map(row)
        : h('tr', {}, h('td', { colspan: 7, class: 'muted', 'data-testid': 'account-actions-empty' }, 'No account action waiting for a decision.')));
      mount(status);
      table.setAttribute('data-loaded', 'true');
    } catch (err) {
      mount(status, errorBox(err, 'account-actions-error'));
    }
  }

  const view = h('section', { class: 'enforcement-section', 'aria-labelledby': 'account-actions-title' },
    h('h2', { id: 'account-actions-title' }, 'Recommended account actions'),
    h('p', { class: 'muted' },
      "A seller whose active strikes reach the threshold is recommended for suspension; nothing happens to the account until a lead confirms it."),
    status, table);
  return { view, load };
}

function report() {
  const tbody = h('tbody');
  const tfoot = h('tfoot');
  const status = h('div');
  const range = h('span', { class: 'muted', 'data-testid': 'dsa-report-range' });
  const days = h('select', { 'data-testid': 'dsa-report-days', 'aria-label': 'Days' },
    REPORT_DAYS.map((d) => h('option', { value: String(d) }, `last ${d} days`)));
  days.value = '30';
  const table = h('table', { class: 'table', 'data-testid': 'dsa-report-table' },
    h('thead', {}, h('tr', {}, ['Day', 'Category', 'Restrictions', 'Automated', 'Appeals', 'Decided', 'Overturned', 'Median time to decide']
      .map((t, i) => h('th', { scope: 'col', class: i >= 2 ? 'num' : null }, t)))),
    tbody, tfoot);

  function totals(rows) {
    const sum = (k) => rows.reduce((n, r) => n + (Number(r[k]) || 0), 0);
    const weighted = (share, of) => {
      const total = sum(of);
      return total ? rows.reduce((n, r) => n + (Number(r[share]) || 0) * (Number(r[of]) || 0), 0) / total : null;
    };
    return h('tr', { 'data-testid': 'dsa-report-total' },
      h('th', { scope: 'row', colspan: 2 }, 'All'),
      h('td', { class: 'num' }, String(sum('restrictions'))),
      h('td', { class: 'num' }, pct(weighted('automated_share', 'restrictions'))),
      h('td', { class: 'num' }, String(sum('appeals'))),
      h('td', { class: 'num' }, String(sum('appeals_decided'))),
      h('td', { class: 'num' }, pct(weighted('overturned_share', 'appeals_decided'))),
      h('td', { class: 'num' }, '—'));
  }

  async function load() {
    try {
      const data = await api.get(`/dsa/report${qs({ days: days.value })}`);
      const rows = data.rows || [];
      mount(tbody, rows.length
        ? rows.map((r) => h('tr', { 'data-testid': 'dsa-report-row', 'data-day': r.day, 'data-category': r.category },
          h('td', { class: 'nowrap' }, r.day),
          h('td', {}, r.category),
          h('td', { class: 'num' }, String(r.restrictions)),
          h('td', { class: 'num' }, pct(r.automated_share)),
          h('td', { class: 'num' }, String(r.appeals)),
          h('td', { class: 'num' }, String(r.appeals_decided)),
          h('td', { class: 'num' }, pct(r.overturned_share)),
          h('td', { class: 'num' }, r.median_hours_to_decide === null || r.median_hours_to_decide === undefined ? '—' : `${num(r.median_hours_to_decide)} h`)))
        : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No restrictions or appeals in this period.')));
      mount(tfoot, rows.length ? totals(rows) : null);
      range.textContent = `${fmtTime(data.since)} – ${fmtTime(data.until)}`;
      mount(status);
      table.setAttribute('data-loaded', 'true');
    } catch (err) {
      mount(status, errorBox(err, 'dsa-report-error'));
    }
  }
  days.addEventListener('change', () => load());

  const view = h('section', { class: 'enforcement-section', 'aria-labelledby': 'dsa-report-title' },
    h('div', { class: 'page-head' }, h('h2', { id: 'dsa-report-title' }, 'Enforcement numbers'), days, range),
    status, table);
  return { view, load };
}

export async function renderEnforcement(main, ctx) {
  if (!ctx.isLead) return forbidden(main);
  const actions = accountActions();
  const numbers = report();
  mount(main, h('section', { class: 'page enforcement', 'aria-labelledby': 'enforcement-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'enforcement-title' }, 'Enforcement')),
    actions.view,
    numbers.view));
  await Promise.all([actions.load(), numbers.load()]);
  return undefined;
}
