/**
 * DescriptorOutput (src/cli/descriptor-output.ts) against real FIFOs: a non-blocking pipe that fills up hands the
 * rest to the fallback stream with nothing lost or reordered, and a reader that is gone is reported as a stream
 * would report it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DescriptorOutput } from '../../src/cli/descriptor-output.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

async function fifo(): Promise<string> {
  const path = join(await createTempDir('ravi-fifo-'), 'pipe');
  execFileSync('mkfifo', [path]);
  return path;
}

describe('DescriptorOutput', () => {
  it('writes a pipe that fills up (EAGAIN) whole and in order, the rest through the fallback stream', async () => {
    const path = await fifo();
    const ownReader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // lets the writer open without a reader
    const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const exited = new Promise((resolve) => reader.on('close', resolve));
    let fallback: Socket | null = null;
    const output = new DescriptorOutput(fd, () => (fallback = new Socket({ fd, readable: false, writable: true })));
    // Far more than a pipe holds (64 KiB on Linux): the first write(2) fills it and the next meets EAGAIN.
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}\n`);
    for (const line of lines.slice(0, 20_000)) output.write(line);
    output.write(lines.slice(20_000).join(''));
    expect(fallback).not.toBeNull(); // the pipe did fill up: the rest went through the stream
    await new Promise<void>((resolve) => (fallback as Socket).end(resolve));
    closeSync(ownReader);
    await exited;
    expect(Buffer.concat(chunks).toString('utf8')).toBe(lines.join(''));
  });

  it('reports a reader that is gone (EPIPE) to its error listeners, and throws it with none', async () => {
    const path = await fifo();
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(reader);
    const unheard = new DescriptorOutput(fd, () => {
      throw new Error('no fallback for EPIPE');
    });
    expect(() => unheard.write('lost\n')).toThrow(expect.objectContaining({ code: 'EPIPE' }));
    const codes: string[] = [];
    const heard = new DescriptorOutput(fd, () => {
      throw new Error('no fallback for EPIPE');
    }).on('error', (error) => codes.push(String(error.code)));
    expect(heard.write('lost\n')).toBe(false);
    expect(codes).toEqual(['EPIPE']);
    closeSync(fd);
  });
});
