// The patient's waitlist: entries with a Leave button, and an offer toast (Accept / Decline)
// when `waitlist.offered` arrives on the socket or an open offer is found on load.

import { api } from './auth.js';
import { el, part, showBanner } from './dom.js';

export function setupWaitlist({ clock, names }) {
  const list = part('waitlist');
  const toasts = part('toasts');
  const shown = new Map(); // appointment id → toast node

  const dismiss = (appointmentId) => {
    shown.get(appointmentId)?.remove();
    shown.delete(appointmentId);
  };

  const answer = async (offer, verb, node) => {
    for (const b of node.querySelectorAll('button')) b.disabled = true;
    try {
      await api(`/api/waitlist/${offer.waitlist_id}/${verb}`, { method: 'POST' });
      node.querySelector('[data-offer-text]').textContent = verb === 'accept'
        ? `Booked: ${clock.dateTime(offer.starts_at)} with ${names.dentist(offer.dentist_id)}.`
        : 'Declined; we will pass it on.';
      node.dataset.answered = verb;
      setTimeout(() => dismiss(offer.appointment_id), 4000);
      refresh();
    } catch (err) {
      node.querySelector('[data-offer-text]').textContent = err.message;
    }
  };

  const offer = (o) => {
    if (shown.has(o.appointment_id)) return;
    const text = `A time freed up: ${names.treatment(o.treatment)} with ${names.dentist(o.dentist_id)}, `
      + `${clock.dateTime(o.starts_at)}. Held for you until ${clock.time(o.expires_at)}.`;
    const node = el('div', { class: 'toast', role: 'alertdialog', 'aria-label': 'Waitlist offer', dataset: { offerFor: String(o.waitlist_id) } },
      el('p', { 'data-offer-text': true, text }),
      el('div', { class: 'dialog-actions' },
        el('button', { type: 'button', class: 'btn', 'data-offer-decline': true, text: 'Decline', onclick: () => answer(o, 'decline', node) }),
        el('button', { type: 'button', class: 'btn btn-primary', 'data-offer-accept': true, text: 'Accept', onclick: () => answer(o, 'accept', node) })));
    shown.set(o.appointment_id, node);
    toasts.append(node);
  };

  const item = (w) => el('li', { class: 'appt', dataset: { waitlistId: String(w.id) } },
    el('div', { class: 'appt-when' },
      el('span', { class: 'appt-date', text: clock.day(w.from) }),
      el('span', { class: 'appt-time', text: spanText(clock, w) })),
    el('div', { class: 'appt-what' },
      el('span', { class: 'appt-treatment', text: names.treatment(w.treatment) }),
      el('span', { class: 'appt-dentist', text: w.dentist_id ? `with ${names.dentist(w.dentist_id)}` : 'any dentist' })),
    el('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', text: 'Leave', onclick: async () => {
      await api(`/api/waitlist/${w.id}`, { method: 'DELETE' });
      refresh();
    } }));

  const refresh = async () => {
    try {
      const entries = await api('/api/waitlist');
      list.replaceChildren(...entries.map(item));
      part('waitlist-empty').hidden = entries.length > 0;
      for (const w of entries) if (w.offer) offer(w.offer);
      showBanner(part('waitlist-error'), '');
    } catch (err) {
      showBanner(part('waitlist-error'), `Could not load your waitlist: ${err.message}`);
    }
  };

  return {
    refresh,
    onEvent(event) {
      if (event.type === 'waitlist.offered') { offer(event.data); refresh(); }
      if (event.type === 'hold.released' && !shown.get(event.data?.id)?.dataset.answered) dismiss(event.data?.id);
    },
  };
}

/** '09:00–12:00', or 'whole day' / 'Mon 7 Dec – Wed 9 Dec' for windows of whole days. */
function spanText(clock, w) {
  const from = clock.local(w.from);
  const to = clock.local(w.to);
  if (from.minutes || to.minutes) return `${clock.time(w.from)}–${clock.time(w.to)}`;
  const last = new Date(Date.parse(w.to) - 1);
  return clock.local(last).day === from.day ? 'whole day' : `until ${clock.day(last)}`;
}
