/**
 * The configuration as users write it (`RawConfig`, everything optional) and as the engine uses it
 * (`Config`, every default applied by `normalizeConfig`; nothing below src/config applies defaults).
 */

export type RawProviderConfig =
  | { kind: 'local' }
  | { kind: 'ravi'; apiUrl?: string; credentialsFile?: string; provisionPhone?: boolean };

export interface RawConfig {
  /** Repositories to manage (paths, `~` expanded). @default the repo the command runs in */
  repos?: string[];
  /** @default { kind: 'local' } */
  provider?: RawProviderConfig;
  identity?: {
    /** Name template over {repo} {worktree} {branch}. @default 'ws-{repo}-{worktree}' */
    name?: string;
  };
  env?: {
    /** Env file path relative to each worktree. @default '.env' */
    file?: string;
    /** Variable -> template over {email} {phone} {identity} {worktree} {branch} {repo}. */
    vars?: Record<string, string>;
    /** Keys copied from the vault identity's secrets. @default [] */
    secrets?: string[];
    /**
     * Write secrets into the env file. false keeps them off disk: `ravi-orchestrator exec -- CMD`
     * passes them to CMD's environment instead. @default true
     */
    writeSecrets?: boolean;
  };
  secrets?: {
    /** The identity (name or uuid) whose secrets are the team's shared ones. */
    vault?: string;
  };
  orphans?: {
    /** How long a lease outlives its worktree: '10m', '1h', milliseconds, or 0. @default '10m' */
    grace?: string | number;
  };
  /** Identities are leased from a pool and returned to it, never churned (DESIGN.md). */
  pool?: {
    /** How long a returned identity rests before another worktree may lease it: '30m', ms, or 0. @default '30m' */
    quarantine?: string | number;
    /**
     * Idle identities kept; beyond this, idle ones are deleted where the provider can delete.
     * @default every one on Ravi (identities are permanent and cost money), 3 on the local provider
     */
    keepIdle?: number;
  };
  /**
   * A block of consecutive ports per worktree, for its dev servers (`{port}`, `{port:1}`, ... in env.vars).
   * The state dir owns the whole range: repos share it without collisions.
   */
  ports?: {
    /** Ports in each worktree's block. */
    perWorktree: number;
    /** The range blocks are taken from, inclusive: '20000-29999'. */
    range: string;
  };
  /** Globs over worktree paths or branch names; a worktree is managed if it matches any (default: all). */
  include?: string[];
  /** Globs over worktree paths or branch names; a matching worktree is not managed. */
  exclude?: string[];
  /** The local provider's mail and SMS servers (loopback only), run by the daemon and `mail serve`. */
  mail?: {
    /** Run them with the daemon when the provider is local. @default true */
    enabled?: boolean;
    /** SMTP port on 127.0.0.1 (Mailpit's 1025 is another common choice). @default 2525 */
    smtpPort?: number;
    /** HTTP port of the SMS endpoint (`POST /sms`). @default 2526 */
    smsPort?: number;
    /** Largest accepted message. @default 10485760 (10 MiB) */
    maxMessageBytes?: number;
    /** Messages older than this are pruned ('7d', ms). @default '7d' */
    maxAge?: string | number;
    /** Messages kept per identity and kind. @default 500 */
    maxMessages?: number;
  };
  /** The daemon's web page of the fleet, on 127.0.0.1 with an access token (`ravi-orchestrator status` prints the link). */
  dashboard?: {
    /** Serve it from the daemon. @default false */
    enabled?: boolean;
    /** Port on 127.0.0.1 (0 = any free port). @default 2527 */
    port?: number;
  };
  /** Provider calls in flight at once. @default 4 */
  concurrency?: number;
  /** Where the ledger, lock and local provider live. @default per platform */
  stateDir?: string;
}

export type ProviderConfig =
  | { readonly kind: 'local' }
  | {
      readonly kind: 'ravi';
      readonly apiUrl: string;
      readonly credentialsFile: string;
      readonly provisionPhone: boolean;
    };

export interface Config {
  /** Absolute repo paths. */
  readonly repos: readonly string[];
  readonly provider: ProviderConfig;
  readonly identity: { readonly name: string };
  readonly env: {
    readonly file: string;
    readonly vars: Readonly<Record<string, string>>;
    readonly secrets: readonly string[];
    readonly writeSecrets: boolean;
  };
  readonly secrets: { readonly vault: string | null };
  readonly orphans: { readonly graceMs: number };
  /** `keepIdle` is Infinity when every idle identity is kept. */
  readonly pool: { readonly quarantineMs: number; readonly keepIdle: number };
  /** Null when no port blocks are handed out. */
  readonly ports: { readonly perWorktree: number; readonly first: number; readonly last: number } | null;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly mail: {
    readonly enabled: boolean;
    readonly smtpPort: number;
    readonly smsPort: number;
    readonly maxMessageBytes: number;
    readonly maxAgeMs: number;
    readonly maxMessages: number;
  };
  readonly dashboard: { readonly enabled: boolean; readonly port: number };
  readonly concurrency: number;
  /** Absolute path. */
  readonly stateDir: string;
  /** The file the config was loaded from, or null when defaults were used. */
  readonly source: string | null;
}

export const DEFAULT_API_URL = 'https://ravi.id';
export const DEFAULT_IDENTITY_NAME = 'ws-{repo}-{worktree}';
export const DEFAULT_ENV_VARS: Readonly<Record<string, string>> = {
  AGENT_EMAIL: '{email}',
  AGENT_PHONE: '{phone}',
};
