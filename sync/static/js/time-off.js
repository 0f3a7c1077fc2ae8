// Time off on a schedule calendar: loaded per dentist, drawn hatched, removable by those who
// may (the dentist themself, admins), redrawn whenever an availability event arrives.

import { api } from './auth.js';
import { addDays } from './clock.js';

export class TimeOffLayer {
  constructor({ calendar, clock, dentistIds, onError }) {
    this.calendar = calendar;
    this.clock = clock;
    this.dentistIds = dentistIds;
    this.onError = onError;
  }

  async reload() {
    const today = this.clock.today();
    const range = `from=${addDays(today, -31)}&to=${addDays(today, 180)}`;
    try {
      const lists = await Promise.all(this.dentistIds.map((id) => api(`/api/dentists/${id}/time-off?${range}`)));
      this.calendar.setTimeOff(lists.flat(), (block) => this.remove(block));
      this.onError('');
    } catch (err) {
      this.onError(`Could not load time off: ${err.message}`);
    }
  }

  async remove(block) {
    try {
      await api(`/api/dentists/${block.dentist_id}/time-off/${block.id}`, { method: 'DELETE' });
      await this.reload();
    } catch (err) {
      this.onError(`Could not remove that time off: ${err.message}`);
    }
  }

  onEvent(event) {
    if (event.type === 'availability.updated' && this.dentistIds.includes(event.dentist_id)) this.reload();
  }
}
