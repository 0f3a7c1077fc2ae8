// Patient page: the booking chat beside "My appointments", kept live from /ws.

import { api } from './auth.js';
import { AppointmentBook, isLive, namesFrom } from './appointments.js';
import { setupCalendarFeed } from './calendar-feed.js';
import { ChatWidget } from './chat.js';
import { el, part, showBanner } from './dom.js';
import { LiveSocket, statusPill } from './live.js';
import { reportStartupError, rows, startPage } from './page.js';
import { setupPatientBooking } from './patient-booking.js';
import { setupWaitlist } from './waitlist-offers.js';

function statusLabel(status) {
  const text = status.replace('_', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function main() {
  const ctx = await startPage(['patient']);
  if (!ctx) return;
  const { clock } = ctx;
  const [dentists, treatments] = await Promise.all([api('/api/dentists'), api('/api/treatments')]);
  const names = namesFrom(rows(dentists), rows(treatments));
  setupCalendarFeed();
  const book = new AppointmentBook();
  const list = part('appts');
  const fresh = new Set();

  const item = (a) => {
    const past = Date.parse(a.ends_at) < Date.now();
    const state = a.status === 'cancelled' ? 'cancelled' : past ? 'past' : 'upcoming';
    const li = el('li', {
      class: `appt appt-${state}${fresh.has(a.id) ? ' is-fresh' : ''}`,
      dataset: { apptId: String(a.id), status: a.status },
    },
    el('div', { class: 'appt-when' },
      el('span', { class: 'appt-date', text: clock.day(a.starts_at) }),
      el('span', { class: 'appt-time', text: `${clock.time(a.starts_at)}–${clock.time(a.ends_at)}` })),
    el('div', { class: 'appt-what' },
      el('span', { class: 'appt-treatment', text: names.treatment(a.treatment) }),
      el('span', { class: 'appt-dentist', text: `with ${names.dentist(a.dentist_id)}` })),
    el('span', { class: `badge badge-${a.status}`, text: statusLabel(a.status) }),
    state === 'upcoming' && ['scheduled', 'confirmed'].includes(a.status)
      ? el('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', 'data-appt-cancel': true, text: 'Cancel', onclick: () => cancel(a) })
      : null);
    return li;
  };

  const cancel = async (a) => {
    try {
      await api(`/api/appointments/${a.id}/cancel`, { method: 'POST', body: {} });
      showBanner(part('appts-error'), '');
    } catch (err) {
      showBanner(part('appts-error'), `Could not cancel: ${err.message}`);
    }
  };

  const render = () => {
    const all = book.sorted().filter((a) => isLive(a) || a.status === 'cancelled');
    const now = Date.now();
    const upcoming = all.filter((a) => a.status !== 'cancelled' && Date.parse(a.ends_at) >= now);
    const rest = all.filter((a) => !upcoming.includes(a)).reverse();
    const divider = upcoming.length && rest.length
      ? [el('li', { class: 'appt-divider', 'aria-hidden': 'true', text: 'Earlier and cancelled' })] : [];
    list.replaceChildren(...upcoming.map(item), ...divider, ...rest.map(item));
    list.setAttribute('aria-busy', 'false');
    part('appts-empty').hidden = all.length > 0;
    fresh.clear();
  };

  const reload = async () => {
    try {
      book.load(rows(await api('/api/appointments?include_cancelled=1')));
      showBanner(part('appts-error'), '');
      render();
    } catch (err) {
      showBanner(part('appts-error'), `Could not load your appointments: ${err.message}`);
    }
  };

  const waitlist = setupWaitlist({ clock, names });
  const booking = setupPatientBooking({
    clock, names, dentists: rows(dentists), treatments: rows(treatments), onWaitlistChange: waitlist.refresh,
  });

  const setStatus = statusPill(part('live-status'));
  let connected = false;
  const live = new LiveSocket({
    onSnapshot: (_, { first }) => { if (first) { reload(); waitlist.refresh(); } },
    onEvent: (event) => {
      waitlist.onEvent(event);
      if (event.type === 'hold.released') booking.holdGone(event.data?.id);
      if (event.data?.id != null) fresh.add(event.data.id);
      if (book.apply(event)) render();
    },
    onStatus: (state) => { connected = state === 'connected'; setStatus(state); },
  });
  live.start();

  new ChatWidget(part('chat'), {
    greeting: 'Hello! I can book, move or cancel appointments and answer questions about the clinic. What can I do for you?',
    suggestions: ['Book a checkup next Tuesday afternoon', 'Show my appointments', 'What are your opening hours?'],
    onReply: () => { if (!connected) reload(); },
  });
}

main().catch(reportStartupError);
