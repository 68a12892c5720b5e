/**
 * A bot in its own process (run by exit.test.ts): pushes through the client, then either closes
 * it (`close`) or simply ends (`end`). Either way the process must exit by itself, having sent
 * what it queued. Prints the client's counters.
 */
import { KlaxonClient } from '../../src/client/index.js';

const [url = '', token = '', source = '', mode = 'close'] = process.argv.slice(2);
const client = new KlaxonClient({
  url,
  token,
  source,
  heartbeatEveryMs: mode === 'close' ? 100 : 60_000,
  onError: (e) => console.error(`onError: ${e.message}`),
});
client.metrics({ equity: 1000 });
client.alert({ name: 'child_alert', severity: 'warning', title: `from ${mode}` });
process.on('exit', () => console.log(JSON.stringify(client.stats())));
if (mode === 'close') {
  await new Promise((r) => setTimeout(r, 450));
  await client.close();
}
