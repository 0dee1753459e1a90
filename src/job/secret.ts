// An API key that cannot leak by accident: it prints, serialises and inspects as [redacted]. Only the provider
// that sends it calls reveal().

import { inspect } from 'node:util';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

/** A URL as it may be shown or stored: its password, if any, replaced by `***`. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  // libpq also takes the password as a parameter (postgres://u@h/db?password=…).
  for (const key of ['password', 'sslpassword']) if (parsed.searchParams.has(key)) parsed.searchParams.set(key, '***');
  return parsed.toString();
}

/** A command line as it may be stored (`llmap status` prints it): every URL's password replaced by `***`. */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg) => arg.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (url) => redactUrl(url)));
}
