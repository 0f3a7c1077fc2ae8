// The front desk: find a patient by name, book for them from the free times, or move an
// appointment picked on the calendar (the same slot picker the patient page uses).

import { api } from './auth.js';
import { el, part, showBanner } from './dom.js';
import { SlotPicker } from './slot-picker.js';

const SEARCH_DELAY_MS = 200;

export function setupFrontDesk({ clock, names, dentists, treatments }) {
  const search = part('desk-search');
  const found = part('desk-patients');
  const mode = part('desk-mode');
  const message = part('desk-message');
  const error = part('desk-error');
  let patient = null;
  let moving = null;
  let timer = null;

  const say = (text) => { message.textContent = text; message.hidden = !text; };
  const showMode = () => {
    const stop = el('button', { type: 'button', class: 'btn btn-small btn-quiet', text: 'Stop moving', onclick: () => setMoving(null) });
    if (moving) {
      mode.replaceChildren(`Moving ${names.patient(moving)}'s ${names.treatment(moving.treatment)} from ${clock.dateTime(moving.starts_at)}: pick a new time. `, stop);
    } else {
      mode.textContent = patient ? `Booking for ${patient.name}` : 'Find a patient to book for.';
    }
  };
  const setMoving = (appt) => {
    moving = appt;
    picker.lockTreatment(appt ? appt.treatment : null);
    picker.clear();
    showMode();
  };

  const choose = (p) => {
    patient = p;
    found.replaceChildren();
    search.value = p.name;
    setMoving(null);
  };

  const lookUp = async () => {
    try {
      const people = await api(`/api/patients?q=${encodeURIComponent(search.value.trim())}`);
      found.replaceChildren(...people.map((p) => el('li', {}, el('button', {
        type: 'button', class: 'btn btn-small', dataset: { patientId: String(p.id) },
        text: p.phone ? `${p.name} · ${p.phone}` : p.name, onclick: () => choose(p),
      }))));
      showBanner(error, '');
    } catch (err) {
      showBanner(error, err.message);
    }
  };
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(lookUp, SEARCH_DELAY_MS); });

  const picker = new SlotPicker(part('desk-picker'), {
    clock, names, dentists, treatments, label: 'Front desk times',
    onPick: async (slot, choice) => {
      showBanner(error, '');
      try {
        if (moving) {
          const moved = await api(`/api/appointments/${moving.id}/reschedule`, {
            method: 'POST', body: { starts_at: slot.starts_at, dentist_id: slot.dentist_id },
          });
          say(`Moved ${names.patient(moved)} to ${clock.dateTime(moved.starts_at)} with ${names.dentist(moved.dentist_id)}.`);
          setMoving(null);
        } else if (patient) {
          const booked = await api('/api/appointments', {
            method: 'POST',
            body: { dentist_id: slot.dentist_id, treatment: choice.treatment, starts_at: slot.starts_at, patient_id: patient.id },
          });
          say(`Booked ${names.treatment(booked.treatment)} for ${patient.name} on ${clock.dateTime(booked.starts_at)} with ${names.dentist(booked.dentist_id)}.`);
          picker.search();
        } else {
          showBanner(error, 'Choose a patient first.');
        }
      } catch (err) {
        showBanner(error, err.message);
        picker.search();
      }
    },
  });
  showMode();

  return {
    move(appt) {
      setMoving(appt);
      part('desk-card').scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  };
}
