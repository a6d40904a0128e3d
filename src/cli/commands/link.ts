/** `link`: the newest verification link in this worktree's inbox (email and SMS). */
import { defineCommand } from '../command.js';
import { valueFlag, invalidValue } from '../flags.js';
import type { Extractor } from '../../agent/find-message.js';
import { FLAGS, runVerification } from '../verification.js';

export default defineCommand({
  summary: 'the newest verification link in this worktree\'s inbox (--match RE picks among links)',
  description:
    'The newest verification link in this worktree\'s own inbox, email and SMS: verify/confirm/magic/sign-in links first, ' +
    'HTML entities decoded, tracking redirects unwrapped when their target is in the URL. With --wait, waits for one ' +
    'that was not in the inbox when the call began. Exit 3 when there is none (or --wait timed out).',
  flags: {
    ...FLAGS,
    match: valueFlag({
      valueName: 'RE',
      help: 'only links matching this regular expression (case-insensitive)',
      convert: (text, name) => {
        try {
          return new RegExp(text, 'i');
        } catch (error) {
          throw invalidValue(name, `a valid regular expression (${(error as Error).message})`, text);
        }
      },
    }),
  },
  examples: ['link --wait 2m --match verify'],
  async run(input) {
    const { match } = input.flags;
    const extract = () => import('../../agent/extract-link.js').then(({ extractLink }): Extractor => (message) => extractLink(message, match === null ? {} : { match }));
    return runVerification(input, {
      what: 'link',
      extract,
      narrowedBy: match === null ? null : `matching ${match}`,
    });
  },
});
