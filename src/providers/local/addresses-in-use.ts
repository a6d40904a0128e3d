/**
 * The addresses and numbers the local identities hold, kept beside the open store they were read from, so that a
 * create costs a lookup and not a pass over every identity (two passes per create made a cold pass quadratic:
 * ~40 ms at 500 worktrees, ~16x that at 2000). Deleted identities still resting are passed in on each call; after a
 * delete the provider reads them afresh.
 */
import type { Identity } from '../types.js';
import { fictionalNumber } from './phone-numbers.js';

export const LOCAL_EMAIL_DOMAIN = 'agents.localhost';

export interface Resting {
  readonly email: string;
  readonly phone: string | null;
}

export class AddressesInUse {
  readonly #emails = new Set<string>();
  readonly #phones = new Set<string>();
  /** Every number below this index is taken by a live identity. */
  #phoneFrom = 0;

  constructor(identities: Iterable<Identity>) {
    for (const identity of identities) this.add(identity);
  }

  add(identity: Identity): void {
    this.#emails.add(identity.email);
    if (identity.phone !== null) this.#phones.add(identity.phone);
  }

  /** `<name>@agents.localhost`, with a numeric suffix when the address is taken (or resting after a delete). */
  email(name: string, resting: readonly Resting[]): string {
    const restingEmails = new Set(resting.map((r) => r.email));
    for (let n = 1; ; n += 1) {
      const email = `${n === 1 ? name : `${name}.${n}`}@${LOCAL_EMAIL_DOMAIN}`;
      if (!this.#emails.has(email) && !restingEmails.has(email)) return email;
    }
  }

  /** The first fictional number no identity holds or rests with. */
  phone(resting: readonly Resting[]): string {
    const restingPhones = new Set(resting.map((r) => r.phone));
    for (let index = this.#phoneFrom; ; index += 1) {
      const phone = fictionalNumber(index);
      if (this.#phones.has(phone)) {
        if (index === this.#phoneFrom) this.#phoneFrom += 1;
        continue;
      }
      if (!restingPhones.has(phone)) return phone;
    }
  }
}
