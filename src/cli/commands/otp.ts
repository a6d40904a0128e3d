/** `otp`: the newest verification code in this worktree's inbox (email and SMS); stdout is just the code. */
import { defineCommand } from '../command.js';
import { FLAGS, runVerification } from '../verification.js';

export default defineCommand({
  summary: 'the newest verification code in this worktree\'s inbox; stdout is just the code',
  description:
    'The newest verification code (4-8 digits next to words like code, OTP, verification) in this worktree\'s own inbox, ' +
    'email and SMS. With --wait, waits for one that was not in the inbox when the call began. Exit 3 when there is ' +
    'none (or --wait timed out); the message on stderr says what the inbox holds and which call would take it.',
  flags: FLAGS,
  examples: ['otp --wait 120s', 'otp --mark-read', 'otp --json'],
  async run(input) {
    const extract = () => import('../../agent/extract-code.js').then(({ extractCode }) => extractCode);
    return runVerification(input, { what: 'code', extract, narrowedBy: null });
  },
});
