// Models (admins): champion and challenger, the shadow comparison, the alias history, and the
// Promote / Rollback buttons. Promote goes through the same gates as `lovemachine deploy promote`;
// a forced promotion needs a reason. Both ask for confirmation first. Workers follow within seconds.

import { api } from './api.js';
import { h, mount, toast, errorText, errorBox, fmtTime } from './dom.js';

const pct = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
const signed = (x) => (x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${Math.round(x).toLocaleString()}`);

function versionCard(title, v, testid) {
  const ev = v && v.evaluation;
  const verdict = !v ? null
    : !ev ? h('span', { class: 'badge badge-warn' }, 'no offline evaluation')
      : ev.eligible === true ? h('span', { class: 'badge badge-ok' }, 'beats the champion offline')
        : h('span', { class: 'badge badge-bad' }, 'not eligible offline');
  return h('div', { class: 'card model-card', 'data-testid': testid },
    h('h2', {}, title),
    v ? [h('div', { class: 'model-version', 'data-testid': `${testid}-version` }, v.version),
      h('div', { class: 'muted' }, `registered ${fmtTime(v.created_at)}`), verdict,
      ev && (ev.report || ev.report_path) ? h('div', { class: 'muted wrap' }, `report: ${ev.report || ev.report_path}`) : null]
      : h('div', { class: 'muted', 'data-testid': `${testid}-version` }, '(none)'));
}

function comparisonView(c) {
  const days = c.window_days ? `${(c.window_days * 24).toFixed(1)} h` : '—';
  const rate = c.traffic_per_day ? `${Math.round(c.traffic_per_day).toLocaleString()} listings/day` : '—';
  return [
    h('p', { 'data-testid': 'models-compare-summary' },
      `${c.both_scored.toLocaleString()} listings scored by both over ${days} (${rate}); `,
      `agreement ${pct(c.agreement)}; hides ${c.champion_hides} → ${c.challenger_hides}; `,
      `CS labels since the shadow began: ${c.labelled}.`),
    h('table', { class: 'table', 'data-testid': 'models-compare-table' },
      h('thead', {}, h('tr', {}, ['Category', 'Agreement', 'Hides / day', 'Reports / day', 'Only champion', 'Only challenger',
        'Precision champion', 'Precision challenger'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, (c.categories || []).map((x) => h('tr', { 'data-testid': `models-compare-${x.category}` },
        h('th', { scope: 'row' }, x.category),
        h('td', { class: 'num' }, pct(x.agreement)),
        h('td', { class: 'num' }, signed(x.hide_delta_per_day)),
        h('td', { class: 'num' }, signed(x.report_delta_per_day)),
        h('td', { class: 'num' }, String(x.only_champion)),
        h('td', { class: 'num' }, String(x.only_challenger)),
        h('td', { class: 'num' }, `${pct(x.champion_precision)} (${x.champion_labelled})`),
        h('td', { class: 'num' }, `${pct(x.challenger_precision)} (${x.challenger_labelled})`))))),
  ];
}

function historyTable(history) {
  return h('table', { class: 'table', 'data-testid': 'models-history' },
    h('thead', {}, h('tr', {}, ['When', 'Alias', 'From', 'To', 'Who', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, history.map((e) => h('tr', { 'data-testid': 'models-history-row' },
      h('td', { class: 'nowrap' }, fmtTime(e.at)), h('td', {}, e.alias), h('td', {}, e.from_version || '—'),
      h('td', {}, e.to_version), h('td', {}, e.actor), h('td', { class: 'wrap' }, e.reason)))));
}

export async function renderModels(main, ctx) {
  if (!ctx.user || ctx.user.role !== 'admin') {
    mount(main, h('section', { class: 'page' }, h('h1', {}, 'Models'),
      h('div', { class: 'error-box', role: 'alert', 'data-testid': 'page-error' },
        'You do not have access to models: deploys are for admins.')));
    return undefined;
  }
  const body = h('div', { 'data-testid': 'models-body' });
  const outcome = h('div', { 'data-testid': 'models-outcome' });
  const reason = h('input', { type: 'text', class: 'note', maxlength: '2000', placeholder: 'Why (kept in the history)', 'data-testid': 'models-reason', 'aria-label': 'Reason' });
  const force = h('input', { type: 'checkbox', 'data-testid': 'models-force' });
  const promote = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'models-promote' }, 'Promote challenger');
  const rollback = h('button', { type: 'button', class: 'btn', 'data-testid': 'models-rollback' }, 'Roll back champion');
  let state = null;

  async function act(kind) {
    const why = reason.value.trim();
    const s = state || {};
    const question = kind === 'promote'
      ? `Make ${s.challenger ? s.challenger.version : 'the challenger'} the live model${force.checked ? ' (FORCED past failing gates)' : ''}?`
      : `Move the live model back from ${s.champion ? s.champion.version : 'the champion'} to the one it replaced?`;
    if (kind === 'promote' && force.checked && !why) {
      mount(outcome, h('div', { class: 'form-error', role: 'alert' }, 'A forced promotion needs a reason.'));
      return;
    }
    if (!window.confirm(question)) return;
    promote.disabled = rollback.disabled = true;
    try {
      const res = kind === 'promote'
        ? await api.post('/models/promote', { reason: why, force: force.checked })
        : await api.post('/models/rollback', { reason: why });
      const c = res.change;
      toast(`Champion ${c.from_version || '—'} → ${c.to_version}${res.forced ? ' (forced)' : ''}`, 'ok', 6000);
      reason.value = '';
      force.checked = false;
      mount(outcome);
      await load();
    } catch (err) {
      const failed = err.details && Array.isArray(err.details.failed) ? err.details.failed : [];
      mount(outcome, failed.length
        ? h('div', { class: 'error-box', role: 'alert', 'data-testid': 'models-error' },
          `Not promoted (${err.status} ${err.code}): the gates below failed. Force past them only with a reason.`,
          h('ul', { class: 'plain', 'data-testid': 'models-gates' }, failed.map((f) => h('li', {}, f))))
        : errorBox(err, 'models-error'));
    } finally {
      promote.disabled = rollback.disabled = false;
    }
  }
  promote.addEventListener('click', () => act('promote'));
  rollback.addEventListener('click', () => act('rollback'));

  async function load() {
    try {
      state = await api.get('/models/deploy');
      let comparison;
      try {
        comparison = comparisonView(await api.get('/models/compare'));
      } catch (err) {
        comparison = err.status === 404 ? h('p', { class: 'muted', 'data-testid': 'models-compare-none' }, errorText(err)) : errorBox(err);
      }
      const g = state.gates || {};
      mount(body,
        h('div', { class: 'model-cards' }, versionCard('Champion (live)', state.champion, 'models-champion'),
          versionCard('Challenger (shadow)', state.challenger, 'models-challenger')),
        h('h2', {}, 'Shadow comparison'), comparison,
        h('div', { class: 'card deploy-actions' },
          h('p', { class: 'muted' }, `Promotion needs an eligible offline evaluation, at least ${g.min_shadow} listings scored by both, `,
            `${g.min_hide_ratio}× to ${g.max_hide_ratio}× the champion's hides, at most ${g.max_report_ratio}× its reports, a review load within ${g.review_capacity_per_day} items a day, `,
            `precision on the shadow's CS labels at most ${g.max_precision_drop} below the champion's and labelled hides at least ${g.min_hide_precision} right (once ${g.min_labelled} labels), `,
            `and a verified artifact. Workers switch within ${state.refresh_seconds} s.`),
          h('div', { class: 'note-row' }, reason, h('label', {}, force, ' force past failing gates'), promote, rollback),
          outcome),
        h('h2', {}, 'History'), historyTable(state.history || []));
      body.setAttribute('data-loaded', 'true');
    } catch (err) {
      mount(body, errorBox(err));
    }
  }

  mount(main, h('section', { class: 'page models', 'aria-labelledby': 'models-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'models-title' }, 'Models')), body));
  await load();
  return undefined;
}
