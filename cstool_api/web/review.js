// Working a queue: claim the next item, show it, label it (buttons or keys), claim the next one.
//
// Safety rules: a label goes through the outbox (one Idempotency-Key per item and label, retried
// until the server answers, never dropped); while a label is being saved the item is locked; a new
// item ignores label keys for ARM_MS so that a double tap cannot label an item nobody has looked at.

import { api, qs, serverNow } from './api.js';
import { h, mount, toast, errorText, errorBox, fmtClock } from './dom.js';
import * as outbox from './outbox.js';
import { renderItem } from './item.js';
import { LABELS, queueName } from './vocab.js';

const KEYMAP = new Map(LABELS.flatMap((l) => (l.alt ? [[l.key, l], [l.alt, l]] : [[l.key, l]])));
// Physical keys, for keyboards whose layout or input method gives other characters for them.
const CODES = new Map([
  ...LABELS.flatMap((l) => [[`Digit${l.key}`, l.key], [`Numpad${l.key}`, l.key]]),
  ['KeyN', 'n'], ['KeyS', 's'], ['Slash', '/'],
]);
const ARM_MS = 300;
const CLAIM_WARN_S = 60;

function typing(el) {
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

export async function renderReview(main, ctx, queue) {
  let item = null;
  let phase = 'loading'; // loading | ready | saving | empty | error
  let armedAt = 0;
  let alive = true;
  const skipped = new Set(); // item ids skipped during this visit to the queue
  const path = `/queues/${encodeURIComponent(queue)}`;

  const body = h('div', { class: 'review-body', 'data-testid': 'review-body' });
  const remaining = h('span', { class: 'muted', 'data-testid': 'review-remaining' });
  const countdown = h('span', { class: 'countdown', 'data-testid': 'claim-countdown', 'aria-live': 'off' });
  const extend = h('button', { type: 'button', class: 'btn btn-small', hidden: true, 'data-testid': 'claim-extend', on: { click: () => reclaim() } }, 'Keep claim');
  const saveStatus = h('div', { class: 'save-status', 'data-testid': 'save-status', 'aria-live': 'polite' });
  const note = h('input', {
    type: 'text', id: 'label-note', class: 'note', maxlength: '2000', autocomplete: 'off',
    placeholder: 'Note (optional) — press / to type, Esc to leave', 'data-testid': 'label-note',
  });
  const buttons = LABELS.map((l) => h('button', {
    type: 'button',
    class: ['btn', 'label-btn', l.label === 'no_violation' ? 'btn-ok' : 'btn-violation'],
    'data-testid': `label-${l.label}`,
    'data-label': l.label,
    'aria-keyshortcuts': l.alt ? `${l.key} ${l.alt.toUpperCase()}` : l.key,
    on: { click: () => submitLabel(l.label) },
  }, h('kbd', {}, l.alt ? `${l.key}/${l.alt}` : l.key), ` ${l.text}`));
  const skip = h('button', { type: 'button', class: 'btn label-btn', 'data-testid': 'label-skip', 'aria-keyshortcuts': 'S', on: { click: () => skipItem() } },
    h('kbd', {}, 's'), ' Skip');
  const actionBar = h('div', { class: 'action-bar', role: 'toolbar', 'aria-label': 'Label this item', 'data-testid': 'action-bar' },
    h('div', { class: 'label-buttons' }, buttons, skip),
    h('div', { class: 'note-row' }, h('label', { for: 'label-note', class: 'sr-only' }, 'Note'), note, saveStatus));

  mount(main, h('section', { class: 'page review', 'data-testid': 'review', 'data-queue': queue, 'aria-labelledby': 'review-title' },
    h('div', { class: 'page-head' },
      h('a', { href: '#/queues', class: 'btn btn-small', 'data-testid': 'review-back' }, '← Queues'),
      h('h1', { id: 'review-title' }, `Reviewing: ${queueName(queue)}`),
      remaining, countdown, extend),
    actionBar,
    body));

  function setPhase(p) {
    phase = p;
    main.querySelector('[data-testid="review"]')?.setAttribute('data-phase', p);
    const locked = p !== 'ready';
    for (const b of [...buttons, skip]) {
      b.disabled = locked;
      if (p !== 'saving') b.classList.remove('chosen');
    }
    actionBar.classList.toggle('locked', locked);
  }

  async function refreshRemaining() {
    try {
      const data = await api.get('/queues');
      const q = (data.items || []).find((x) => x.queue === queue);
      if (alive) remaining.textContent = q ? `${q.open} open · ${q.claimed} claimed` : '';
    } catch {
      /* the count is a courtesy */
    }
  }

  function show(detail) {
    item = detail;
    note.value = '';
    mount(saveStatus);
    const article = renderItem(detail);
    article.tabIndex = -1;
    mount(body, article);
    // Focus the new item (screen readers read its title; a label button keeps no focus that Enter
    // or Space could press again on an item nobody has looked at yet).
    window.scrollTo(0, 0);
    article.focus({ preventScroll: true });
    armedAt = performance.now() + ARM_MS;
    setPhase('ready');
    tick();
    refreshRemaining();
  }

  function showEmpty() {
    item = null;
    setPhase('empty');
    countdown.textContent = '';
    extend.hidden = true;
    mount(body, h('div', { class: 'empty card', 'data-testid': 'queue-empty' },
      h('p', {}, `Nothing left to review in ${queueName(queue)}.`),
      h('button', { type: 'button', class: 'btn btn-primary', on: { click: () => claimNext() } }, 'Check again'),
      ' ',
      h('a', { href: '#/queues', class: 'btn' }, 'Back to queues')));
    refreshRemaining();
  }

  // Claim the top item, passing over the ones skipped in this visit while anything else is left.
  // claim_next never returns an item we hold, so a passed-over item is held until a better one is
  // found and then released.
  async function takeNext() {
    const held = [];
    let chosen = null;
    try {
      for (let i = 0; i < 4 && !chosen; i += 1) {
        const detail = await api.post(`${path}/next`);
        if (!detail) break;
        if (skipped.has(detail.id)) held.push(detail);
        else chosen = detail;
      }
    } finally {
      if (!chosen && held.length) chosen = held.shift();
      for (const d of held) releaseQuietly(d);
    }
    return chosen;
  }

  // Coming back to a queue (a reload, a crashed tab) gives back the item still claimed by you,
  // rather than leaving it locked until the claim runs out.
  async function resumeOwnClaim() {
    try {
      const page = await api.get(`${path}/items${qs({ limit: 200 })}`);
      const mine = (page.items || []).find((i) => i.status === 'claimed' && i.claimed_by === ctx.user.username);
      if (!mine || outbox.pendingFor(mine.id)) return null;
      return await api.post(`/items/${encodeURIComponent(mine.id)}/claim`);
    } catch {
      return null;
    }
  }

  async function claimNext({ resume = false } = {}) {
    setPhase('loading');
    item = null;
    try {
      const detail = (resume && (await resumeOwnClaim())) || (await takeNext());
      if (!alive) return releaseQuietly(detail);
      if (detail) show(detail);
      else showEmpty();
    } catch (err) {
      if (!alive) return undefined;
      setPhase('error');
      mount(body, errorBox(err), h('button', { type: 'button', class: 'btn', on: { click: () => claimNext() } }, 'Try again'));
    }
    return undefined;
  }

  async function releaseQuietly(detail) {
    if (!detail || outbox.pendingFor(detail.id)) return;
    try {
      await api.del(`/items/${encodeURIComponent(detail.id)}/claim`);
    } catch {
      /* the claim expires by itself */
    }
  }

  async function submitLabel(label) {
    if (phase !== 'ready' || !item || performance.now() < armedAt) return;
    const current = item;
    setPhase('saving');
    buttons.find((b) => b.dataset.label === label)?.classList.add('chosen');
    try {
      const res = await outbox.submit({ itemId: current.id, label, note: note.value.trim(), title: current.listing?.title || '' });
      const effect = res?.action === 'hide' ? ' — listing hidden' : res?.action === 'restore' ? ' — listing restored' : '';
      toast(`Labelled “${label}”${effect}`, 'ok', 2500);
      if (alive) await claimNext();
    } catch (err) {
      if (!alive) {
        toast(`Label “${label}” on item ${current.id} was not recorded: ${errorText(err)}`, 'error', 10000);
        return;
      }
      if (err.status === 409 || err.status === 404 || err.status === 410) {
        toast(`Not recorded: ${err.status === 409 ? 'this item is claimed by someone else or your claim expired' : 'this item is gone'} (${errorText(err)}). Moving on.`, 'error', 8000);
        await claimNext();
      } else {
        setPhase('ready');
        mount(saveStatus, h('span', { class: 'form-error', role: 'alert', 'data-testid': 'label-error' }, `Label not recorded: ${errorText(err)}`));
      }
    }
  }

  // Skip: take the next item while still holding this one (so it cannot come straight back),
  // then give this one back for others.
  async function skipItem() {
    if (phase !== 'ready' || !item) return;
    const current = item;
    skipped.add(current.id);
    setPhase('loading');
    let detail = null;
    try {
      detail = await takeNext();
    } catch (err) {
      toast(`Could not take another item: ${errorText(err)}`, 'error');
      setPhase('ready');
      return;
    }
    if (!alive) {
      releaseQuietly(detail);
      return;
    }
    if (!detail) {
      toast('Nothing else to take in this queue: this item stays with you.', 'info');
      setPhase('ready');
      return;
    }
    releaseQuietly(current);
    show(detail);
  }

  async function reclaim() {
    if (!item) return;
    try {
      const detail = await api.post(`/items/${encodeURIComponent(item.id)}/claim`);
      if (detail && detail.claim_expires_at) item.claim_expires_at = detail.claim_expires_at;
      extend.hidden = true;
      tick();
    } catch (err) {
      toast(`Could not keep the claim: ${errorText(err)}`, 'error', 8000);
      if (err.status === 409 && phase === 'ready') await claimNext();
    }
  }

  function tick() {
    if (!item || !item.claim_expires_at) {
      countdown.textContent = '';
      return;
    }
    const left = (Date.parse(item.claim_expires_at) - serverNow()) / 1000;
    countdown.textContent = left > 0 ? `Claim expires in ${fmtClock(left)}` : 'Claim expired';
    countdown.classList.toggle('warn', left <= CLAIM_WARN_S);
    extend.hidden = !(left <= CLAIM_WARN_S && phase === 'ready');
  }

  function onOutboxChange() {
    if (!item) return mount(saveStatus);
    const e = outbox.pendingFor(item.id);
    if (!e) {
      if (phase !== 'ready' || !saveStatus.querySelector('[data-testid="label-error"]')) mount(saveStatus);
      return undefined;
    }
    if (e.status === 'sending' && e.attempts <= 1) return mount(saveStatus, h('span', { 'data-testid': 'label-saving' }, `Saving “${e.label}”…`));
    const wait = Math.max(0, Math.round((e.nextAt - Date.now()) / 1000));
    return mount(saveStatus, h('span', { class: 'form-error', role: 'alert', 'data-testid': 'label-pending' },
      `“${e.label}” not saved yet (${errorText(e.error)}); ${e.status === 'sending' ? 'retrying now' : `retrying in ${wait}s`} — attempt ${e.attempts}. `),
    h('button', { type: 'button', class: 'btn btn-small', on: { click: () => outbox.retryNow() } }, 'Retry now'));
  }

  function onKey(ev) {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    if (typing(ev.target)) {
      if (ev.key === 'Escape') ev.target.blur();
      return;
    }
    const typed = (ev.key || '').toLowerCase();
    const key = KEYMAP.has(typed) || typed === 's' || typed === '/' ? typed : CODES.get(ev.code) || '';
    if (key === '/') {
      ev.preventDefault();
      note.focus();
      return;
    }
    if (ev.repeat) return;
    const l = KEYMAP.get(key);
    if (l) {
      ev.preventDefault();
      submitLabel(l.label);
    } else if (key === 's') {
      ev.preventDefault();
      skipItem();
    }
  }

  document.addEventListener('keydown', onKey);
  const unsubscribe = outbox.subscribe(onOutboxChange);
  const timer = setInterval(tick, 1000);
  setPhase('loading');
  claimNext({ resume: true });

  return async () => {
    alive = false;
    document.removeEventListener('keydown', onKey);
    unsubscribe();
    clearInterval(timer);
    if (item && phase !== 'saving') await releaseQuietly(item);
  };
}
