/**
 * A fresh fake Ravi server for each test of a file: started before the test, closed after it. Apart from
 * fake-ravi-server.ts, which the benchmark also runs in a process of its own, where vitest is not loaded.
 */
import { afterEach, beforeEach } from 'vitest';
import { startFakeRaviServer, type FakeRaviServer, type FakeRaviServerOptions } from './fake-ravi-server.js';

/** `use` receives each test's server (assign it to the file's `let server`); `options` start each one. */
export function fakeRaviPerTest(use: (server: FakeRaviServer) => void, options: FakeRaviServerOptions = {}): void {
  let current: FakeRaviServer | undefined;
  beforeEach(async () => {
    current = await startFakeRaviServer(options);
    use(current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}
