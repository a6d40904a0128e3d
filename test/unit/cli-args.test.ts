import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../src/cli/args.js';

describe('parseCliArgs: dashboard --port', () => {
  it('takes a port from 0 to 65535, and none means "not given"', () => {
    expect(parseCliArgs(['dashboard', '--port', '0']).port).toBe(0);
    expect(parseCliArgs(['dashboard', '--port', '65535']).port).toBe(65_535);
    expect(parseCliArgs(['dashboard']).port).toBeNull();
  });

  it.each(['-1', '65536', '80.5', 'http', '', '0x50'])('refuses %j as a usage error that names the flag', (value) => {
    expect(() => parseCliArgs(['dashboard', `--port=${value}`])).toThrow(UsageError);
    expect(() => parseCliArgs(['dashboard', `--port=${value}`])).toThrow(/--port takes a port number/);
  });
});
