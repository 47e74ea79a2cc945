// The CS tool page: session, header, hash router and the unsent-labels banner.
//
// Routes: #/queues (default), #/review/<queue>, #/appeals, #/rules, #/enforcement, #/audit and
// #/training (lead and admin), #/models (admin).
// Each view module exports render(main, ctx) and may return a cleanup function, called when the route
// changes (timers, key handlers, releasing a claim).

import { api, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { h, mount, toast, errorText } from './dom.js';
import * as outbox from './outbox.js';
import { renderSignIn } from './signin.js';
import { renderQueues } from './queues.js';
import { renderReview } from './review.js';
import { renderAppeals } from './appeals.js';
import { renderRules } from './rules.js';
import { renderEnforcement } from './enforcement.js';
import { renderAudit } from './audit.js';
import { renderTraining } from './training.js';
import { renderModels } from './models.js';

export const LEAD_ROLES = new Set(['lead', 'admin']);

const main = document.getElementById('main');
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const session = { user: null };
let cleanup = null;

function isLead() {
  return !!session.user && LEAD_ROLES.has(session.user.role);
}

function setUser(user, csrf) {
  session.user = user;
  setCsrfToken(csrf);
  $('nav').hidden = !user;
  $('whoami').hidden = !user;
  $('nav-rules').hidden = !isLead();
  $('nav-enforcement').hidden = !isLead();
  $('nav-audit').hidden = !isLead();
  $('nav-training').hidden = !isLead();
  $('nav-models').hidden = !user || user.role !== 'admin';
  if (user) {
    $('whoami-name').textContent = user.username;
    $('whoami-role').textContent = user.role;
    outbox.resume(user.username);
  }
}

function route() {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [name, ...rest] = hash.split('/');
  return { name: name || 'queues', arg: rest.map(decodeURIComponent).join('/') };
}

function highlightNav(name) {
  for (const a of document.querySelectorAll('.nav a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function render() {
  if (cleanup) {
    const fn = cleanup;
    cleanup = null;
    try {
      await fn();
    } catch {
      /* a failed cleanup (e.g. releasing a claim offline) must not block navigation */
    }
  }
  if (!session.user) {
    highlightNav('');
    renderSignIn(main, { onSignedIn });
    return;
  }
  const { name, arg } = route();
  highlightNav(name === 'review' ? 'queues' : name);
  const ctx = { user: session.user, isLead: isLead(), navigate };
  const views = {
    queues: renderQueues,
    review: renderReview,
    appeals: renderAppeals,
    rules: renderRules,
    enforcement: renderEnforcement,
    audit: renderAudit,
    training: renderTraining,
    models: renderModels,
  };
  const view = views[name];
  if (!view) {
    mount(main, h('div', { class: 'error-box', role: 'alert', 'data-testid': 'page-error' }, 'No such page.'));
    return;
  }
  cleanup = (await view(main, ctx, arg)) || null;
}

export function navigate(hash) {
  if (window.location.hash === hash) render();
  else window.location.hash = hash;
}

function onSignedIn(user, csrf) {
  setUser(user, csrf);
  render();
}

async function signOut() {
  if (outbox.pending().length &&
      !window.confirm('Some labels are not saved yet. Sign out anyway? They will be sent when you sign in again.')) {
    return;
  }
  if (cleanup) {
    const fn = cleanup;
    cleanup = null;
    await Promise.resolve(fn()).catch(() => {});
  }
  try {
    await api.del('/session', { quiet401: true });
  } catch (err) {
    if (err.status !== 401) toast(`Sign out failed: ${errorText(err)}`, 'error');
  }
  setUser(null, null);
  render();
}

function renderBanner(entries) {
  const banner = $('banner');
  const waiting = entries.filter((e) => e.status !== 'sending' || e.attempts > 1);
  if (!entries.length || !waiting.length) {
    banner.hidden = true;
    return;
  }
  const paused = entries.some((e) => e.status === 'paused');
  const err = entries.find((e) => e.error)?.error;
  const text = paused
    ? `${entries.length} label(s) not saved: sign in again to send them.`
    : `${entries.length} label(s) not saved yet${err ? ` (${errorText(err)})` : ''}: retrying automatically.`;
  mount(
    banner,
    h('span', { 'data-testid': 'outbox-status' }, text),
    paused ? null : h('button', { type: 'button', class: 'btn btn-small', on: { click: () => outbox.retryNow() } }, 'Retry now'),
  );
  banner.hidden = false;
}

async function boot() {
  $('sign-out').addEventListener('click', signOut);
  setUnauthorizedHandler(() => {
    if (!session.user) return;
    setUser(null, null);
    toast('Your session has ended. Please sign in again.', 'error', 6000);
    render();
  });
  outbox.subscribe(renderBanner);
  outbox.onOrphanError((entry, err) =>
    toast(`Label "${entry.label}" on item ${entry.itemId} was not recorded: ${errorText(err)}`, 'error', 10000));
  window.addEventListener('hashchange', render);
  try {
    const me = await api.get('/me', { quiet401: true });
    const u = me.user || me;
    setUser({ username: u.username, role: u.role }, me.csrf_token);
  } catch (err) {
    if (err.status !== 401) toast(`Could not reach the server: ${errorText(err)}`, 'error', 8000);
    setUser(null, null);
  }
  render();
}

boot();
