/**
 * The local provider's daemon listens for mail from its start but loads the SMTP server (smtp-server, with
 * nodemailer's shared code and node:tls) and the mail parser (mailparser and the packages it brings: iconv-lite,
 * libmime, htmlparser2, he, ...) only when a client connects: a daemon whose inboxes get no mail holds neither.
 * Checked with a probe that lists the packages the built daemon loaded; the control is the same daemon after one
 * message, which must then have parsed and stored it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../support/cli.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor, type DaemonProcess } from '../support/daemon-process.js';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { packagesLoaded, writePackageProbe } from '../support/package-probe.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

interface Status { state: string; pid: number; mail: { smtp: string } | null }

/** Running with its mail servers, and the worktree's .env written: the daemon is past its start-up pass. */
async function ready(daemon: DaemonProcess, home: string, worktree: string): Promise<{ smtpPort: number; email: string }> {
  return waitFor(async () => {
    const status = await readJsonFile<Status>(join(home, 'state', 'daemon-status.json'));
    const email = parse(await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).AGENT_EMAIL;
    if (status?.pid !== daemon.pid || status.state !== 'running' || status.mail === null || email === undefined) return null;
    return { smtpPort: Number(status.mail.smtp.split(':').at(-1)), email };
  }, 'the daemon, its mail servers and the worktree .env');
}

describe('the local daemon, its SMTP server and the mail parser', () => {
  it('are not loaded until a client connects; the first message is parsed and stored', async () => {
    const repo = await createRepo({ name: 'lazy-parser' });
    const worktree = await repo.addWorktree('signup');
    const home = await createTempDir('ravi-lazy-parser-');
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ mail: { smtpPort: 0, smsPort: 0 } }));
    const env = { NODE_OPTIONS: await writePackageProbe(home) };

    const idle = startDaemonProcess({ cwd: repo.path, home, env });
    await ready(idle, home, worktree);
    expect(await idle.stop()).toBe(0);
    const idleLoaded = packagesLoaded(idle.output());
    expect(idleLoaded).toContain('pino'); // the probe saw the daemon's packages
    expect(idleLoaded).not.toContain('smtp-server'); // though listening for mail (ready() read its port)
    expect(idleLoaded).not.toContain('mailparser');

    const mailed = startDaemonProcess({ cwd: repo.path, home, env });
    const { smtpPort, email } = await ready(mailed, home, worktree);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    try {
      await transport.sendMail({ from: 'Acme <no-reply@acme.test>', to: email, subject: 'Your code', text: 'Your Acme code is 271828.' });
    } finally {
      transport.close();
    }
    const otp = await runBuiltCli(['otp'], { cwd: worktree, home });
    expect(otp.stdout.trim()).toBe('271828');
    expect(await mailed.stop()).toBe(0);
    const mailedLoaded = packagesLoaded(mailed.output());
    expect(mailedLoaded).toContain('smtp-server');
    expect(mailedLoaded).toContain('mailparser');
  });
});
