/** `klaxon silence add|list|expire`: silences of a running Klaxon, with amtool's matcher syntax. */
import os from 'node:os';
import type { Silence, SilenceMatcher } from '../ingest/alert-api.js';
import { tryParseDuration } from '../model/duration.js';
import { parseIsoTime } from '../model/inputs.js';
import { regexProblem } from '../routing/matchers.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, KlaxonClient } from './client.js';
import { CliError, UsageError, parseFlags, type Command } from './command.js';
import { printable, silencesTable } from './format.js';

const MATCHER_NAME = '[A-Za-z_][A-Za-z0-9_.-]*';
const MATCHER_RE = new RegExp(`^(${MATCHER_NAME})(=~|!~|!=|=)(.*)$`, 's');
const BARE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
const ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * One matcher as amtool writes it: `name=value`, `name!=value`, `name=~regex`, `name!~regex`; the
 * value may be double-quoted (`name="a b"`, JSON escapes). A bare word, as the first matcher, is
 * the alert's name (`klaxon silence add api_latency source=grid-1`). Regexes are RE2, anchored.
 */
export function parseMatcher(text: string, first: boolean): SilenceMatcher {
  const m = MATCHER_RE.exec(text);
  if (!m) {
    if (first && BARE_NAME_RE.test(text)) return { name: 'alertname', op: '=', value: text };
    throw new UsageError(
      `${JSON.stringify(text)} is not a matcher: write name=value, name!=value, name=~regex or name!~regex`,
    );
  }
  const [, name = '', op = '=', raw = ''] = m;
  let value = raw;
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    try {
      value = JSON.parse(raw) as string;
    } catch {
      throw new UsageError(`${JSON.stringify(text)}: the quoted value is not a valid string`);
    }
  }
  if (op === '=~' || op === '!~') {
    const problem = regexProblem(value);
    if (problem) throw new UsageError(`${JSON.stringify(text)}: the value ${problem}`);
  }
  return { name, op: op as SilenceMatcher['op'], value };
}

const add: Command = {
  name: 'silence add',
  summary: 'silence the alerts that match, until an end time',
  help: `usage: klaxon silence add MATCHER... (--duration DURATION | --ends TIME) --comment TEXT
                          [--starts TIME] [--by NAME] [--url URL] [--token TOKEN]

Creates a silence on a running Klaxon and prints its id. While it holds, alerts whose labels match
every MATCHER notify nobody; those still firing when it ends are told then. A MATCHER is
  name=value      the label equals value (alertname is the alert's name; severity works too)
  name!=value     it does not
  name=~regex     it matches the regex (RE2 syntax, anchored: grid-.* matches grid-1)
  name!~regex     it does not
Quote a value with spaces for the shell and give it in double quotes: 'title="disk full"'. A bare
word as the first MATCHER is the alert's name: klaxon silence add api_latency source=grid-1.

options:
  --duration DURATION         how long it holds: 2h, 30m, 1d
  --ends TIME                 or until when: ISO 8601 (2026-11-21T18:00:00Z)
  --starts TIME               when it starts (default: now)
  --comment TEXT              why (required)
  --by NAME                   who (default: your user name on this machine)
${CONNECTION_HELP}
`,
  async run(args) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...CONNECTION_OPTIONS,
        duration: { type: 'string' },
        ends: { type: 'string' },
        starts: { type: 'string' },
        comment: { type: 'string' },
        by: { type: 'string' },
      },
      true,
    );
    if (positionals.length === 0) throw new UsageError('give at least one matcher, e.g. source=grid-1');
    const matchers = positionals.map((p, i) => parseMatcher(p, i === 0));
    const body: Record<string, unknown> = { matchers };
    if (values.duration !== undefined && values.ends !== undefined)
      throw new UsageError('give --duration or --ends, not both');
    if (values.duration !== undefined) {
      const ms = tryParseDuration(values.duration);
      if (ms === undefined || ms <= 0)
        throw new UsageError(
          `--duration takes a duration such as 2h or 30m, not ${JSON.stringify(values.duration)}`,
        );
      body.duration = values.duration;
    } else if (values.ends !== undefined) {
      if (parseIsoTime(values.ends) === undefined)
        throw new UsageError(
          `--ends takes an ISO 8601 time such as 2026-11-21T18:00:00Z, not ${JSON.stringify(values.ends)}`,
        );
      body.endsAt = values.ends;
    } else throw new UsageError('give --duration (2h) or --ends (an ISO 8601 time)');
    if (values.starts !== undefined) {
      if (parseIsoTime(values.starts) === undefined)
        throw new UsageError(`--starts takes an ISO 8601 time, not ${JSON.stringify(values.starts)}`);
      body.startsAt = values.starts;
    }
    if (values.comment === undefined || values.comment.trim() === '')
      throw new UsageError('give --comment: why the silence (the others will ask)');
    body.comment = values.comment;
    body.createdBy = values.by ?? safeUser();
    const client = KlaxonClient.from(values);
    const res = await client.post<{ id: string }>('/v1/silences', body);
    process.stdout.write(`${printable(res.id)}\n`);
    return 0;
  },
};

const list: Command = {
  name: 'silence list',
  summary: 'the silences not yet expired, active and scheduled',
  help: `usage: klaxon silence list [--json] [--url URL] [--token TOKEN]

Lists the silences of a running Klaxon that have not expired yet, active and scheduled: id,
matchers, whether it holds now, when it ends, who made it and why.

options:
  --json                      print them as a JSON array, as the API gives them
${CONNECTION_HELP}
`,
  async run(args) {
    const { values } = parseFlags(args, { ...CONNECTION_OPTIONS, json: { type: 'boolean' } });
    const client = KlaxonClient.from(values);
    const { silences } = await client.get<{ silences: Silence[] }>('/v1/silences');
    process.stdout.write(
      values.json ? JSON.stringify(silences, null, 2) + '\n' : silencesTable(silences, Date.now()),
    );
    return 0;
  },
};

const expire: Command = {
  name: 'silence expire',
  summary: 'end silences now',
  help: `usage: klaxon silence expire ID... [--url URL] [--token TOKEN]

Ends each silence now (ids from \`klaxon silence list\`). Alerts it held that still fire are told.
Exits 1 when any id was not found, after trying every one.

options:
${CONNECTION_HELP}
`,
  async run(args) {
    const { values, positionals } = parseFlags(args, { ...CONNECTION_OPTIONS }, true);
    if (positionals.length === 0)
      throw new UsageError('give the id of a silence (klaxon silence list shows them)');
    for (const id of positionals)
      if (!ID_RE.test(id)) throw new UsageError(`${JSON.stringify(id)} is not a silence id`);
    const client = KlaxonClient.from(values);
    const failed: string[] = [];
    for (const id of positionals) {
      try {
        await client.delete(`/v1/silences/${encodeURIComponent(id)}`);
        process.stdout.write(`expired ${id}\n`);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        failed.push(`${id}: ${err.message}`);
      }
    }
    if (failed.length > 0) throw new CliError(failed.join('; '));
    return 0;
  },
};

export const silenceCommand: Command = {
  name: 'silence',
  summary: "add, list and expire silences (amtool's matchers)",
  help: `usage: klaxon silence add|list|expire ...

Silences of a running Klaxon, in the spirit of amtool:
  klaxon silence add MATCHER... --duration 2h --comment TEXT    silence matching alerts
  klaxon silence list                                             the silences not yet expired
  klaxon silence expire ID...                                     end silences now

Run \`klaxon silence COMMAND --help\` for the options of each.
`,
  subcommands: { add, list, expire },
  // Reached only without a known command: \`klaxon silence add ...\` runs add itself.
  async run(args) {
    const sub = args.find((a) => !a.startsWith('-'));
    process.stderr.write(
      `klaxon silence: ${sub === undefined ? 'give a command' : `unknown command ${sub}`}\n${this.help}`,
    );
    return 2;
  },
};

/** The user running the command (a silence's default author), or `klaxon-cli`. */
function safeUser(): string {
  try {
    return os.userInfo().username || 'klaxon-cli';
  } catch {
    return 'klaxon-cli';
  }
}
