import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests spawn git and node; give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Leaves no Node compile cache behind in the temp folder (the bin turns it on for the CLI's users).
    globalSetup: ['test/support/global-setup.ts'],
  },
});
