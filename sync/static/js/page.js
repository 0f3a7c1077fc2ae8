// What every signed-in page does first: check the session, fill the header, load the clinic.

import { api, requireSession, signOut } from './auth.js';
import { ClinicClock } from './clock.js';
import { part } from './dom.js';

/** Rows of a list response (plain list, or {items: [...]}). */
export function rows(data) {
  if (Array.isArray(data)) return data;
  return data?.items ?? data?.appointments ?? data?.data ?? [];
}

export async function startPage(roles) {
  const session = requireSession(roles);
  if (!session) return null;
  part('sign-out')?.addEventListener('click', signOut);
  const who = part('who');
  if (who) who.textContent = session.sub;
  api('/api/me')
    .then((me) => { if (who && me?.display_name) who.textContent = me.display_name; })
    .catch(() => {});
  const clinic = await api('/api/clinic');
  const clock = new ClinicClock(clinic.timezone);
  for (const node of document.querySelectorAll('[data-clinic-name]')) node.textContent = clinic.name;
  for (const node of document.querySelectorAll('[data-tz-note]')) {
    node.textContent = `Times in clinic time (${clinic.timezone.replace(/_/g, ' ')}).`;
  }
  return { session, clinic, clock };
}

/** Report a failed start-up in the page instead of failing silently. */
export function reportStartupError(err) {
  const banner = document.createElement('div');
  banner.className = 'banner banner-error page-error';
  banner.setAttribute('role', 'alert');
  banner.textContent = `Could not load the page: ${err?.message ?? err}. Reload to try again.`;
  document.querySelector('main')?.prepend(banner);
}
