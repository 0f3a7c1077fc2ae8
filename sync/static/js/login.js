// Sign-in: stores a token and goes to the user's page. Accepts `#token=<jwt>` from the
// identity provider's redirect; in dev mode also offers the seeded demo users.

import { claims, homeFor, setToken } from './auth.js';
import { el, part, showBanner } from './dom.js';

const DEMO_USERS = [
  { group: 'Patients', users: [['patient-1', 'Alice Novak'], ['patient-2', 'Ben Okafor']] },
  {
    group: 'Dentists',
    users: [['dentist-1', 'Dr Anna Lee'], ['dentist-2', 'Dr Marco Rossi'], ['dentist-3', 'Dr Priya Shah']],
  },
  { group: 'Clinic', users: [['admin', 'Clinic admin']] },
];

function nextPath() {
  const next = new URLSearchParams(location.search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : null;
}

function enter(token) {
  const c = claims(token);
  if (!c) throw new Error('That is not a valid token.');
  setToken(token);
  location.assign(nextPath() ?? homeFor(c.role));
}

async function signInAs(sub) {
  const error = part('login-error');
  try {
    const resp = await fetch('/api/dev/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sub }),
    });
    const data = await resp.json().catch(() => null);
    if (!resp.ok) throw new Error(data?.message ?? `Sign-in failed (${resp.status}).`);
    enter(data.token);
  } catch (err) {
    showBanner(error, err.message);
  }
}

function main() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token') ?? fragment.get('access_token') ?? fragment.get('id_token');
  if (token) {
    history.replaceState(null, '', location.pathname + location.search);
    try { enter(token); } catch (err) { showBanner(part('login-error'), err.message); }
    return;
  }
  const box = part('login-users');
  if (!box) return;
  box.replaceChildren(...DEMO_USERS.map(({ group, users }) => el('section', { class: 'login-group' },
    el('h2', { text: group }),
    el('div', { class: 'login-buttons' }, users.map(([sub, name]) => el('button', {
      type: 'button', class: 'btn login-user', dataset: { sub },
      onclick: () => signInAs(sub),
    }, el('span', { class: 'login-name', text: name }), el('span', { class: 'login-sub', text: sub })))))));
  part('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signInAs(String(new FormData(e.currentTarget).get('sub')).trim());
  });
}

main();
