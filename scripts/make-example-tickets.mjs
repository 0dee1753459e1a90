// Writes examples/tickets.csv: 300 realistic customer-support tickets, generated deterministically (seeded),
// with the mess real tables have: quotes, commas, newlines in bodies, empty subjects, personal data to find.
// And examples/labels.jsonl: each ticket's true category (the template it was written from), for `llmap eval`.
import { writeFileSync } from 'node:fs';

let seed = 20261123;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const names = [
  'Maria Lopez',
  'James Chen',
  'Aisha Khan',
  'Tom Becker',
  'Yuki Tanaka',
  'Olu Adeyemi',
  'Sofia Rossi',
  "Liam O'Brien",
  'Priya Nair',
  'Lukas Novak',
];
const products = [
  'Pro plan',
  'mobile app',
  'desktop sync client',
  'API',
  'team workspace',
  'invoice export',
  'smart scale',
  'router X2',
];
const openers = ['Hi,', 'Hello team,', 'Hey there', 'To whom it may concern,', 'Good morning,', ''];
const closers = ['Thanks', 'Regards', 'Cheers', 'Please help ASAP!!', 'Thank you in advance', ''];
const templates = [
  {
    cat: 'billing',
    subj: 'Charged twice this month',
    body: (p) =>
      `I was charged twice for the ${p} on my last statement. The duplicate charge is $49.00. Can you refund one of them?`,
  },
  {
    cat: 'billing',
    subj: 'Invoice shows wrong VAT',
    body: (p) =>
      `Our invoice for the ${p} lists VAT at 20% but we are VAT-exempt (number on file). Please reissue the invoice.`,
  },
  {
    cat: 'bug',
    subj: 'App crashes on startup',
    body: (p) =>
      `Since the update yesterday the ${p} crashes right after the splash screen. I tried reinstalling, same thing. Version 4.2.1.`,
  },
  {
    cat: 'bug',
    subj: 'Sync stuck at 99%',
    body: (p) =>
      `The ${p} has been "syncing" for two days, stuck at 99%. Files added on my laptop never show up on my phone.`,
  },
  {
    cat: 'bug',
    subj: 'Error 500 when exporting',
    body: (p) => `Every time I export from the ${p} I get "Error 500, something went wrong". It worked fine last week.`,
  },
  {
    cat: 'account',
    subj: 'Cannot log in',
    body: (p) => `I can't log into my account for the ${p}. Password reset email never arrives. My email is {email}.`,
  },
  {
    cat: 'account',
    subj: 'Please delete my account',
    body: (p) =>
      `Under GDPR I request deletion of my account and all data related to the ${p}. Account holder: {name}.`,
  },
  {
    cat: 'account',
    subj: 'Change account owner',
    body: (p) =>
      `Our admin left the company. How do we transfer ownership of the ${p} to me? You can call me on {phone}.`,
  },
  {
    cat: 'shipping',
    subj: 'Where is my order?',
    body: (p) => `I ordered the ${p} three weeks ago (order #{order}) and tracking hasn't updated in 10 days.`,
  },
  {
    cat: 'shipping',
    subj: 'Arrived damaged',
    body: (p) =>
      `The ${p} arrived with a cracked case, box was crushed. I'd like a replacement, not a refund. Address: {address}.`,
  },
  {
    cat: 'feature_request',
    subj: 'Dark mode please',
    body: (p) =>
      `Love the ${p}, but please add a dark mode. My eyes hurt after a long day, and "night shift" doesn't cut it.`,
  },
  {
    cat: 'feature_request',
    subj: 'Export to Parquet',
    body: (p) =>
      `Could the ${p} export to Parquet or at least CSV with proper quoting? Our data team needs it for their pipeline.`,
  },
  { cat: 'other', subj: '', body: (p) => `Just wanted to say the ${p} has been great for our team, keep it up.` },
  {
    cat: 'other',
    subj: 'Partnership inquiry',
    body: (p) =>
      `We run a reseller business in Lisbon and would like to discuss bundling the ${p}. Who should we talk to?`,
  },
];
const moods = [
  (s) => s,
  (s) => `${s} This is the third time I'm writing about this.`,
  (s) => `${s}\nAlso, your chat support closed my ticket without answering.`,
  (s) => `${s} Not urgent, whenever you get a chance.`,
  (s) => `${s} We have a board demo tomorrow morning, so this is critical for us.`,
];

const csv = (v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const rows = ['ticket_id,created_at,channel,customer_tier,subject,body'];
const labels = [];
const start = Date.UTC(2026, 8, 1);
for (let i = 0; i < 300; i++) {
  const t = pick(templates);
  const name = pick(names);
  const email = name.toLowerCase().replace(/[^a-z]+/g, '.') + '@example.com';
  const fill = (s) =>
    s
      .replace('{email}', email)
      .replace('{name}', name)
      .replace('{phone}', `+1 415 555 0${100 + Math.floor(rand() * 899)}`)
      .replace('{order}', String(100000 + Math.floor(rand() * 899999)))
      .replace('{address}', `${Math.floor(rand() * 200) + 1} Market St, Springfield`);
  const body = [
    pick(openers),
    pick(moods)(fill(t.body(pick(products)))),
    pick(closers),
    rand() < 0.5 ? name.split(' ')[0] : '',
  ]
    .filter(Boolean)
    .join(' ');
  const created = new Date(start + Math.floor(rand() * 60 * 24 * 3600 * 1000))
    .toISOString()
    .slice(0, 19)
    .replace('T', ' ');
  labels.push(JSON.stringify({ ticket_id: `T-${String(10001 + i)}`, true_category: t.cat }));
  rows.push(
    [
      `T-${String(10001 + i)}`,
      created,
      pick(['email', 'chat', 'phone', 'web form']),
      pick(['free', 'pro', 'enterprise']),
      t.subj,
      body,
    ]
      .map(csv)
      .join(','),
  );
}
writeFileSync(new URL('../examples/tickets.csv', import.meta.url), rows.join('\n') + '\n');
writeFileSync(new URL('../examples/labels.jsonl', import.meta.url), labels.join('\n') + '\n');
console.log(`wrote examples/tickets.csv and examples/labels.jsonl (${rows.length - 1} tickets)`);
