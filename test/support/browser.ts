import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium for looking at what Klaxon shows a person: Debian's `/usr/bin/chromium` (or
 * $CHROMIUM), driven by playwright-core, which downloads no browser of its own. The flags keep
 * it off the network: no background requests, updates or sync (this machine has no internet).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
