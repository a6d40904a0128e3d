/**
 * HTML → plain text for code and link extraction: drops what is never shown (comments, <script>,
 * <style>, <head>), puts each block on its own line, decodes entities and collapses whitespace.
 * Not a renderer: CSS (display:none preheaders included) is ignored.
 */

/** The visible text of an HTML document or fragment: one block per line, no blank lines. */
export function htmlToText(html: string): string {
  const flat = stripNonContent(html)
    .replace(/\s+/g, ' ') // source line breaks are only spaces in HTML; tags decide where lines break
    .replace(/<br\b[^>]*>/gi, '\n')
    .replace(BLOCK_TAG, '\n')
    .replace(CELL_TAG, ' ') // table cells sit side by side: "Code" | "482913" reads "Code 482913"
    .replace(ANY_TAG, '');
  // Tags go before entities, so an encoded "&lt;b&gt;" survives as the text "<b>".
  return collapseWhitespace(decodeEntities(flat));
}

/** Removes comments (Outlook's conditional ones too), doctype/CDATA and elements whose text is never shown. */
export function stripNonContent(html: string): string {
  return html
    .replace(/<!--[\s\S]*?(?:-->|$)/g, ' ')
    .replace(/<![^>]*>/g, ' ')
    .replace(/<(script|style|head|title|template|noscript)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ');
}

/**
 * Decodes numeric (`&#39;`, `&#x2F;`) and common named entities in one pass, so `&amp;lt;` becomes
 * `&lt;`, not `<`. Unknown named entities are left as written.
 */
export function decodeEntities(text: string): string {
  return text.replace(ENTITY, (whole, dec?: string, hex?: string, name?: string, legacy?: string) => {
    if (dec !== undefined) return fromCodePoint(Number.parseInt(dec, 10));
    if (hex !== undefined) return fromCodePoint(Number.parseInt(hex, 16));
    return NAMED[(name ?? legacy ?? '').toLowerCase()] ?? whole;
  });
}

// An attribute value may hold '>' inside quotes, so tags are matched quote-aware.
const ATTRS = `(?:[^>"']|"[^"]*"|'[^']*')*`;
const BLOCK_TAG = new RegExp(
  `<\\/?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|table|thead|tbody|tfoot|tr|caption|blockquote|pre|hr|center|` +
    `section|article|header|footer|nav|aside|main|address|figure|figcaption|form|fieldset)\\b${ATTRS}>`,
  'gi',
);
const CELL_TAG = new RegExp(`<\\/?(?:td|th)\\b${ATTRS}>`, 'gi');
const ANY_TAG = new RegExp(`<\\/?[a-zA-Z][a-zA-Z0-9:-]*${ATTRS}>`, 'g');

// Named entities need their ';' except the few that mail footers write without one ("&copy2026");
// those stay literal before '=' so a query string like "?a=1&copy=2" keeps its parameter.
const ENTITY = /&(?:#(\d{1,7});?|#[xX]([0-9a-fA-F]{1,6});?|([a-zA-Z][a-zA-Z0-9]{1,31});|(amp|lt|gt|quot|nbsp|copy|reg)(?![a-zA-Z;=]))/g;

const NAMED: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', zwnj: '\u200c', zwj: '\u200d',
  shy: '\u00ad', lrm: '\u200e', rlm: '\u200f', ensp: '\u2002', emsp: '\u2003', thinsp: '\u2009',
  hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', sbquo: '‚', ldquo: '“', rdquo: '”',
  laquo: '«', raquo: '»', lsaquo: '‹', rsaquo: '›', bull: '•', middot: '·', copy: '©', reg: '®',
  trade: '™', euro: '€', pound: '£', yen: '¥', cent: '¢', curren: '¤', deg: '°', times: '×',
  divide: '÷', sect: '§', para: '¶', iexcl: '¡', iquest: '¿', dagger: '†', larr: '←', rarr: '→',
};

// Browsers read &#128;–&#159; as Windows-1252 ("&#146;" is a right quote), so we do too.
const CP1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function fromCodePoint(code: number): string {
  if (code >= 0x80 && code <= 0x9f) return CP1252[code - 0x80] ?? '\ufffd';
  const invalid = code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff);
  return invalid ? '\ufffd' : String.fromCodePoint(code);
}

// Zero-width characters pad preheaders ("&zwnj;&nbsp;" × 90) and split words; they carry no text.
const INVISIBLE = /[\u00ad\u034f\u200b-\u200f\u2060\ufeff]/g;

function collapseWhitespace(text: string): string {
  return text
    .replace(INVISIBLE, '')
    .replace(/[^\S\n]+/g, ' ') // \s covers \r, tabs and no-break spaces
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');
}
