// "Calendar feed": the secret .ics URL a calendar app subscribes to (GET /api/calendar/link).
// Fetched on click only, so the URL is not on screen unless asked for.

import { api } from './auth.js';
import { part } from './dom.js';

export function setupCalendarFeed() {
  const button = part('feed-button');
  const field = part('feed-url');
  if (!button || !field) return;
  button.addEventListener('click', async () => {
    try {
      const { url } = await api('/api/calendar/link');
      field.value = url;
      field.hidden = false;
      field.select();
    } catch {
      field.value = 'The calendar link is not available right now.';
      field.hidden = false;
    }
  });
}
