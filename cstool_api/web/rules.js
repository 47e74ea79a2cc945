// CS keyword rules (leads and admins): list, enable/disable, and add a rule only after previewing
// what it would have hit in the last days' listings.

import { api, qs } from './api.js';
import { h, mount, toast, errorText, errorBox, fmtTime } from './dom.js';
import { CATEGORIES } from './vocab.js';

const PREVIEW_DAYS = 7;
const PREVIEW_EXAMPLES = 5;

function forbidden(main) {
  mount(main, h('section', { class: 'page' },
    h('h1', {}, 'Rules'),
    h('div', { class: 'error-box', role: 'alert', 'data-testid': 'page-error' },
      'You do not have access to rules: they are managed by leads and admins.')));
}

export async function renderRules(main, ctx) {
  if (!ctx.isLead) return forbidden(main);
  let cursor = null;
  const tbody = h('tbody');
  const status = h('div');
  const more = h('button', { type: 'button', class: 'btn', hidden: true, 'data-testid': 'rules-more', on: { click: () => load() } }, 'Load more');

  function row(rule) {
    const toggle = h('input', {
      type: 'checkbox', checked: !!rule.enabled, 'data-testid': `rule-enabled-${rule.id}`,
      'aria-label': `Rule ${rule.id} enabled`,
    });
    toggle.addEventListener('change', async () => {
      const want = toggle.checked;
      toggle.disabled = true;
      try {
        const updated = await api.patch(`/rules/${encodeURIComponent(rule.id)}`, { enabled: want });
        toggle.checked = updated ? !!updated.enabled : want;
        toast(`Rule ${rule.id} ${toggle.checked ? 'enabled' : 'disabled'}`, 'ok');
      } catch (err) {
        toggle.checked = !want;
        toast(`Could not change rule ${rule.id}: ${errorText(err)}`, 'error', 8000);
      } finally {
        toggle.disabled = false;
      }
    });
    return h('tr', { 'data-testid': `rule-row-${rule.id}`, 'data-pattern': rule.pattern },
      h('td', { class: 'num' }, String(rule.id)),
      h('td', {}, h('code', { 'data-testid': 'rule-pattern' }, rule.pattern)),
      h('td', {}, rule.kind), h('td', {}, rule.category), h('td', {}, rule.action),
      h('td', {}, h('label', { class: 'switch' }, toggle, h('span', { class: 'sr-only' }, 'enabled'))),
      h('td', {}, rule.owner || ''), h('td', { class: 'wrap' }, rule.note || ''),
      h('td', { class: 'muted' }, fmtTime(rule.updated_at || rule.created_at)));
  }

  async function load(reset = false) {
    if (reset) { cursor = null; mount(tbody); }
    try {
      const data = await api.get(`/rules${qs({ limit: 100, cursor })}`);
      for (const r of data.items || []) tbody.appendChild(row(r));
      cursor = data.next_cursor || null;
      more.hidden = !cursor;
      mount(status);
      tbody.closest('table').setAttribute('data-loaded', 'true');
    } catch (err) {
      mount(status, errorBox(err));
    }
  }

  mount(main, h('section', { class: 'page rules', 'aria-labelledby': 'rules-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'rules-title' }, 'Rules')),
    newRuleForm(() => load(true)),
    status,
    h('table', { class: 'table', 'data-testid': 'rules-table' },
      h('thead', {}, h('tr', {}, ['ID', 'Pattern', 'Kind', 'Category', 'Action', 'Enabled', 'Owner', 'Note', 'Updated']
        .map((t) => h('th', { scope: 'col' }, t)))),
      tbody),
    more));
  await load();
  return undefined;
}

function field(label, control) {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}

function newRuleForm(onSaved) {
  const pattern = h('input', { name: 'pattern', required: true, maxlength: '500', 'data-testid': 'rule-new-pattern', placeholder: 'e.g. gift card code' });
  const kind = h('select', { name: 'kind', 'data-testid': 'rule-new-kind' }, h('option', { value: 'keyword' }, 'keyword'), h('option', { value: 'regex' }, 'regex'));
  const category = h('select', { name: 'category', 'data-testid': 'rule-new-category' }, CATEGORIES.map((c) => h('option', { value: c }, c)));
  const action = h('select', { name: 'action', 'data-testid': 'rule-new-action' }, h('option', { value: 'report' }, 'report'), h('option', { value: 'hide' }, 'hide'));
  const note = h('input', { name: 'note', maxlength: '2000', 'data-testid': 'rule-new-note', placeholder: 'why (ticket, example)' });
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: true, 'data-testid': 'rule-new-enabled' });
  const previewBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'rule-preview' }, 'Preview');
  const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', disabled: true, 'data-testid': 'rule-save', title: 'Preview the rule first' }, 'Save rule');
  const result = h('div', { class: 'preview', 'data-testid': 'rule-preview-result', 'aria-live': 'polite' });
  let previewed = null; // the (pattern, kind, category) the shown preview is for

  const current = () => JSON.stringify([pattern.value.trim(), kind.value, category.value]);
  const invalidate = () => {
    if (previewed !== null && previewed !== current()) {
      previewed = null;
      saveBtn.disabled = true;
      mount(result, h('p', { class: 'muted' }, 'Changed: preview again before saving.'));
    }
  };
  for (const el of [pattern, kind, category]) el.addEventListener('input', invalidate);

  previewBtn.addEventListener('click', async () => {
    if (!pattern.value.trim()) return pattern.reportValidity();
    previewBtn.disabled = true;
    const asked = current();
    mount(result, h('p', { class: 'muted' }, 'Previewing…'));
    try {
      const p = await api.post('/rules/preview', {
        pattern: pattern.value.trim(), kind: kind.value, category: category.value, days: PREVIEW_DAYS, limit: PREVIEW_EXAMPLES,
      });
      previewed = asked;
      saveBtn.disabled = false;
      mount(result,
        h('p', {}, h('strong', { 'data-testid': 'rule-preview-hits' }, String(p.hits)),
          ` of ${p.scanned} listings from the last ${PREVIEW_DAYS} days would match`
          + (typeof p.seconds === 'number' ? ` (scanned in ${p.seconds.toFixed(1)} s).` : '.')),
        p.truncated
          ? h('p', { class: 'muted', 'data-testid': 'rule-preview-truncated' },
            p.stopped === 'time'
              ? `Partial: the preview stops after ${p.max_seconds} s, so only the ${p.scanned} most recent listings were scanned.`
              : `Partial: the preview scans at most the ${p.max_listings ?? p.scanned} most recent listings.`)
          : null,
        (p.examples || []).length
          ? h('ul', { class: 'plain examples', 'data-testid': 'rule-preview-examples' }, p.examples.map((x) => h('li', {},
            h('span', { class: 'muted' }, `${x.listing_id} `), h('strong', {}, x.title || ''), x.snippet ? h('span', { class: 'snippet' }, ` … ${x.snippet} …`) : null)))
          : null);
    } catch (err) {
      previewed = null;
      saveBtn.disabled = true;
      mount(result, h('p', { class: 'form-error', role: 'alert', 'data-testid': 'rule-preview-error' }, errorText(err)));
    } finally {
      previewBtn.disabled = false;
    }
    return undefined;
  });

  async function onSubmit(ev) {
    ev.preventDefault();
    if (previewed === null || previewed !== current()) return;
    saveBtn.disabled = true;
    try {
      const rule = await api.post('/rules', {
        pattern: pattern.value.trim(), kind: kind.value, category: category.value, action: action.value,
        enabled: enabled.checked, note: note.value.trim(),
      });
      toast(`Rule ${rule?.id ?? ''} saved`, 'ok');
      pattern.value = '';
      note.value = '';
      previewed = null;
      mount(result);
      await onSaved();
    } catch (err) {
      saveBtn.disabled = false;
      mount(result, h('p', { class: 'form-error', role: 'alert', 'data-testid': 'rule-save-error' }, errorText(err)));
    }
  }

  return h('form', { class: 'card rule-form', 'data-testid': 'rule-form', on: { submit: onSubmit } },
    h('h2', {}, 'Add a rule'),
    h('div', { class: 'form-row' },
      field('Pattern', pattern), field('Kind', kind), field('Category', category), field('Action', action),
      field('Note', note), h('label', { class: 'field inline' }, enabled, h('span', {}, 'Enabled'))),
    h('div', { class: 'form-row' }, previewBtn, saveBtn),
    result);
}
