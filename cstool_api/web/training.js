// Training runs (leads and admins): every retraining, scheduled or manual, newest first, paged with
// next_cursor. A failed run shows its error; the live model is untouched by it.

import { api, qs } from './api.js';
import { h, mount, errorBox, fmtTime, fmtDuration } from './dom.js';

const PAGE = 50;
const STATUS_TEXT = {
  running: 'running',
  succeeded: 'challenger',
  not_eligible: 'not eligible',
  failed: 'failed',
};
const STATUS_CLASS = {
  running: 'badge',
  succeeded: 'badge badge-ok',
  not_eligible: 'badge badge-warn',
  failed: 'badge badge-bad',
};

function duration(run) {
  if (!run.finished_at) return '—';
  return fmtDuration((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000);
}

// What the run produced, or why not: the model version (and its verdict), or the error.
function outcome(run) {
  if (run.status === 'failed') return h('span', { class: 'run-error', 'data-testid': 'training-error' }, run.error || 'failed');
  if (run.status === 'running') return h('span', { class: 'muted' }, 'training…');
  if (!run.model_version) return h('span', { class: 'muted' }, '—');
  const reasons = (run.detail && run.detail.reasons) || [];
  const failed = reasons.filter((r) => r.startsWith('FAIL'));
  return h('span', {},
    h('code', {}, run.model_version),
    run.eligible ? h('span', { class: 'muted' }, ' → challenger') : null,
    failed.length ? h('div', { class: 'muted' }, failed.join(' · ')) : null,
    run.report_path ? h('div', { class: 'muted' }, 'report: ', h('code', {}, run.report_path)) : null);
}

export async function renderTraining(main, ctx) {
  if (!ctx.isLead) {
    mount(main, h('section', { class: 'page' }, h('h1', {}, 'Training'),
      h('div', { class: 'error-box', role: 'alert', 'data-testid': 'page-error' },
        'You do not have access to training runs: they are for leads and admins.')));
    return undefined;
  }
  let cursor = null;
  const tbody = h('tbody');
  const status = h('div');
  const more = h('button', { type: 'button', class: 'btn', hidden: true, 'data-testid': 'training-more', on: { click: () => load() } }, 'Load more');
  const table = h('table', { class: 'table training', 'data-testid': 'training-table' },
    h('thead', {}, h('tr', {}, ['Run', 'Status', 'Trigger', 'Started', 'Took', 'Labels', 'Result'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  async function load() {
    more.disabled = true;
    try {
      const data = await api.get(`/training-runs${qs({ limit: PAGE, cursor })}`);
      for (const run of data.items || []) {
        tbody.appendChild(h('tr', { 'data-testid': 'training-row', 'data-run-id': run.id, 'data-status': run.status },
          h('td', { class: 'nowrap' }, `#${run.id}`),
          h('td', {}, h('span', { class: STATUS_CLASS[run.status] || 'badge' }, STATUS_TEXT[run.status] || run.status)),
          h('td', {}, `${run.trigger} (${run.actor})`),
          h('td', { class: 'nowrap' }, fmtTime(run.started_at)),
          h('td', { class: 'num' }, duration(run)),
          h('td', { class: 'num' }, run.label_rows === null || run.label_rows === undefined ? '—' : String(run.label_rows)),
          h('td', { class: 'wrap' }, outcome(run))));
      }
      if (!tbody.children.length) {
        tbody.appendChild(h('tr', {}, h('td', { colspan: 7, class: 'muted' },
          'No training runs yet: `lovemachine retrain`, or `lovemachine scheduler --cron "0 3 * * *"`.')));
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

  mount(main, h('section', { class: 'page', 'aria-labelledby': 'training-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'training-title' }, 'Training runs')),
    h('p', { class: 'muted' },
      'Retraining from CS labels. An eligible run becomes the challenger; promotion to live is a separate step. ' +
      'A failed run changes nothing live.'),
    status, table, more));
  await load();
  return undefined;
}
