// Sign in: POST /api/v1/session sets the HttpOnly session cookie and returns the CSRF token.

import { api } from './api.js';
import { h, mount, errorText } from './dom.js';

export function renderSignIn(main, { onSignedIn }) {
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'signin-error', hidden: true });
  const username = h('input', { id: 'signin-username', name: 'username', autocomplete: 'username', required: true, 'data-testid': 'signin-username' });
  const password = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'signin-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'signin-submit' }, 'Sign in');

  async function onSubmit(ev) {
    ev.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const res = await api.post('/session', { username: username.value.trim(), password: password.value }, { quiet401: true });
      const user = res.user || { username: res.username, role: res.role };
      password.value = '';
      onSignedIn(user, res.csrf_token);
    } catch (err) {
      error.textContent = err.status === 401 ? 'Wrong username or password.' : errorText(err);
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  }

  mount(
    main,
    h('section', { class: 'signin card', 'aria-labelledby': 'signin-title' },
      h('h1', { id: 'signin-title' }, 'Sign in'),
      h('form', { 'data-testid': 'signin-form', on: { submit: onSubmit } },
        h('label', { for: 'signin-username' }, 'Username'), username,
        h('label', { for: 'signin-password' }, 'Password'), password,
        error,
        submit)),
  );
  username.focus();
}
