// Helpers of the session tests (both browsers).

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** What a live countdown shows: "42 min", "1 h 5 min", "3:05". */
export const COUNTDOWN = /^(\d+ h( \d+ min)?|\d+ min|\d:\d\d)$/;

/** How many `open_console` replies the host sent (its recorded frames, one JSON per line). */
export function openConsoleReplies(home) {
  const file = join(home, 'frames.jsonl');
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).filter((line) => {
    try {
      return JSON.parse(line).ok?.type === 'open_console';
    } catch {
      return false;
    }
  }).length;
}

/** The sign-outs the stub's sign-in host saw, each with the ARN of the session it ended. */
export async function stubLogouts(aws) {
  const { requests } = await (await fetch(`http://127.0.0.1:${aws.port}/_stub/requests`)).json();
  return requests.filter((r) => r.action === 'logout');
}
