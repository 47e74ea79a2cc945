// One review item, drawn read-only: the listing as the seller wrote it (text nodes only), the
// model's decision (scores as bars against their thresholds, rules, reasons, model version), user
// reports, the seller's earlier violations and active strikes, and the statements of reasons issued
// on the version. When the seller edited the listing since, the current version is shown beside the
// judged one, clearly labelled. The strikes, statement and listing-version blocks are shared with the
// appeals page.

import { h, fmtPrice, fmtAgo, fmtDuration, fmtTime, safeImageUrl } from './dom.js';
import { API, request, serverNow } from './api.js';
import { CATEGORIES } from './vocab.js';

export const ADULT_BLUR_SCORE = 0.5;

export function isAdult(item) {
  const score = Number(item?.decision?.scores?.adult ?? 0);
  return item?.queue === 'adult' || score >= ADULT_BLUR_SCORE;
}

function section(title, testid, ...children) {
  return h('section', { class: 'panel', 'data-testid': testid },
    h('h3', {}, title),
    ...children);
}

// Listing images come through the tool (GET /items/{id}/images/{k}), never from the seller's host:
// the seller must not learn when or from where the listing was reviewed. Adult-band images arrive
// blurred by the server; clicking one asks for the clean image.
export function imagePath(item, k, blur) {
  return `${API}/items/${encodeURIComponent(item.id)}/images/${k}?blur=${blur ? 1 : 0}`;
}

function imageFailed(img, path, k) {
  // the <img> cannot read the error: ask once more with fetch() for the reason, then say it
  const placeholder = h('span', { class: 'image-error', 'data-testid': 'item-image-error', role: 'img', 'aria-label': `Image ${k + 1} not shown` }, `Image ${k + 1} not shown`);
  img.replaceWith(placeholder);
  request('GET', path.slice(API.length), undefined, { quiet401: true })
    .then(() => { placeholder.textContent = `Image ${k + 1} not shown: could not be displayed`; })
    .catch((err) => { placeholder.textContent = `Image ${k + 1} not shown: ${err.message || err}`; });
}

function images(item) {
  const shown = (item.listing?.image_urls || [])
    .map((url, k) => (safeImageUrl(url) ? k : null))
    .filter((k) => k !== null);
  if (!shown.length) return h('p', { class: 'muted', 'data-testid': 'item-no-images' }, 'No images.');
  const blur = isAdult(item);
  return h('div', { class: 'images', 'data-testid': 'item-images' }, shown.map((k, i) => {
    const path = imagePath(item, k, blur);
    const img = h('img', { src: path, alt: `Listing image ${i + 1}`, loading: 'eager', referrerpolicy: 'no-referrer', 'data-testid': 'item-image' });
    img.addEventListener('error', () => imageFailed(img, img.getAttribute('src'), i), { once: true });
    if (!blur) return h('div', { class: 'image' }, img);
    const wrap = h('button', {
      type: 'button',
      class: 'image blurred',
      'data-testid': 'item-image-wrap',
      'data-blurred': 'true',
      'aria-label': `Image ${i + 1} may be adult content and is blurred: click to show it`,
    }, img, h('span', { class: 'reveal-hint', 'aria-hidden': 'true' }, 'Adult? Click to show'));
    wrap.addEventListener('click', () => {
      if (wrap.getAttribute('data-blurred') !== 'true') return;
      img.setAttribute('src', imagePath(item, k, false));
      wrap.classList.remove('blurred');
      wrap.setAttribute('data-blurred', 'false');
      wrap.setAttribute('aria-label', `Image ${i + 1} (shown)`);
      wrap.querySelector('.reveal-hint')?.remove();
    });
    return wrap;
  }));
}

function scoreBars(decision) {
  const scores = decision?.scores || {};
  const thresholds = decision?.thresholds || {};
  const names = [...CATEGORIES, ...Object.keys(scores).filter((c) => !CATEGORIES.includes(c))];
  return h('div', { class: 'scores', 'data-testid': 'item-scores' }, names.map((cat) => {
    const v = Number(scores[cat] ?? 0);
    const t = thresholds[cat] || {};
    const level = t.hide !== undefined && v >= t.hide ? 'hide' : t.report !== undefined && v >= t.report ? 'report' : '';
    const marks = ['report', 'hide']
      .filter((k) => typeof t[k] === 'number')
      .map((k) => h('span', { class: ['mark', `mark-${k}`], style: { left: `${Math.min(100, t[k] * 100)}%` }, title: `${k} threshold ${t[k]}` }));
    return h('div', { class: 'score-row', 'data-testid': `score-${cat}` },
      h('span', { class: 'score-name' }, cat),
      h('span', { class: 'bar', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '1', 'aria-valuenow': v.toFixed(3), 'aria-label': `${cat} score` },
        h('span', { class: ['fill', level && `fill-${level}`], style: { width: `${Math.max(0, Math.min(1, v)) * 100}%` } }),
        marks),
      h('span', { class: 'score-value' }, v.toFixed(3)));
  }));
}

function list(items, testid, render, empty = 'None.') {
  if (!items || !items.length) return h('p', { class: 'muted', 'data-testid': testid }, empty);
  return h('ul', { class: 'plain', 'data-testid': testid }, items.map((x) => h('li', {}, render(x))));
}

function describe(x) {
  if (x === null || x === undefined) return '';
  if (typeof x !== 'object') return String(x);
  const who = x.reporter_id || x.reporter || x.reviewer || x.user_id || x.actor;
  const what = x.reason || x.label || x.category || x.kind;
  const note = x.note || x.message || x.comment || x.text;
  const when = x.last_reported_at || x.created_at || x.at;
  const times = x.times > 1 ? `×${x.times}` : null;
  const parts = [what, note, times, who && `by ${who}`, when && fmtAgo(when, serverNow())].filter(Boolean);
  return parts.length ? parts.join(' — ') : JSON.stringify(x);
}

const AUTOMATION = {
  fully: 'fully automated',
  partially: 'partly automated (a person decided)',
  not: 'not automated (a person found and decided it)',
};

export function automationText(a) {
  return AUTOMATION[a] || a || '—';
}

function fmtWeight(x) {
  const n = Number(x);
  return Number.isFinite(n) ? n.toLocaleString(undefined, { maximumFractionDigits: 2 }) : '—';
}

/** The seller's active strikes: their weight against the suspension threshold, and each strike. */
export function strikesView(strikes, testid) {
  if (!strikes) return h('p', { class: 'muted', 'data-testid': testid }, 'No strike record for this seller.');
  const over = !!strikes.over_threshold;
  return h('div', { class: 'strikes', 'data-testid': testid, 'data-over-threshold': over ? 'true' : 'false' },
    h('p', { class: 'strike-summary' },
      h('strong', { 'data-testid': `${testid}-weight` }, `${fmtWeight(strikes.weight)} / ${fmtWeight(strikes.threshold)}`),
      ' active strike weight / suspension threshold ',
      over ? h('span', { class: 'badge badge-bad', 'data-testid': `${testid}-over` }, 'over threshold') : null),
    list(strikes.strikes, `${testid}-list`, (s) => [
      h('span', { class: 'badge' }, String(s.category || 'violation')),
      ` ${s.listing_id} v${s.listing_version} · weight ${fmtWeight(s.weight)}`,
      h('span', { class: 'muted', title: s.confirmed_at || '' }, ` · expires ${fmtTime(s.expires_at)}`),
    ], 'No active strikes.'));
}

/** A statement of reasons (DSA Art. 17): its kind, how automated the decision was, and its text. */
export function statementView(st, testid) {
  return h('div', { class: 'statement', 'data-testid': testid, 'data-puid': st.puid || '', 'data-kind': st.kind || '' },
    h('div', { class: 'statement-badges' },
      h('span', { class: ['badge', st.kind === 'restriction' ? 'badge-bad' : 'badge-ok'], 'data-testid': `${testid}-kind` }, String(st.kind || '?')),
      h('span', { class: 'badge', 'data-testid': `${testid}-automation` }, automationText(st.automated_decision)),
      st.category ? h('span', { class: 'badge' }, String(st.category)) : null,
      st.source === 'notice' ? h('span', { class: 'badge' }, 'after a notice') : null),
    h('p', { class: 'statement-text', 'data-testid': `${testid}-text` }, st.text || '(no text)'),
    h('p', { class: 'muted statement-meta' },
      h('code', {}, String(st.puid || '')), ` · ${fmtTime(st.created_at)}`,
      st.supersedes ? [' · supersedes ', h('code', {}, String(st.supersedes))] : null));
}

/**
 * One version of a listing as a compact block, headed by `label` (e.g. "Current version (edited
 * since)"). No images: only a review item's image proxy may load a seller's photos, so their number
 * is shown. With `compare` (the other version), the fields that differ are marked "changed".
 */
export function listingVersionView(l, { label, testid, compare = null, kind = 'judged' }) {
  const differs = (k) => !!compare && JSON.stringify(compare[k] ?? null) !== JSON.stringify(l[k] ?? null);
  const changed = (...keys) => (keys.some(differs) ? h('span', { class: 'badge badge-warn changed' }, 'changed') : null);
  const images = (l.image_urls || []).length;
  return h('section', { class: ['version', `version-${kind}`], 'data-testid': testid, 'data-version': String(l.version ?? '') },
    h('p', { class: 'version-label', 'data-testid': `${testid}-label` }, `${label} · v${l.version ?? '?'}`),
    h('div', { class: 'version-title' },
      h('strong', { 'data-testid': `${testid}-title` }, l.title || '(no title)'), ' ', changed('title')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Price'), h('dd', {}, fmtPrice(l.price, l.currency), ' ', changed('price', 'currency')),
      h('dt', {}, 'Status'), h('dd', { 'data-testid': `${testid}-status` }, String(l.status || '—')),
      h('dt', {}, 'Brand'), h('dd', {}, l.brand || '—', ' ', changed('brand')),
      h('dt', {}, 'Images'), h('dd', {}, String(images), ' ', changed('image_urls'))),
    h('p', { class: 'version-sub' }, 'Description ', changed('description')),
    h('p', { class: 'description', 'data-testid': `${testid}-description` }, l.description || '(empty)'));
}

function judgedHead(item) {
  const l = item.listing || {};
  return h('p', { class: 'version-label', 'data-testid': 'item-judged-label' }, `Judged version · v${l.version ?? '?'}`);
}

export function renderItem(item) {
  const l = item.listing || {};
  const d = item.decision || {};
  const ageS = item.created_at ? (serverNow() - Date.parse(item.created_at)) / 1000 : null;
  const current = item.current_listing || null;
  const judged = [
    current ? judgedHead(item) : null,
    h('div', { class: 'item-head' },
      h('h2', { id: 'item-title', 'data-testid': 'item-title' }, l.title || '(no title)'),
      h('div', { class: 'badges' },
        item.auto_hidden ? h('span', { class: 'badge badge-hidden', 'data-testid': 'item-auto-hidden', title: 'The model hid this listing; labelling it "no violation" restores it' }, 'Auto-hidden') : null,
        l.status ? h('span', { class: 'badge', 'data-testid': 'item-listing-status' }, `listing ${l.status}`) : null,
        h('span', { class: 'badge' }, `queue ${item.queue}`))),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Price'), h('dd', { 'data-testid': 'item-price' }, fmtPrice(l.price, l.currency)),
      h('dt', {}, 'Brand'), h('dd', { 'data-testid': 'item-brand' }, l.brand || '—'),
      h('dt', {}, 'Listing'), h('dd', { 'data-testid': 'item-listing-id' }, String(l.id ?? '—')),
      h('dt', {}, 'Seller'), h('dd', {}, String(l.seller_id ?? '—')),
      h('dt', {}, 'Waiting'), h('dd', { title: item.created_at || '' }, ageS === null ? '—' : fmtDuration(ageS)),
      h('dt', {}, 'Priority'), h('dd', {}, item.priority === undefined ? '—' : Number(item.priority).toFixed(3))),
    images(item),
    h('h3', {}, 'Description'),
    h('p', { class: 'description', 'data-testid': 'item-description' }, l.description || '(empty)'),
  ];
  const mainCol = current
    ? h('div', { class: 'item-main versions', 'data-testid': 'item-versions' },
      h('section', { class: 'version version-judged', 'data-testid': 'item-judged-listing' }, judged),
      listingVersionView(current, { label: 'Current version (edited since)', testid: 'item-current-listing', compare: l, kind: 'current' }))
    : h('div', { class: 'item-main' }, judged);
  return h('article', { class: 'item', 'data-testid': 'item', 'data-item-id': String(item.id), 'aria-labelledby': 'item-title' },
    mainCol,
    h('aside', { class: 'item-side', 'aria-label': 'Why this item is here' },
      section('Scores', 'item-scores-panel', scoreBars(d)),
      section('Decision', 'item-decision',
        h('dl', { class: 'facts' },
          h('dt', {}, 'Action'), h('dd', { 'data-testid': 'item-action' }, d.action || '—'),
          h('dt', {}, 'Category'), h('dd', {}, d.category || '—'),
          h('dt', {}, 'Model'), h('dd', { 'data-testid': 'item-model-version' }, d.model_version || '—'))),
      section('Reasons', 'item-reasons-panel', list(d.reasons, 'item-reasons', (r) => String(r))),
      section('Rules matched', 'item-rules-panel', list(item.rules_matched, 'item-rules', (r) => [
        h('code', {}, String(r.pattern ?? `rule ${r.id}`)), ` → ${r.action || '?'} ${r.category || ''}`,
      ])),
      section('User reports', 'item-reports-panel', list(item.user_reports, 'item-reports', describe)),
      section("Seller's strikes", 'item-strikes-panel', strikesView(item.strikes, 'item-strikes')),
      section('Statements of reasons', 'item-statements-panel',
        (item.statements || []).length
          ? h('div', { 'data-testid': 'item-statements' }, item.statements.map((st) => statementView(st, 'item-statement')))
          : h('p', { class: 'muted', 'data-testid': 'item-statements' }, 'None on this version.')),
      section("Seller's earlier violations", 'item-history-panel', list(item.seller_history, 'item-history', (x) => [
        h('span', { class: 'badge' }, String(x.category || 'violation')), ' ', String(x.title || x.listing_id || ''),
        h('span', { class: 'muted', title: x.created_at || '' }, ` ${fmtAgo(x.created_at, serverNow())}`),
      ])),
      item.labels && item.labels.length
        ? section('Earlier labels', 'item-labels-panel', list(item.labels, 'item-labels', describe))
        : null));
}
