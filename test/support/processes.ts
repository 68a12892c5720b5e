import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Writes a raw config (JSON is YAML) to a temp file for worker processes. */
export function writeConfig(raw: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'klaxon-cfg-'));
  const file = path.join(dir, 'klaxon.yaml');
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return file;
}

/** Starts `klaxon worker` as a separate process, as an operator would. */
export function startWorker(configFile: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'worker', '--config', configFile],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  child.on('exit', (code, signal) => {
    if (code && code !== 0 && signal === null) process.stderr.write(`worker exited ${code}: ${err}\n`);
  });
  return child;
}

export async function stopWorker(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await exited;
}
