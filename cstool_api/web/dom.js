// Building the page without innerHTML: listing text is written by sellers (attackers), so every
// piece of data goes in through text nodes and attribute setters, never through markup.

/**
 * h('button', {class: 'btn', 'data-testid': 'x', on: {click: fn}}, 'text', childNode, [more])
 * Strings and numbers become text nodes; null/undefined/false children are skipped.
 * Attributes: `class`, `on`, `hidden`/`disabled`/`checked` (booleans), `value`, anything else via
 * setAttribute. Attribute values are never parsed as markup.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    } else if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'hidden') {
      el[key] = value;
    } else if (key === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) el.style.setProperty(prop, v);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/** "45s", "12m", "3h 05m", "2d 4h" */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

/** m:ss for countdowns */
export function fmtClock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

/** "14h 05m ago", with the server's clock */
export function fmtAgo(iso, now = Date.now()) {
  const t = Date.parse(iso || '');
  return Number.isNaN(t) ? '—' : `${fmtDuration((now - t) / 1000)} ago`;
}

export function fmtPrice(price, currency) {
  if (price === null || price === undefined) return '—';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: String(currency || 'JPY') }).format(price);
  } catch {
    return `${price} ${currency || ''}`.trim();
  }
}

/** Only http(s) image URLs (or same-origin paths) are ever put into an <img src>. */
export function safeImageUrl(url) {
  try {
    const u = new URL(String(url), window.location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

let toastBox = null;

/** A short message in the polite live region; kind: 'ok' | 'error' | 'info'. */
export function toast(message, kind = 'info', ms = 4000) {
  toastBox ||= document.querySelector('[data-testid="toasts"]');
  const el = h('div', { class: ['toast', `toast-${kind}`], 'data-testid': `toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  toastBox.appendChild(el);
  setTimeout(() => el.remove(), ms);
  return el;
}

/** The text to show for an error from api.js. */
export function errorText(err) {
  if (!err) return 'Unknown error';
  if (err.name === 'NetworkError') return 'Network error: the server did not answer.';
  if (err.name === 'ApiError') return `${err.message} (${err.status}${err.code ? ` ${err.code}` : ''})`;
  return String(err.message || err);
}

export function errorBox(err, testid = 'page-error') {
  return h('div', { class: 'error-box', role: 'alert', 'data-testid': testid }, errorText(err));
}
