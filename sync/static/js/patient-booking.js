// The patient dashboard's own booking: pick a time, it is held while you confirm (the same
// hold → confirm flow the chat uses), or join the waitlist when the day is full.

import { api } from './auth.js';
import { el, part, showBanner } from './dom.js';
import { SlotPicker } from './slot-picker.js';

export function setupPatientBooking({ clock, names, dentists, treatments, onWaitlistChange }) {
  const pending = part('hold');
  const message = part('booking-message');
  let hold = null;

  const say = (text) => { message.textContent = text; message.hidden = !text; };

  const showHold = () => {
    pending.hidden = !hold;
    if (!hold) return pending.replaceChildren();
    const what = `${names.treatment(hold.treatment)} with ${names.dentist(hold.dentist_id)}, ${clock.dateTime(hold.starts_at)}`;
    pending.replaceChildren(
      el('p', { text: `Held for you: ${what}. Confirm by ${clock.time(hold.hold_expires_at)}.` }),
      el('div', { class: 'dialog-actions' },
        el('button', { type: 'button', class: 'btn', 'data-hold-release': true, text: 'Release', onclick: release }),
        el('button', { type: 'button', class: 'btn btn-primary', 'data-hold-confirm': true, text: 'Confirm booking', onclick: confirm })));
  };

  const act = async (fn) => {
    showBanner(part('booking-error'), '');
    try {
      await fn();
    } catch (err) {
      showBanner(part('booking-error'), err.message);
    }
  };

  const confirm = () => act(async () => {
    const booked = await api(`/api/appointments/${hold.id}/confirm`, { method: 'POST' });
    hold = null;
    showHold();
    picker.clear();
    say(`Booked: ${names.treatment(booked.treatment)} on ${clock.dateTime(booked.starts_at)}.`);
  });

  const release = () => act(async () => {
    await api(`/api/appointments/${hold.id}/cancel`, { method: 'POST', body: {} });
    hold = null;
    showHold();
    say('');
  });

  const picker = new SlotPicker(part('picker'), {
    clock, names, dentists, treatments, label: 'Book online',
    onPick: (slot, choice) => act(async () => {
      if (hold) await api(`/api/appointments/${hold.id}/cancel`, { method: 'POST', body: {} });
      hold = await api('/api/appointments', {
        method: 'POST',
        body: { dentist_id: slot.dentist_id, treatment: choice.treatment, starts_at: slot.starts_at, hold: true },
      });
      say('');
      showHold();
    }),
    onNone: (choice) => act(async () => {
      const body = { treatment: choice.treatment, from: choice.day, to: choice.day };
      if (choice.dentist_id) body.dentist_id = choice.dentist_id;
      await api('/api/waitlist', { method: 'POST', body });
      say('You are on the waitlist. If a time frees up, we hold it for you and tell you here.');
      onWaitlistChange();
    }),
  });

  return {
    /** A hold that ended elsewhere (expired, released in another tab) disappears here too. */
    holdGone(id) {
      if (hold && hold.id === id) { hold = null; showHold(); say('Your hold ran out; pick a time again.'); }
    },
  };
}
