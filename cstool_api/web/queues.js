// Queues overview: one row per queue with open / claimed counts and how long the oldest has waited.

import { api, serverNow } from './api.js';
import { h, mount, fmtDuration, errorBox } from './dom.js';
import { QUEUES, LABELS, OTHER_KEYS, queueName } from './vocab.js';

const REFRESH_MS = 15000;

function shortcutsCard() {
  const row = (keys, text) => h('tr', {}, h('td', { class: 'keys' }, keys.map((k) => h('kbd', {}, k))), h('td', {}, text));
  return h('aside', { class: 'card shortcuts', 'aria-labelledby': 'shortcuts-title', 'data-testid': 'shortcuts' },
    h('h2', { id: 'shortcuts-title' }, 'Reviewing from the keyboard'),
    h('table', {}, h('tbody', {},
      LABELS.map((l) => row(l.alt ? [l.key, l.alt] : [l.key], l.text)),
      OTHER_KEYS.map((o) => row(o.keys, o.text)))),
    h('p', { class: 'muted' },
      'A label takes you straight to the next item. Labels are kept and retried until the server has ' +
      'recorded them, even if the network drops or the page is reloaded.'));
}

export async function renderQueues(main, ctx) {
  const body = h('tbody');
  const updated = h('span', { class: 'muted', 'data-testid': 'queues-updated' });
  const status = h('div');
  mount(
    main,
    h('section', { class: 'page', 'aria-labelledby': 'queues-title' },
      h('div', { class: 'page-head' },
        h('h1', { id: 'queues-title' }, 'Review queues'),
        updated,
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'queues-refresh', on: { click: () => load() } }, 'Refresh')),
      status,
      h('div', { class: 'overview' },
        h('table', { class: 'table queues', 'data-testid': 'queues-table' },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, 'Queue'),
            h('th', { scope: 'col', class: 'num' }, 'Open'),
            h('th', { scope: 'col', class: 'num' }, 'Claimed'),
            h('th', { scope: 'col', class: 'num' }, 'Oldest waiting'),
            h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
          body),
        shortcutsCard())),
  );

  function row(q) {
    const age = q.oldest_created_at ? (serverNow() - Date.parse(q.oldest_created_at)) / 1000 : null;
    const start = h('button', {
      type: 'button',
      class: 'btn btn-primary btn-small',
      'data-testid': `start-${q.queue}`,
      disabled: !q.open,
      on: { click: () => ctx.navigate(`#/review/${encodeURIComponent(q.queue)}`) },
    }, 'Start reviewing');
    return h('tr', { 'data-testid': `queue-row-${q.queue}`, 'data-queue': q.queue },
      h('th', { scope: 'row' }, queueName(q.queue)),
      h('td', { class: 'num', 'data-testid': `queue-open-${q.queue}` }, String(q.open ?? 0)),
      h('td', { class: 'num', 'data-testid': `queue-claimed-${q.queue}` }, String(q.claimed ?? 0)),
      h('td', { class: ['num', age !== null && age > 86400 ? 'warn' : ''], 'data-testid': `queue-oldest-${q.queue}`, title: q.oldest_created_at || '' },
        age === null ? '—' : fmtDuration(age)),
      h('td', { class: 'actions' }, start));
  }

  async function load() {
    try {
      const data = await api.get('/queues');
      const byName = new Map((data.items || []).map((q) => [q.queue, q]));
      const names = [...QUEUES, ...[...byName.keys()].filter((q) => !QUEUES.includes(q)).sort()];
      mount(body, names.map((name) => row(byName.get(name) || { queue: name, open: 0, claimed: 0, oldest_created_at: null })));
      mount(status);
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
      main.querySelector('[data-testid="queues-table"]').setAttribute('data-loaded', 'true');
    } catch (err) {
      mount(status, errorBox(err));
    }
  }

  await load();
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') load();
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
