// The appointments a page shows: loaded from GET /api/appointments, then kept current by
// events. Whichever copy of a row is newer (updated_at) wins, so a replayed event never
// overwrites fresher REST data and vice versa.

const LIVE_STATUSES = new Set(['scheduled', 'confirmed', 'arrived', 'completed', 'no_show']);

export function isLive(appt) {
  return LIVE_STATUSES.has(appt.status);
}

export class AppointmentBook {
  constructor() {
    this.byId = new Map();
    this.gone = new Set();
  }

  load(rows) {
    for (const row of rows) this._put(row);
  }

  /** Apply an event; returns true when something visible changed. */
  apply(event) {
    const row = event.data;
    if (!row || row.id == null) return false;
    if (!event.type.startsWith('appointment.') && !event.type.startsWith('hold.')) return false;
    if (event.type === 'appointment.deleted' || event.type === 'hold.released') {
      this.gone.add(row.id);
      return this.byId.delete(row.id);
    }
    return this._put(row);
  }

  _put(row) {
    if (this.gone.has(row.id)) return false;
    const old = this.byId.get(row.id);
    if (old && old.updated_at && row.updated_at && Date.parse(old.updated_at) > Date.parse(row.updated_at)) {
      return false;
    }
    this.byId.set(row.id, row);
    return true;
  }

  sorted() {
    return [...this.byId.values()].sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
  }
}

/** Name lookups for ids in appointment rows. */
export function namesFrom(dentists, treatments) {
  const dentist = new Map(dentists.map((d) => [d.id, d]));
  const treatment = new Map(treatments.map((t) => [t.code, t.name]));
  return {
    dentist: (id) => {
      const d = dentist.get(id);
      if (!d) return `Dentist #${id}`;
      return d.display_name || `${d.title ?? 'Dr'} ${d.name}`;
    },
    dentistIndex: (id) => [...dentist.keys()].indexOf(id),
    treatment: (code) => treatment.get(code) ?? code ?? 'Appointment',
    patient: (appt) => appt.patient_name ?? `Patient #${appt.patient_id}`,
  };
}
