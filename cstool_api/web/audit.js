// The audit log (leads and admins): newest first, paged with next_cursor.

import { api, qs } from './api.js';
import { h, mount, errorBox, fmtTime } from './dom.js';

const PAGE = 50;

export async function renderAudit(main, ctx) {
  if (!ctx.isLead) {
    mount(main, h('section', { class: 'page' }, h('h1', {}, 'Audit log'),
      h('div', { class: 'error-box', role: 'alert', 'data-testid': 'page-error' },
        'You do not have access to the audit log: it is for leads and admins.')));
    return undefined;
  }
  let cursor = null;
  const tbody = h('tbody');
  const status = h('div');
  const more = h('button', { type: 'button', class: 'btn', hidden: true, 'data-testid': 'audit-more', on: { click: () => load() } }, 'Load more');
  const table = h('table', { class: 'table audit', 'data-testid': 'audit-table' },
    h('thead', {}, h('tr', {}, ['When', 'Actor', 'Action', 'Entity', 'Detail'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  // {"a": 1, "b": "x"} -> "a 1 · b x" (values that are not text as JSON), one readable line.
  function detail(d) {
    if (d === null || d === undefined || (typeof d === 'object' && !Object.keys(d).length)) return '';
    if (typeof d !== 'object' || Array.isArray(d)) return h('span', { class: 'detail' }, JSON.stringify(d));
    return h('span', { class: 'detail' }, Object.entries(d).map(([k, v], i) => [
      i ? ' · ' : '',
      h('span', { class: 'muted' }, `${k} `),
      typeof v === 'string' ? v : JSON.stringify(v),
    ]));
  }

  async function load() {
    more.disabled = true;
    try {
      const data = await api.get(`/audit${qs({ limit: PAGE, cursor })}`);
      for (const e of data.items || []) {
        tbody.appendChild(h('tr', { 'data-testid': 'audit-row' },
          h('td', { class: 'nowrap' }, fmtTime(e.at)),
          h('td', {}, e.actor),
          h('td', {}, e.action),
          h('td', {}, `${e.entity_type} ${e.entity_id}`),
          h('td', { class: 'wrap' }, detail(e.detail))));
      }
      cursor = data.next_cursor || null;
      more.hidden = !cursor;
      mount(status);
      table.setAttribute('data-loaded', 'true');
    } catch (err) {
      mount(status, errorBox(err));
    } finally {
      more.disabled = false;
    }
  }

  mount(main, h('section', { class: 'page', 'aria-labelledby': 'audit-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'audit-title' }, 'Audit log')),
    status, table, more));
  await load();
  return undefined;
}
