// The label outbox: a reviewer's decision is never lost, and never recorded twice.
//
// Each label is sent with an Idempotency-Key made once per (item, label) and reused for every retry,
// so a double click, a retry after a lost response or a resend after a reload records one label.
// A label waits here (and in localStorage, so a reload or a crash of the tab resumes it) until the
// server has answered: network errors and 5xx are retried with backoff for as long as it takes;
// a 401 pauses it until the reviewer signs in again; any other 4xx is final and is reported.

import { api, newIdempotencyKey } from './api.js';

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
const listeners = new Set();
let owner = null; // the signed-in username; each reviewer has their own outbox
let entries = []; // {key, itemId, label, note, title, attempts, status, error, nextAt}
const waiters = new Map(); // key -> {resolve, reject}
const timers = new Map();

function storageKey() {
  return `lm.outbox.${owner}`;
}

function save() {
  if (!owner) return;
  try {
    const keep = entries.map(({ key, itemId, label, note, title, attempts }) => ({ key, itemId, label, note, title, attempts }));
    if (keep.length) localStorage.setItem(storageKey(), JSON.stringify(keep));
    else localStorage.removeItem(storageKey());
  } catch {
    /* storage full or disabled: the in-memory outbox still retries */
  }
}

function emit() {
  for (const fn of listeners) fn(pending());
}

/** Subscribe to changes; fn(entries) is called with the pending labels. Returns an unsubscribe. */
export function subscribe(fn) {
  listeners.add(fn);
  fn(pending());
  return () => listeners.delete(fn);
}

export function pending() {
  return entries.map((e) => ({ ...e }));
}

export function pendingFor(itemId) {
  return entries.find((e) => e.itemId === itemId) || null;
}

/** Load (and start sending) the labels a previous page of this reviewer left unsent. */
export function resume(username) {
  if (owner !== username) {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    owner = username;
    entries = [];
    try {
      const raw = JSON.parse(localStorage.getItem(storageKey()) || '[]');
      for (const e of Array.isArray(raw) ? raw : []) {
        if (e && e.key && e.itemId !== undefined && e.label) entries.push({ ...e, status: 'waiting', error: null, nextAt: 0 });
      }
    } catch {
      entries = [];
    }
  }
  for (const e of entries) if (e.status !== 'sending') send(e);
  emit();
}

/**
 * Queue a label for an item and send it. Resolves with the server's answer once it is recorded
 * (201 or an idempotent 200); rejects only with a final ApiError (e.g. 409 claimed elsewhere).
 * A second call for the same item while one is pending returns the pending one (no new request).
 */
export function submit({ itemId, label, note = '', title = '' }) {
  let entry = entries.find((e) => e.itemId === itemId);
  if (!entry) {
    entry = { key: newIdempotencyKey(), itemId, label, note, title, attempts: 0, status: 'waiting', error: null, nextAt: 0 };
    entries.push(entry);
    save();
  }
  const promise = new Promise((resolve, reject) => {
    const prev = waiters.get(entry.key);
    waiters.set(entry.key, {
      resolve: (v) => { prev?.resolve(v); resolve(v); },
      reject: (e) => { prev?.reject(e); reject(e); },
    });
  });
  if (entry.status !== 'sending') send(entry);
  return promise;
}

/** Send every waiting label now (the "Retry now" button, the browser coming back online). */
export function retryNow() {
  for (const e of entries) if (e.status !== 'sending') send(e);
}

async function send(entry) {
  clearTimeout(timers.get(entry.key));
  timers.delete(entry.key);
  entry.status = 'sending';
  entry.attempts += 1;
  emit();
  try {
    const body = await api.post(
      `/items/${encodeURIComponent(entry.itemId)}/label`,
      { label: entry.label, note: entry.note },
      { headers: { 'Idempotency-Key': entry.key } },
    );
    finish(entry, null, body);
  } catch (err) {
    if (err.retryable) return later(entry, err);
    if (err.status === 401) {
      entry.status = 'paused';
      entry.error = err;
      save();
      emit();
      return undefined; // resumed by resume() after the next sign-in
    }
    finish(entry, err, null);
  }
  return undefined;
}

function later(entry, err) {
  const delay = BACKOFF_MS[Math.min(entry.attempts - 1, BACKOFF_MS.length - 1)];
  entry.status = 'waiting';
  entry.error = err;
  entry.nextAt = Date.now() + delay;
  save();
  timers.set(entry.key, setTimeout(() => send(entry), delay));
  emit();
}

function finish(entry, err, body) {
  entries = entries.filter((e) => e !== entry);
  save();
  const w = waiters.get(entry.key);
  waiters.delete(entry.key);
  emit();
  if (err) {
    if (w) w.reject(err);
    else for (const fn of finalErrorListeners) fn(entry, err);
  } else if (w) {
    w.resolve(body);
  }
}

const finalErrorListeners = new Set();

/** Labels resumed after a reload have nobody waiting on them: their final errors go here. */
export function onOrphanError(fn) {
  finalErrorListeners.add(fn);
}

window.addEventListener('online', retryNow);
window.addEventListener('beforeunload', (ev) => {
  if (entries.length) {
    ev.preventDefault();
    ev.returnValue = '';
  }
});
