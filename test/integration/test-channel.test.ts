import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../support/fakes/discord.js';
import { botBlocked, FakeTelegram } from '../support/fakes/telegram.js';
import { writeConfig } from '../support/processes.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TOKEN = '123456:TEST-channel-cli-token';

/** `klaxon test-channel NAME`, as an operator runs it after configuring a receiver. */
describe('klaxon test-channel', () => {
  const tg = new FakeTelegram();
  const discord = new FakeDiscord();
  let config = '';

  beforeAll(async () => {
    await Promise.all([tg.start(), discord.start()]);
    config = writeConfig({
      receivers: {
        desk: { type: 'telegram', token: TOKEN, chat_ids: [555, -100777], api_root: tg.apiRoot },
        team: { type: 'discord', webhook_url: discord.webhookUrl(), api_root: discord.apiRoot },
      },
      routes: { receivers: ['desk'] },
    });
  });
  afterAll(() => Promise.all([tg.close(), discord.close()]));

  const run = async (name: string): Promise<{ code: number; out: string; err: string }> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'test-channel', name, '--config', config],
        { cwd: ROOT },
      );
      return { code: 0, out: stdout, err: stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };

  it('checks the bot, sends a test message to every chat and prints what Telegram answered', async () => {
    const r = await run('desk');
    expect(r.code).toBe(0);
    expect(r.out).toContain('desk: bot @klaxon_test_bot');
    expect(r.out).toMatch(/sent a test notification to desk \(555\)/);
    expect(r.out).toMatch(/sent a test notification to desk \(-100777\)/);
    expect(tg.messages.map((m) => m.chat).sort()).toEqual(['-100777', '555']);
    expect(tg.messages[0]?.text).toMatch(/^.*TEST test notification to desk/);
    expect(r.out + r.err).not.toContain('TEST-channel-cli-token');
  });

  it('checks the webhook and sends a test embed to Discord', async () => {
    const r = await run('team');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/team: webhook ".*" in channel \d+/);
    expect(discord.requestsTo('execute')).toHaveLength(1);
  });

  it('says why when the service refuses, without the token, and exits 1', async () => {
    tg.script(botBlocked(), { method: 'sendMessage', times: 2 });
    const r = await run('desk');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bot was blocked by the user/);
    expect(r.out + r.err).not.toContain('TEST-channel-cli-token');
  });

  it('names the configured receivers when the name is wrong', async () => {
    const r = await run('nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain('configured: desk, team');
  });
});
