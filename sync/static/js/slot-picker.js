// A slot picker: treatment, dentist (or anyone), day → the free times /api/slots gives;
// picking one calls onPick(slot, choice). The patient dashboard and the admin front desk
// share it, so both book exactly the times the chat would offer.

import { api } from './auth.js';
import { addDays } from './clock.js';
import { el, showBanner } from './dom.js';

export class SlotPicker {
  constructor(root, { clock, names, dentists, treatments, onPick, onNone = null, label = 'Find a time' }) {
    this.clock = clock;
    this.names = names;
    this.onPick = onPick;
    this.onNone = onNone;
    this.treatment = el('select', { 'data-pick-treatment': true, 'aria-label': 'Treatment' },
      treatments.map((t) => el('option', { value: t.code, text: t.name })));
    this.dentist = el('select', { 'data-pick-dentist': true, 'aria-label': 'Dentist' },
      el('option', { value: '', text: 'Any dentist' }),
      dentists.map((d) => el('option', { value: String(d.id), text: names.dentist(d.id) })));
    this.day = el('input', { type: 'date', 'data-pick-day': true, 'aria-label': 'Day', value: addDays(clock.today(), 1) });
    this.slots = el('div', { class: 'slot-grid', 'data-pick-slots': true, 'aria-live': 'polite' });
    this.error = el('div', { class: 'banner banner-error', role: 'alert', hidden: true });
    this.none = el('div', { class: 'slot-none', 'data-pick-none': true, hidden: true });
    const form = el('form', { class: 'picker-form', onsubmit: (e) => { e.preventDefault(); this.search(); } },
      field('Treatment', this.treatment), field('Dentist', this.dentist), field('Day', this.day),
      el('button', { class: 'btn btn-primary', type: 'submit', 'data-pick-find': true, text: 'Find times' }));
    root.replaceChildren(el('div', { class: 'picker', 'aria-label': label }, form, this.error, this.slots, this.none));
  }

  choice() {
    return {
      treatment: this.treatment.value,
      dentist_id: this.dentist.value ? Number(this.dentist.value) : null,
      day: this.day.value,
    };
  }

  /** Fix the treatment (moving an appointment keeps what it is for). */
  lockTreatment(code) {
    this.treatment.value = code ?? this.treatment.value;
    this.treatment.disabled = code != null;
  }

  clear() {
    this.slots.replaceChildren();
    this.none.hidden = true;
  }

  async search() {
    const c = this.choice();
    showBanner(this.error, '');
    this.clear();
    if (!c.day) return;
    const query = new URLSearchParams({ treatment: c.treatment, from: c.day, to: c.day, limit: '48' });
    if (c.dentist_id) query.set('dentist_id', String(c.dentist_id));
    try {
      const found = await api(`/api/slots?${query}`);
      this.slots.replaceChildren(...found.map((s) => el('button', {
        type: 'button', class: 'btn btn-small slot',
        dataset: { start: s.starts_at, dentist: String(s.dentist_id) },
        text: `${this.clock.time(s.starts_at)} · ${this.names.dentist(s.dentist_id)}`,
        onclick: () => this.onPick(s, c),
      })));
      if (!found.length) this._nothing(c);
    } catch (err) {
      showBanner(this.error, err.message);
    }
  }

  _nothing(c) {
    this.none.hidden = false;
    this.none.replaceChildren(el('p', { class: 'muted', text: 'No free times that day.' }),
      this.onNone ? el('button', {
        type: 'button', class: 'btn', 'data-join-waitlist': true,
        text: 'Join the waitlist for this day', onclick: () => this.onNone(c),
      }) : null);
  }
}

function field(text, control) {
  return el('label', { class: 'field' }, el('span', { text }), control);
}
