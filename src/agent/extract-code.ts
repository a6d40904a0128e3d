/**
 * The verification code of an email or SMS. Every number-like token is a candidate; rules drop the
 * ones that are plainly something else (prices, dates, phones, order numbers, zips, years by a month
 * or ©) and a score rewards codes next to keywords ("code is 123456", "123456 is your code", "enter").
 * The best candidate that reaches MIN_SCORE wins; on a tie the subject wins, then the earlier one.
 */
import { htmlToText } from './html-text.js';

export interface MessageText {
  readonly subject?: string | null;
  readonly text?: string | null;
  readonly html?: string | null;
}

/** The verification code of a message (email or SMS body as `text`), or null. Separators are removed. */
export function extractCode(message: MessageText): string | null {
  const sources = [message.subject, message.text, message.html ? htmlToText(message.html) : null]
    .filter((source): source is string => typeof source === 'string' && source.trim() !== '')
    .map(withoutAddresses);
  const mentionsCode = sources.some((source) => KEYWORD.test(source));
  let best: { code: string; score: number } | null = null;
  for (const source of sources) {
    for (const token of tokensIn(source)) {
      const score = scoreToken(source, token, mentionsCode);
      if (score !== null && (best === null || score > best.score)) best = { code: token.code, score };
    }
  }
  return best !== null && best.score >= MIN_SCORE ? best.code : null;
}

/** A keyword next to the number, or a keyword line above it plus the usual shape of a code. */
const MIN_SCORE = 4;

interface Token {
  readonly code: string;
  readonly start: number;
  readonly end: number;
  /** Letters and digits ("7KQ-ZPM"): taken only right next to a keyword. */
  readonly alnum: boolean;
}

const KEYWORD = /\b(?:codes?|otp|one[- ]time|passcode|pass code|pin|verification|verify|security|2fa|two[- ]factor|token|log ?in|sign[- ]?in)\b/i;
// "code is", "code:", "(OTP) is", "passcode -" right before the number (possibly on the line above).
const STRONG_BEFORE = /\b(?:codes?|otp|passcode|pin|password|token)\b[\s)\]"'’]*(?:is|was)?\s*[:=\-–—]?\s*$/i;
const STRONG_AFTER = /^[\s"'’]*(?:is|as)\s+(?:your|the)\b[^\n.]{0,40}?\b(?:codes?|otp|pin|passcode|password|token)\b/i;
const ACTION_BEFORE = /\b(?:use|enter|type|input|provide)\b(?:\s+(?:the|this|code))*\s*:?\s*$/i;
const IS_BEFORE = /\b(?:is|are)\s*:?\s*$/i;
// A code word that is not a login code: "zip code 94107", "promo code SPRING26".
const OTHER_CODE = /\b(?:postal|zip|area|promo|promotional|coupon|discount|voucher|gift|referral|country|error|status|sort|tax|product|source|dial|bank|branch|swift)\s+codes?\W*$/i;
const PROMO = /\b(?:promo|coupon|discount|voucher|gift ?card|referral)\b|\bat checkout\b|\d\s?% off\b/i;
const CURRENCY_BEFORE = /(?:[$€£¥₹]|\b(?:usd|eur|gbp|inr|rs\.?|cad|aud|jpy|chf))\s*$/i;
const UNIT_AFTER = /^\s*(?:%|(?:percent|usd|eur|gbp|inr|dollars?|euros?|min|mins|minutes?|hrs?|hours?|secs?|seconds?|days?|weeks?|months?|years?|[kmgt]b|km|mi|miles?|kg|lbs?|px|pts?|points?|users?|members?|people|items?|times)\b)/i;
const MASKED_BEFORE = /(?:[*•xX✱]{2,}\s*|\bending(?:\s+in)?\s*|\bends\s+in\s*|\blast\s+(?:4|four)(?:\s+digits)?\s*:?\s*)$/i;
const LABEL_BEFORE = /(?:\b(?:order|invoice|ticket|case|ref|reference|account|acct|transaction|txn|booking|tracking|receipt|customer|member|membership|confirmation|shipment|reservation|request|issue|pr|build|job|release|version|zip|postal|suite|ste|unit|apt|room|gate|flight|id|no|nr|number|box|ext|item|sku|policy|claim|serial|model|part)\.?\s*(?:#|no\.?|nr\.?|number|num\.?|id)?\s*[:#.\-–]?\s*|#\s*)$/i;
const PHONE_BEFORE = /\b(?:call|phone|tel|telephone|fax|mobile|cell|text|sms|whatsapp|reply|stop|help|dial)\b[^.\n]{0,16}$/i;
const ADDRESS_LINE = /\b(?:street|st|avenue|ave|road|rd|boulevard|blvd|suite|ste|floor|fl|lane|ln|drive|dr|plaza|p\.?\s?o\.?\s?box)\b/i;
const STATE_ZIP = /,\s*[A-Z]{2}\s+\d{5}\b/; // "San Francisco, CA 94107"; case matters here
const COUNTRY_AFTER = /^\s*,?\s*(?:usa|u\.s\.a\.|united states|united kingdom|uk|canada|germany|france|india|australia)\b/i;
const YEAR = /^(?:199\d|20[0-3]\d)$/;
const NEAR_YEAR = /©|\(c\)|copyright|all rights reserved|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b/i;

/** Returns null when the token is plainly not a code, else its score. */
function scoreToken(source: string, token: Token, mentionsCode: boolean): number | null {
  const { lineBefore, lineAfter, prevLine, nextLine } = linesAround(source, token.start, token.end);
  // The words that lead into the number: its own line, or the line above when it stands alone.
  const lead = lineBefore.trim() === '' ? `${prevLine}\n${lineBefore}` : lineBefore;

  if (CURRENCY_BEFORE.test(lineBefore) || UNIT_AFTER.test(lineAfter) || MASKED_BEFORE.test(lineBefore)) return null;
  if (OTHER_CODE.test(lead) || PROMO.test(`${lead} ${lineAfter}`)) return null;
  const strong = STRONG_BEFORE.test(lead) || STRONG_AFTER.test(lineAfter);
  if (!strong) {
    if (LABEL_BEFORE.test(lineBefore) || PHONE_BEFORE.test(lineBefore)) return null;
    const line = `${lineBefore}${token.code}${lineAfter}`;
    if (ADDRESS_LINE.test(line) || STATE_ZIP.test(line) || COUNTRY_AFTER.test(lineAfter)) return null;
    if (YEAR.test(token.code) && NEAR_YEAR.test(`${lineBefore.slice(-24)} ${lineAfter.slice(0, 24)}`)) return null;
  }
  const keywordBefore = KEYWORD.test(`${prevLine}\n${lineBefore}`);
  const keywordAfter = KEYWORD.test(`${lineAfter}\n${nextLine}`);
  // Uppercase words are everywhere; only one with a keyword right beside it is a code.
  if (token.alnum && !strong && !KEYWORD.test(lead) && !KEYWORD.test(lineAfter)) return null;

  let score = 0;
  if (strong) score += 6;
  if (ACTION_BEFORE.test(lead)) score += 3;
  if (IS_BEFORE.test(lead)) score += 2;
  if (keywordBefore) score += 2;
  if (keywordAfter) score += 1;
  if (lineBefore.trim() === '' && lineAfter.trim() === '') score += 1; // displayed alone, as codes are
  if (token.code.length === 6) score += 1;
  if (mentionsCode) score += 1;
  if (YEAR.test(token.code)) score -= 3; // a year only wins when nothing likelier is there
  return score;
}

/** Context is read this far each side: enough for a sentence, and long one-line bodies stay linear. */
const WINDOW = 160;

/** The rest of the token's line on each side, and the nearest non-blank lines above and below. */
function linesAround(source: string, start: number, end: number) {
  const above = source.slice(Math.max(0, start - WINDOW), start).split('\n');
  const below = source.slice(end, end + WINDOW).split('\n');
  const lineBefore = above.pop() ?? '';
  const lineAfter = below.shift() ?? '';
  const prevLine = above.filter((line) => line.trim() !== '').at(-1) ?? '';
  const nextLine = below.find((line) => line.trim() !== '') ?? '';
  return { lineBefore, lineAfter, prevLine, nextLine };
}

// Digits joined by single separators; "G-" is Google's prefix, typed by the form, not the user.
const NUMBER_RUN = /(?:\b[A-Z]-)?\d+(?:[-.,:/]\d+)*(?: \d+(?:[-.,:/]\d+)*)*/g;
const ALNUM_RUN = /(?<![\w-])[A-Z0-9]+(?:-[A-Z0-9]+)*(?![\w-])/g;

function tokensIn(source: string): Token[] {
  const tokens: Token[] = [];
  for (const match of source.matchAll(NUMBER_RUN)) {
    const start = match.index;
    const end = start + match[0].length;
    if (!freeStanding(source, start, end)) continue;
    const spaced = match[0].replace(/^[A-Z]-/, '').split(' ');
    const whole = numericCode(spaced.join('-'));
    if (whole !== null) tokens.push({ code: whole, start, end, alnum: false });
    // "12/05/2026 482913": a date next to a code is two tokens; "800 555 1234" is one phone number.
    else if (spaced.length > 1 && spaced.some((part) => /\D/.test(part))) {
      let offset = start + match[0].length - spaced.join(' ').length;
      for (const part of spaced) {
        const code = numericCode(part);
        if (code !== null) tokens.push({ code, start: offset, end: offset + part.length, alnum: false });
        offset += part.length + 1;
      }
    }
  }
  for (const match of source.matchAll(ALNUM_RUN)) {
    const code = alnumCode(match[0]);
    if (code !== null) tokens.push({ code, start: match.index, end: match.index + match[0].length, alnum: true });
  }
  return tokens;
}

/** "482913", "482 913", "482-913", "4 8 2 9 1 3" → digits; anything with . , : / or uneven groups → null. */
function numericCode(run: string): string | null {
  if (/[.,:/]/.test(run)) return null; // prices, thousands, decimals, dates, times, versions, IPs
  const groups = run.split('-');
  const digits = groups.join('');
  if (groups.length === 1) return digits.length >= 4 && digits.length <= 8 ? digits : null;
  const size = groups[0]?.length ?? 0;
  const even = size <= 4 && groups.every((group) => group.length === size);
  return even && digits.length >= (size === 1 ? 4 : 6) && digits.length <= 8 ? digits : null;
}

/** "A7K2QP" (letters and digits) or "7KQ-ZPM" (groups of 3-4), 6-8 characters in all. */
function alnumCode(run: string): string | null {
  if (!/[A-Z]/.test(run) || /^[A-Z]-\d+$/.test(run)) return null;
  const groups = run.split('-');
  const joined = groups.join('');
  if (joined.length < 6 || joined.length > 8) return null;
  if (groups.length === 1) return /\d/.test(joined) ? joined : null;
  return groups.every((group) => group.length >= 3 && group.length <= 4) ? joined : null;
}

/** Not glued to a word, an identifier, a phone's "+", a "#", a path or a query string. */
function freeStanding(source: string, start: number, end: number): boolean {
  const before = source[start - 1] ?? ' ';
  const after = source[end] ?? ' ';
  if (/[\w+#/=@&?.$€£¥₹]/.test(before)) return false;
  if (before === '-' && /\w/.test(source[start - 2] ?? '')) return false;
  if (/[\w%@/]/.test(after)) return false;
  return !(after === '-' && /\w/.test(source[end + 1] ?? ''));
}

/** URLs and email addresses hold digits that are never the code; blank them out first. */
function withoutAddresses(source: string): string {
  return source
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/\b(?:https?:\/\/|www\.)\S+/gi, ' ')
    .replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, ' ');
}
