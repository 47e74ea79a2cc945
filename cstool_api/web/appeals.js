// Appeals (DSA Art. 20): complaints against moderation decisions, oldest first. "Take next" claims the
// oldest one you may decide (never one on your own decision: the server passes those over); the case
// shows the complaint, who made the original decision, the contested statement of reasons, the listing
// version as judged (and the current one beside it when the seller edited it since) and the seller's
// strikes. The decision is upheld or overturned, always with a written reason the complainant is sent.

import { api, qs, serverNow } from './api.js';
import { h, mount, toast, errorText, errorBox, fmtTime, fmtDuration } from './dom.js';
import { listingVersionView, statementView, strikesView } from './item.js';
import { CATEGORIES } from './vocab.js';

const REFRESH_MS = 30000;
const MAX_REASON = 2000;
const EXCERPT = 140;

const APPELLANT = { seller: 'Seller', notifier: 'Notifier' };
const CONTESTED = {
  restriction: 'contests a restriction',
  no_action: 'contests a decision not to act on their report',
};
const OUTCOME = { upheld: 'Upheld', overturned: 'Overturned' };

/** "worker:<model version>" is the model; anything else is a reviewer's username. */
function deciderText(who) {
  if (!who) return '—';
  return who.startsWith('worker:') ? `the model ${who.slice('worker:'.length)} (automated)` : who;
}

function dueText(a) {
  const left = (Date.parse(a.due_at || '') - serverNow()) / 1000;
  if (Number.isNaN(left)) return '';
  return left >= 0 ? `in ${fmtDuration(left)}` : `${fmtDuration(-left)} late`;
}

function excerpt(text) {
  const t = String(text || '').replace(/\s+/g, ' ').trim();
  return t.length > EXCERPT ? `${t.slice(0, EXCERPT - 1)}…` : t;
}

function overdueBadge(a, testid) {
  return a.overdue ? h('span', { class: 'badge badge-bad', 'data-testid': testid }, 'overdue') : null;
}

function outcomeView(c) {
  const l = c.current_listing || c.listing || {}; // the listing as it is now
  return h('section', {
    class: ['card', 'appeal-outcome', `appeal-outcome-${c.outcome}`],
    role: 'status',
    'data-testid': 'appeal-outcome',
    'data-outcome': c.outcome || '',
  },
  h('p', {},
    h('strong', { 'data-testid': 'appeal-outcome-text' }, OUTCOME[c.outcome] || String(c.outcome)),
    ` by ${c.decided_by || '—'} on ${fmtTime(c.decided_at)}.`,
    l.status ? [` Listing now (v${l.version ?? '?'}): `, h('span', { class: 'badge', 'data-testid': 'appeal-outcome-listing-status' }, String(l.status))] : null),
  h('h3', {}, 'Reason sent to the complainant'),
  h('p', { class: 'description', 'data-testid': 'appeal-outcome-reason' }, c.reason || ''),
  c.statement_out_puid
    ? h('p', { class: 'muted' }, 'New statement of reasons: ', h('code', { 'data-testid': 'appeal-outcome-statement' }, c.statement_out_puid))
    : null);
}

function decisionForm(c, onDecided) {
  const name = `appeal-outcome-${c.id}`;
  const radio = (value, text, hint) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name, value, required: true, 'data-testid': `appeal-outcome-${value}` }),
    ` ${text}`, h('span', { class: 'muted' }, ` — ${hint}`));
  const overturnHint = c.contested === 'no_action'
    ? 'the listing breaks the rules: it is restricted'
    : 'the restriction was wrong: the listing is restored';
  const keepHint = c.contested === 'no_action' ? 'no action stays right' : 'the restriction stays';
  const reason = h('textarea', {
    id: 'appeal-reason', name: 'reason', rows: '4', required: true, maxlength: String(MAX_REASON),
    placeholder: 'What the complainant is told (required)', 'data-testid': 'appeal-reason',
  });
  const category = h('select', { id: 'appeal-category', name: 'category', 'data-testid': 'appeal-category' },
    h('option', { value: '' }, 'Choose…'), CATEGORIES.map((x) => h('option', { value: x }, x)));
  const categoryField = h('div', { class: 'field', hidden: true, 'data-testid': 'appeal-category-field' },
    h('label', { for: 'appeal-category' }, 'What the listing breaks'), category);
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'appeal-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'appeal-submit' }, 'Send decision');
  const form = h('form', { class: 'card appeal-form', novalidate: true, 'data-testid': 'appeal-form' },
    h('h2', {}, 'Decision'),
    h('fieldset', { class: 'choices' },
      h('legend', {}, 'Outcome'),
      radio('upheld', 'Upheld', keepHint),
      radio('overturned', 'Overturned', overturnHint)),
    categoryField,
    h('div', { class: 'field' }, h('label', { for: 'appeal-reason' }, 'Reason (sent to the complainant)'), reason),
    error,
    h('div', { class: 'form-row' }, submit));

  const outcome = () => form.querySelector(`input[name="${name}"]:checked`)?.value || '';
  const needsCategory = () => c.contested === 'no_action' && outcome() === 'overturned';
  const fail = (text, focus) => {
    error.textContent = text;
    error.hidden = false;
    focus?.focus();
  };
  form.addEventListener('change', () => {
    categoryField.hidden = !needsCategory();
    category.required = needsCategory();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const chosen = outcome();
    const why = reason.value.trim();
    if (!chosen) return fail('Choose upheld or overturned.', form.querySelector('input[type="radio"]'));
    if (!why) return fail('Write the reason: the complainant is sent it.', reason);
    if (needsCategory() && !category.value) return fail('Choose what the listing breaks.', category);
    submit.disabled = true;
    try {
      const decided = await api.post(`/appeals/${encodeURIComponent(c.id)}/decision`, {
        outcome: chosen, reason: why, category: needsCategory() ? category.value : null,
      });
      toast(`Appeal #${c.id}: ${(OUTCOME[decided.outcome] || decided.outcome).toLowerCase()}`, 'ok');
      onDecided(decided);
    } catch (err) {
      fail(errorText(err));
    } finally {
      submit.disabled = false;
    }
    return undefined;
  });
  return form;
}

function caseView(c, onDecided) {
  const judged = c.listing
    ? listingVersionView(c.listing, {
      label: c.current_listing ? 'Judged version' : 'The listing as judged',
      testid: 'appeal-listing',
    })
    : h('p', { class: 'muted', 'data-testid': 'appeal-listing' }, 'The judged version is not on record.');
  const current = c.current_listing
    ? listingVersionView(c.current_listing, {
      label: 'Current version (edited since)', testid: 'appeal-current-listing', compare: c.listing, kind: 'current',
    })
    : null;
  const statement = c.statement
    ? statementView(c.statement, 'appeal-statement')
    : h('p', { class: 'muted', 'data-testid': 'appeal-statement' },
      c.contested === 'no_action' ? 'None: the contested decision was not to act on a report.' : 'The statement is not on record.');
  return h('article', {
    class: 'appeal-case', 'data-testid': 'appeal-case', 'data-appeal-id': String(c.id), 'data-status': c.status,
    'aria-labelledby': 'appeal-case-title', tabindex: '-1',
  },
  h('div', { class: 'card' },
    h('div', { class: 'item-head' },
      h('h2', { id: 'appeal-case-title', 'data-testid': 'appeal-case-title' },
        `Appeal #${c.id}: ${APPELLANT[c.appellant] || c.appellant} ${CONTESTED[c.contested] || c.contested}`),
      h('div', { class: 'badges' },
        overdueBadge(c, 'appeal-case-overdue'),
        h('span', { class: 'badge', 'data-testid': 'appeal-case-status' }, String(c.status)))),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Received'), h('dd', {}, fmtTime(c.received_at)),
      h('dt', {}, 'Due'), h('dd', { 'data-testid': 'appeal-case-due', class: c.overdue ? 'warn' : null }, `${fmtTime(c.due_at)} (${dueText(c)})`),
      h('dt', {}, 'Listing'), h('dd', {}, `${c.listing_id} v${c.listing_version}`),
      h('dt', {}, 'Original decision by'), h('dd', { 'data-testid': 'appeal-original-decider' }, deciderText(c.original_decider)),
      h('dt', {}, 'Model'), h('dd', { 'data-testid': 'appeal-model-version' }, c.original_model_version || '—'),
      h('dt', {}, 'Claimed by'), h('dd', { 'data-testid': 'appeal-claimed-by' }, c.claimed_by || '—')),
    h('h3', {}, 'The complaint'),
    h('p', { class: 'description', 'data-testid': 'appeal-text' }, c.text || '(empty)')),
  h('div', { class: 'appeal-grid' },
    h('section', { class: 'card', 'data-testid': 'appeal-statement-panel' }, h('h3', {}, 'Contested statement of reasons'), statement),
    h('section', { class: 'card', 'data-testid': 'appeal-strikes-panel' }, h('h3', {}, "Seller's strikes"), strikesView(c.strikes, 'appeal-strikes'))),
  h('div', { class: ['card', current ? 'versions' : ''], 'data-testid': 'appeal-versions' }, judged, current),
  c.status === 'decided' ? outcomeView(c) : decisionForm(c, onDecided));
}

export async function renderAppeals(main, ctx) {
  let alive = true;
  const tbody = h('tbody');
  const status = h('div');
  const notice = h('div', { 'aria-live': 'polite', 'data-testid': 'appeals-notice' });
  const caseBox = h('div', { 'data-testid': 'appeal-case-box' });
  const filter = h('select', { 'data-testid': 'appeals-status', 'aria-label': 'Show appeals' },
    h('option', { value: 'open' }, 'Open (oldest first)'), h('option', { value: 'decided' }, 'Decided'));
  const take = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'appeals-take-next' }, 'Take next');
  const table = h('table', { class: 'table appeals', 'data-testid': 'appeals-table' },
    h('thead', {}, h('tr', {}, ['#', 'Received', 'Due', 'Complaint by', 'Listing', 'Complaint', 'Claimed by']
      .map((t) => h('th', { scope: 'col' }, t)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tbody);

  function showCase(c) {
    mount(notice);
    if (!c) {
      mount(caseBox);
      return;
    }
    const view = caseView(c, (decided) => {
      showCase(decided);
      load();
    });
    mount(caseBox, view);
    view.scrollIntoView({ block: 'start' });
    view.focus({ preventScroll: true });
  }

  function row(a) {
    const mine = a.claimed_by === ctx.user.username;
    return h('tr', {
      class: a.overdue ? 'overdue' : null, 'data-testid': `appeal-row-${a.id}`, 'data-appeal-id': String(a.id),
      'data-overdue': a.overdue ? 'true' : 'false',
    },
    h('td', { class: 'num' }, `#${a.id}`),
    h('td', { class: 'nowrap', title: a.received_at }, fmtTime(a.received_at)),
    h('td', { class: 'nowrap', title: a.due_at, 'data-testid': `appeal-due-${a.id}` },
      fmtTime(a.due_at), ' ', a.status === 'decided' ? null : overdueBadge(a, `appeal-overdue-${a.id}`) || h('span', { class: 'muted' }, dueText(a))),
    h('td', {}, APPELLANT[a.appellant] || a.appellant, h('div', { class: 'muted' }, a.contested === 'no_action' ? 'no action' : 'restriction')),
    h('td', {}, `${a.listing_id} v${a.listing_version}`),
    h('td', { class: 'wrap' }, excerpt(a.text)),
    h('td', {}, a.status === 'decided' ? `${OUTCOME[a.outcome] || a.outcome} by ${a.decided_by || '—'}` : mine ? 'you' : a.claimed_by || h('span', { class: 'muted' }, '—')),
    h('td', { class: 'actions' }, h('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': `appeal-open-${a.id}`, on: { click: () => showCase(a) },
    }, mine && a.status !== 'decided' ? 'Resume' : 'View')));
  }

  async function load() {
    try {
      const data = await api.get(`/appeals${qs({ status: filter.value, limit: 200 })}`);
      if (!alive) return;
      const items = data.items || [];
      mount(tbody, items.length
        ? items.map(row)
        : h('tr', {}, h('td', { colspan: 8, class: 'muted', 'data-testid': 'appeals-empty' },
          filter.value === 'open' ? 'No open appeals.' : 'No decided appeals yet.')));
      mount(status);
      table.setAttribute('data-loaded', 'true');
    } catch (err) {
      if (alive) mount(status, errorBox(err));
    }
  }

  async function takeNext() {
    take.disabled = true;
    try {
      const c = await api.post('/appeals/next');
      if (!alive) return;
      if (c) {
        showCase(c);
      } else {
        showCase(null);
        mount(notice, h('p', { class: 'card empty', 'data-testid': 'appeals-nothing' },
          'Nothing for you: no open appeal you may decide. Appeals against your own decisions go to someone else.'));
      }
      load();
    } catch (err) {
      if (alive) mount(notice, errorBox(err, 'appeals-error'));
    } finally {
      take.disabled = false;
    }
  }

  take.addEventListener('click', takeNext);
  filter.addEventListener('change', () => load());

  mount(main, h('section', { class: 'page appeals-page', 'aria-labelledby': 'appeals-title' },
    h('div', { class: 'page-head' },
      h('h1', { id: 'appeals-title' }, 'Appeals'),
      take,
      filter,
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'appeals-refresh', on: { click: () => load() } }, 'Refresh')),
    h('p', { class: 'muted' },
      'Complaints against moderation decisions, forwarded by the marketplace. You never get one against a ' +
      'decision of your own. Every decision needs a written reason: the complainant is sent it.'),
    notice,
    caseBox,
    status,
    table));
  await load();
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') load();
  }, REFRESH_MS);
  return () => {
    alive = false;
    clearInterval(timer);
  };
}
