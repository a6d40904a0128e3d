/**
 * The verification / confirmation / magic link of a message. Links come from <a href> and from bare
 * URLs in the text; tracking redirects are unwrapped when the target is in the URL; a score prefers
 * links whose URL or words say verify, confirm, sign in, reset, and sinks unsubscribe, legal, help,
 * social and image links. Without `match`, a link needs MIN_SCORE to be returned.
 */
import { Buffer } from 'node:buffer';
import type { MessageText } from './extract-code.js';
import { decodeEntities, htmlToText, stripNonContent } from './html-text.js';

export interface LinkOptions {
  /** Only links whose (unwrapped or original) URL matches. The best of those is returned, sign or not. */
  readonly match?: RegExp;
}

/** The verification/confirmation/magic link of a message, or null. With `match`, only links matching it. */
export function extractLink(message: MessageText, options: LinkOptions = {}): string | null {
  // A /g or /y regex keeps lastIndex between test() calls; a fresh copy without them does not.
  const match = options.match ? new RegExp(options.match.source, options.match.flags.replace(/[gy]/g, '')) : null;
  let best: { url: string; score: number } | null = null;
  for (const link of collectLinks(message)) {
    const url = unwrapRedirect(link.href);
    if (match && !match.test(url) && !match.test(link.href)) continue;
    const score = scoreLink(url, link);
    if (best === null || score > best.score) best = { url, score };
  }
  return best !== null && (match !== null || best.score >= MIN_SCORE) ? best.url : null;
}

/** Every http(s) link of a message, once each, in document order, with its words (for the dashboard's message view). */
export function listLinks(message: MessageText): Array<{ readonly url: string; readonly label: string }> {
  const links = new Map<string, string>();
  for (const link of collectLinks(message)) if (!links.has(link.href)) links.set(link.href, link.label.replace(/\s+/g, ' ').trim());
  return [...links].map(([url, label]) => ({ url, label }));
}

/** A keyword in the URL, or one in the link's words plus a token in the URL ("Log in" → /account is not enough). */
const MIN_SCORE = 4;

interface FoundLink {
  readonly href: string;
  /** The link's own words: anchor text, image alt, title; for a bare URL the words before it on its line, or the line above. */
  readonly label: string;
  /** The line the link sits on and the line above. */
  readonly context: string;
  readonly imageOnly: boolean;
}

const POSITIVE_URL = /(?:^|[^a-z0-9])(?:verif|confirm|activat|magic|log-?in|sign-?in|reset|auth|token|callback|validat|otp|passwordless)/i;
const POSITIVE_WORDS = /\b(?:verif\w*|confirm\w*|activat\w*|magic link|log ?in|sign[- ]?in|reset\w*|authenticat\w*|validat\w*)\b/i;
const NEGATIVE_URL = /(?:^|[^a-z0-9])(?:unsubscribe|optout|opt-out|opt_out|privacy|terms|legal|help|support|faq|docs|articles|contact|preferences|webview|careers|blog|logo|social)|\.(?:png|jpe?g|gif|svg|webp|ico)(?:[?#]|$)/i;
const NEGATIVE_WORDS = /\b(?:unsubscribe|opt[- ]out|privacy|terms|legal|help|support|faq|contact us|preferences|manage (?:email|notification)s?|view (?:it )?(?:in|on) (?:your |a )?browser|view online|web version|logo|careers|blog|follow us|twitter|facebook|linkedin|instagram|youtube|tiktok|discord)\b/i;
const SOCIAL_HOST = /^(?:www\.|m\.)?(?:(?:twitter|facebook|fb|linkedin|instagram|youtube|tiktok|discord|mastodon|threads)\.[a-z]+|x\.com)$/i;
const GENERIC_LABEL = /^\s*(?:(?:click|tap|press|follow|open)\s+)?(?:here|this link|the link|this button|the button|link|button|this|it)?[\s.!:>→»]*$/i;
// "If you didn't request this…" sits next to the links you should not follow.
const DENIAL = /\b(?:didn[’']?t|did not|wasn[’']?t|was not|not you)\b/i;

function scoreLink(url: string, link: FoundLink): number {
  const parsed = parseHttpUrl(url);
  if (parsed === null) return -Infinity;
  const rest = `${parsed.pathname}${parsed.search}${parsed.hash}`;
  let score = 0;
  if (POSITIVE_URL.test(rest)) score += 4;
  // "Please <a>click here</a> to verify": a generic label borrows the sentence around it.
  const label = GENERIC_LABEL.test(link.label) ? link.context : link.label;
  if (POSITIVE_WORDS.test(label)) score += 3;
  else if (POSITIVE_WORDS.test(link.context)) score += 1;
  if (hasToken(rest)) score += 1; // magic links carry one; "Log in" to a dashboard does not
  if (NEGATIVE_URL.test(`${parsed.host}${rest}`) || SOCIAL_HOST.test(parsed.host)) score -= 8;
  if (NEGATIVE_WORDS.test(link.label)) score -= 8;
  if (DENIAL.test(link.context)) score -= 4;
  if (link.imageOnly) score -= 2;
  return score;
}

function hasToken(rest: string): boolean {
  return (rest.match(/[\w~-]{16,}/g) ?? []).some((part) => /\d/.test(part) && /[a-z]/i.test(part));
}

const ANCHOR = /<a\b((?:[^>"']|"[^"]*"|'[^']*')*)>([\s\S]*?)<\/a\s*>/gi;
const BARE_URL = /https?:\/\/[^\s<>"`\uE000\uE001]+/gi;
const mark = (index: number): string => `\uE000${index}\uE001`;

/** Links in document order: the HTML part's anchors and visible URLs, then the text part's URLs. */
function collectLinks(message: MessageText): FoundLink[] {
  const links: FoundLink[] = [];
  if (message.html) {
    const anchors: Array<{ href: string | null; label: string; imageOnly: boolean }> = [];
    // Each anchor leaves a marker in the text, so its line and the line above become its context.
    const marked = stripNonContent(message.html).replace(ANCHOR, (_whole, attrs: string, inner: string) => {
      const words = htmlToText(inner);
      const extra = [...`${attrs} ${inner}`.matchAll(/\b(?:alt|title|aria-label)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)];
      const label = [words, ...extra.map((m) => decodeEntities(m[1] ?? m[2] ?? ''))].join(' ');
      anchors.push({ href: attribute(attrs, 'href'), label, imageOnly: words === '' && /<img\b/i.test(inner) });
      return ` ${inner} ${mark(anchors.length - 1)} `;
    });
    const text = htmlToText(marked);
    anchors.forEach((anchor, index) => {
      const at = text.indexOf(mark(index));
      const context = at < 0 ? '' : contextAt(text, at).replace(/\uE000\d+\uE001/g, ' ');
      if (anchor.href !== null) links.push({ href: anchor.href, label: anchor.label, context, imageOnly: anchor.imageOnly });
    });
    links.push(...bareUrls(text.replace(/\uE000\d+\uE001/g, ' ')));
  }
  if (message.text) links.push(...bareUrls(message.text.replace(/\r\n?/g, '\n'), decodeEntities));
  return links.filter((link) => parseHttpUrl(link.href) !== null);
}

function attribute(attrs: string, name: string): string | null {
  const found = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(attrs);
  if (!found) return null;
  return decodeEntities(found[1] ?? found[2] ?? found[3] ?? '').replace(/\s+/g, '');
}

/** Visible URLs; `decode` for a text part that carries HTML-escaped URLs ("&amp;"), the HTML text is decoded already. */
function bareUrls(text: string, decode: (url: string) => string = (url) => url): FoundLink[] {
  return [...text.matchAll(BARE_URL)].map((found) => {
    const { above, before } = linesBefore(text, found.index);
    const wordless = !/[\p{L}\p{N}]/u.test(before); // "<https://…>" or "- https://…" alone on a line
    const label = wordless ? above : before.trim();
    return { href: trimUrl(decode(found[0])), label, context: contextAt(text, found.index), imageOnly: false };
  });
}

/** The line at `at` and the non-blank line above it (each capped, so long one-line bodies stay linear). */
function contextAt(text: string, at: number): string {
  const { above, before } = linesBefore(text, at);
  return `${above}\n${before}${text.slice(at, at + 200).split('\n')[0] ?? ''}`;
}

function linesBefore(text: string, at: number): { above: string; before: string } {
  const lines = text.slice(Math.max(0, at - 200), at).split('\n');
  const before = lines.pop() ?? '';
  return { above: lines.filter((line) => line.trim() !== '').at(-1) ?? '', before };
}

/** Drops the punctuation that ends the sentence around a URL; a ")" stays when it closes a "(" in the URL. */
export function trimUrl(raw: string): string {
  let url = raw;
  for (;;) {
    const last = url.at(-1) ?? '';
    const unbalanced = (open: string) => url.split(open).length < url.split(last).length;
    if (`.,;:!?'"*>`.includes(last) && last !== '') url = url.slice(0, -1);
    else if ((last === ')' && unbalanced('(')) || (last === ']' && unbalanced('['))) url = url.slice(0, -1);
    else return url;
  }
}

const TARGET_PARAMS = new Set(['url', 'u', 'target', 'redirect', 'redirect_uri', 'redirect_url', 'link', 'q', 'dest', 'destination', 'goto', 'r']);
// A URL carrying one of these is the endpoint itself ("verify?token=…&redirect_to=…"), not a redirector.
const ENDPOINT_PARAM = /^(?:token|code|otp|ticket|key|state|nonce|client_id|response_type|confirmation_token|access_token)$/i;

/** The destination of a tracking redirect when the URL holds it (nested up to 3 deep), else the URL itself. */
export function unwrapRedirect(href: string): string {
  let current = href;
  for (let depth = 0; depth < 3; depth++) {
    const next = redirectTarget(current);
    if (next === null) break;
    current = next;
  }
  return current;
}

function redirectTarget(href: string): string | null {
  const url = parseHttpUrl(href);
  if (url === null) return null;
  // Amazon SES style: ".../L0/https:%2F%2Fapp.example.com%2Fverify%3Ft%3D1/1/0100…/sig=".
  const embedded = /\/(https?(?::|%3A)(?:\/|%2F){2}[^/?#]+)/i.exec(url.pathname);
  if (embedded?.[1]) return asHttpUrl(embedded[1]);
  const keys = [...url.searchParams.keys()];
  if (POSITIVE_URL.test(url.pathname) || keys.some((key) => ENDPOINT_PARAM.test(key))) return null;
  for (const [key, value] of url.searchParams) {
    const target = TARGET_PARAMS.has(key.toLowerCase()) ? asHttpUrl(value) : null;
    if (target !== null) return target;
  }
  // Mandrill style: a base64 parameter whose JSON holds "url".
  for (const value of url.searchParams.values()) {
    const target = fromBase64(value);
    if (target !== null) return target;
  }
  return null;
}

function asHttpUrl(value: string): string | null {
  let url = value.trim();
  for (let i = 0; i < 3 && /^https?(?:%3A|:%2F)/i.test(url); i++) url = safeDecode(url);
  return /^https?:\/\//i.test(url) && parseHttpUrl(url) !== null ? url : null;
}

function fromBase64(value: string): string | null {
  const base64 = value.replace(/ /g, '+'); // a raw '+' in a query string reads as a space
  if (base64.length < 24 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(base64)) return null;
  const decoded = Buffer.from(base64, 'base64').toString('utf8').replace(/\\+\//g, '/').replace(/\\+"/g, '"');
  if (/^https?:\/\//i.test(decoded)) return asHttpUrl(decoded);
  const url = /"url"\s*:\s*"(https?:[^"]+)"/i.exec(decoded)?.[1];
  return url === undefined ? null : asHttpUrl(url);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseHttpUrl(href: string): URL | null {
  if (!/^https?:\/\//i.test(href)) return null;
  try {
    return new URL(href);
  } catch {
    return null;
  }
}
