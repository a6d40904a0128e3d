import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractCode } from '../../src/agent/extract-code.js';
import { extractLink, trimUrl, unwrapRedirect } from '../../src/agent/extract-link.js';
import { decodeEntities, htmlToText } from '../../src/agent/html-text.js';

interface Fixture {
  readonly name: string;
  readonly kind: 'email' | 'sms';
  readonly description: string;
  readonly from: string;
  readonly subject: string | null;
  readonly text: string | null;
  readonly html: string | null;
  readonly expected: { readonly code: string | null; readonly link: string | null };
}

const FIXTURE_DIR = new URL('../fixtures/verification/', import.meta.url);
const fixtures: Fixture[] = readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ name: file.replace(/\.json$/, ''), ...(JSON.parse(readFileSync(new URL(file, FIXTURE_DIR), 'utf8')) as Omit<Fixture, 'name'>) }));

describe('verification corpus', () => {
  it('has at least 35 well-formed fixtures named NN-short-name.json', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(35);
    for (const fixture of fixtures) {
      expect(fixture.name).toMatch(/^\d{2}-[a-z0-9-]+$/);
      expect(['email', 'sms']).toContain(fixture.kind);
      expect(fixture.description.length).toBeGreaterThan(20);
      expect(fixture.text ?? fixture.html).toBeTruthy();
      expect(Object.keys(fixture.expected).sort()).toEqual(['code', 'link']);
    }
  });

  it.each(fixtures)('$name: code', (fixture) => {
    expect(extractCode(fixture)).toBe(fixture.expected.code);
  });

  it.each(fixtures)('$name: link', (fixture) => {
    expect(extractLink(fixture)).toBe(fixture.expected.link);
  });
});

describe('htmlToText', () => {
  it('drops scripts, styles, head and comments (Outlook conditionals too)', () => {
    const html =
      '<html><head><title>T</title><style>p{color:red}</style></head><body><!--[if mso]><a href="x">VML</a><![endif]-->' +
      '<script>var code = 999999;</script><p>Visible</p><noscript>n</noscript></body></html>';
    expect(htmlToText(html)).toBe('Visible');
  });

  it('puts blocks and <br> on their own lines and table cells side by side', () => {
    const html = '<div>One</div><p>Two<br/>Three</p><table><tr><td>Code</td><td>482913</td></tr><tr><td>Next</td></tr></table>';
    expect(htmlToText(html)).toBe('One\nTwo\nThree\nCode 482913\nNext');
  });

  it('collapses whitespace, blank lines and zero-width preheader padding', () => {
    const html = '<p>  a \t b  </p>\n\n\n\n<p>c&zwnj;&nbsp;&zwnj;&nbsp;&#8203;d</p>';
    expect(htmlToText(html)).toBe('a b\nc d');
  });

  it('keeps a ">" inside a quoted attribute from ending the tag', () => {
    expect(htmlToText('<a title="a > b" href="#">link</a> text')).toBe('link text');
  });

  it('decodes entities once, after tags are gone, so escaped markup stays text', () => {
    expect(htmlToText('<p>&lt;b&gt;bold&lt;/b&gt; &amp;lt;</p>')).toBe('<b>bold</b> &lt;');
  });
});

describe('decodeEntities', () => {
  it.each([
    ['&amp; &lt; &gt; &quot; &#39; &apos;', `& < > " ' '`],
    ['&nbsp;', '\u00a0'],
    ['&#x2F;&#X2f;&#47;', '///'],
    ['&#128512;', '😀'],
    ['&#146;', '’'], // Windows-1252 range, as browsers read it
    ['&#0; &#xD800; &#x110000;', '\ufffd \ufffd \ufffd'],
    ['&copy2026 &amp', '©2026 &'], // legacy names without ';'
    ['&ampersand; &bogus; & alone', '&ampersand; &bogus; & alone'],
    ['?a=1&copy=2&lt=3', '?a=1&copy=2&lt=3'], // query parameters, not entities
    ['&mdash;&hellip;&rsquo;&zwnj;', '—…’\u200c'],
  ])('%s', (input, expected) => {
    expect(decodeEntities(input)).toBe(expected);
  });
});

describe('extractCode', () => {
  const code = (text: string, subject: string | null = null) => extractCode({ subject, text });

  it.each([
    ['Your Acme code is 123456', '123456'],
    ['123456 is your verification code.', '123456'],
    ['G-123456 is your Google verification code.', '123456'],
    ['Your one-time passcode (OTP) is 482913.', '482913'],
    ['Use 4821 to sign in.', '4821'],
    ['Enter 482913 to continue', '482913'],
    ['Verification code:\n\n482913\n\nIt expires in 10 minutes.', '482913'],
    ['Your code: 482 913', '482913'],
    ['Your code: 482-913', '482913'],
    ['Your security code is 1234 5678', '12345678'],
    ['Security code: 0482731', '0482731'],
    ['Your confirmation code: ABC-123', 'ABC123'],
    ['Your sign-in code is A7K2QP', 'A7K2QP'],
  ])('%j → %s', (text, expected) => {
    expect(code(text)).toBe(expected);
  });

  it('reads the subject and prefers it on a tie', () => {
    expect(extractCode({ subject: 'Your Acme code: 602913', text: 'Thanks for signing in.' })).toBe('602913');
    expect(extractCode({ subject: 'Your code is 111111', text: 'Your code is 222222' })).toBe('111111');
  });

  it.each([
    ['years next to a month or ©', 'Your code arrives May 12, 2026. © 2027 Acme'],
    ['phone numbers', 'Verification help: call +1 555 010 0199 or (555) 123-4567.'],
    ['prices and thousands', 'Your code purchase: $12.99, total 1,299 and 4,520.00 INR.'],
    ['dates and times', 'Sign-in code requested 12/05/2026 at 10:30, or 2026-05-12.'],
    ['labelled order, invoice and ticket numbers', 'Code for order #58213907. Invoice no. 482913. Ticket 771203.'],
    ['zip codes in an address', 'Verify at our office: 88 Market Street, San Francisco, CA 94107'],
    ['numbers inside URLs and email addresses', 'Verify: https://x.example/v/482913 or mail 482913@x.example'],
    ['durations and percentages', 'The code expires in 1440 minutes; 2500% more secure.'],
    ['promo codes', 'Use code SPRING26 at checkout for 20% off. Promo code 482913.'],
    ['masked card numbers', 'Your OTP request for card ending 4821 was declined.'],
    ['uppercase words without a keyword beside them', 'Order ABC123 shipped via UPS-GROUND. Model XR7700.'],
    ['an empty message', ''],
  ])('ignores %s', (_name, text) => {
    expect(code(text)).toBeNull();
  });

  it('lets a keyword-marked number win over a bare year', () => {
    expect(code('Welcome to Acme 2026!\nYour PIN: 7305')).toBe('7305');
    expect(code('Your code is 2026')).toBe('2026');
  });

  it('returns null for a message without text', () => {
    expect(extractCode({})).toBeNull();
    expect(extractCode({ subject: null, text: null, html: null })).toBeNull();
  });
});

describe('extractLink', () => {
  it('prefers a verify link over unsubscribe, privacy, help and social links', () => {
    const html =
      '<a href="https://x.example/unsubscribe?u=1">Unsubscribe</a><a href="https://twitter.example/x">Follow</a>' +
      '<a href="https://x.example/help">Help</a><a href="https://x.example/verify?token=abc123def456ghi789">Verify</a>';
    expect(extractLink({ html })).toBe('https://x.example/verify?token=abc123def456ghi789');
  });

  it('reads the sentence around a generic "click here" label', () => {
    const html = '<p>Please <a href="https://x.example/a/Zx9Yw8Vu7Ts6Rq5Po4">click here</a> to verify your account.</p>';
    expect(extractLink({ html })).toBe('https://x.example/a/Zx9Yw8Vu7Ts6Rq5Po4');
    expect(extractLink({ html: '<p><a href="https://x.example/a/Zx9Yw8Vu7Ts6Rq5Po4">Click here</a> for our spring sale.</p>' })).toBeNull();
  });

  it('needs a keyword in the URL, or in the words plus a token: a bare "Log in" to /account is not a login link', () => {
    expect(extractLink({ html: '<a href="https://x.example/account">Log in</a> to see your list' })).toBeNull();
    expect(extractLink({ html: '<a href="https://x.example/login">Log in</a>' })).toBe('https://x.example/login');
  });

  it('ignores mailto:, tel:, relative and fragment links', () => {
    const html = '<a href="mailto:verify@x.example">Verify</a><a href="tel:+15550100">Verify</a><a href="/verify">Verify</a><a href="#v">Verify</a>';
    expect(extractLink({ html })).toBeNull();
  });

  it('decodes entities in href and strips trailing punctuation from bare URLs', () => {
    expect(extractLink({ html: '<a href="https://x.example/confirm?a=1&amp;b=2">Confirm</a>' })).toBe('https://x.example/confirm?a=1&b=2');
    expect(extractLink({ text: 'Confirm here (https://x.example/confirm/abc).' })).toBe('https://x.example/confirm/abc');
    expect(extractLink({ text: 'Verify: "https://x.example/verify/abc";' })).toBe('https://x.example/verify/abc');
  });

  it('keeps parentheses that belong to the URL', () => {
    expect(trimUrl('https://wiki.example/Login_(page))')).toBe('https://wiki.example/Login_(page)');
    expect(trimUrl('https://x.example/verify?t=1>,')).toBe('https://x.example/verify?t=1');
  });

  it('with match, filters first and returns the best match even without keywords', () => {
    const text = 'Verify: https://x.example/verify?token=abc123def456\nInvite: https://x.example/join/team-42';
    expect(extractLink({ text }, { match: /\/join\// })).toBe('https://x.example/join/team-42');
    expect(extractLink({ text }, { match: /nothing-like-this/ })).toBeNull();
    const global = /x\.example\/verify/g; // a /g regex must not skip matches through lastIndex
    expect(extractLink({ text }, { match: global })).toBe('https://x.example/verify?token=abc123def456');
    expect(extractLink({ text }, { match: global })).toBe('https://x.example/verify?token=abc123def456');
  });

  it('returns null for a message without a verification link', () => {
    expect(extractLink({ text: 'Read the post: https://blog.example/posts/1' })).toBeNull();
    expect(extractLink({})).toBeNull();
  });
});

describe('unwrapRedirect', () => {
  it.each([
    ['https://www.google.example/url?q=https://x.example/verify?t%3D1&sa=D&usg=AOvVaw1', 'https://x.example/verify?t=1'],
    ['https://t.example/c?u=https%3A%2F%2Fx.example%2Fmagic%2Fabc&e=9', 'https://x.example/magic/abc'],
    ['https://t.example/r?target=https%253A%252F%252Fx.example%252Fconfirm', 'https://x.example/confirm'], // double-encoded
    ['https://a.example/r?redirect=https%3A%2F%2Fb.example%2Fr%3Flink%3Dhttps%253A%252F%252Fx.example%252Fv', 'https://x.example/v'], // nested
    ['https://ses.example/L0/https:%2F%2Fx.example%2Fverify%3Ft%3D1/1/0100-000000/sig=12', 'https://x.example/verify?t=1'],
  ])('%s', (href, expected) => {
    expect(unwrapRedirect(href)).toBe(expected);
  });

  it.each([
    'https://u1.ct.sendgrid.example/ls/click?upn=u001.opaque-3D-3D', // target not recoverable: keep the tracker
    'https://a.example/auth/v1/verify?token=abc&redirect_to=https://app.example/welcome', // the endpoint itself
    'https://a.example/oauth/authorize?client_id=c&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s',
    'https://list.example/track/click?u=5f2a9c8e7d&id=9c1b', // u= is an id, not a URL
    'https://search.example/search?q=verify+account',
  ])('keeps %s', (href) => {
    expect(unwrapRedirect(href)).toBe(href);
  });
});
