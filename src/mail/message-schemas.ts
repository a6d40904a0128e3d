/**
 * The shapes of the local inbox's message files (inbox-store.ts), in Ravi's field names. A module of its own so that
 * valibot loads with the first message file read (`otp` on an empty inbox never loads it), and is imported
 * statically: the CLI program keeps only the parts of valibot its modules use (scripts/build-cli.mjs).
 */
import * as v from 'valibot';

export const safeParse = v.safeParse;

export const email = v.looseObject({
  id: v.string(), from_email: v.string(), to_email: v.string(), subject: v.string(),
  text_content: v.string(), html_content: v.string(), is_read: v.boolean(), created_dt: v.string(),
});

export const sms = v.looseObject({
  id: v.string(), from_number: v.string(), to_number: v.string(), body: v.string(), is_read: v.boolean(), created_dt: v.string(),
});
