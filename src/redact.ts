import { escapeHtml } from './report/escape-html.ts';

/** Names of the environment variables that hold credentials (DESIGN.md, "Credentials"). */
export const SECRET_ENV_NAMES = [
  'CLOUDFLARE_API_TOKEN',
  'CLOUDFLARE_API_KEY',
  'FASTLY_API_TOKEN',
  'GITHUB_TOKEN',
  // CloudFront: the SDK's default chain reads these (the access key ID is not secret).
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  // verify.vantage: Globalping's optional token, sent as `Authorization: Bearer`.
  'GLOBALPING_TOKEN',
] as const;

/** Forms shorter than this would redact ordinary words; real tokens are long. */
const MIN_SECRET_LENGTH = 8;

/**
 * Secrets never reach output. Every value that is a credential is registered when it is read
 * from the environment, and every line that leaves the process passes through `redact`. There
 * is no process-wide instance: each door (a CLI run, an Action run, a library `deploy()`)
 * creates its own with createRedactor and passes it down, so two runs in one process never
 * share their secrets.
 *
 * An API or a hook may echo a token in another encoding (an `Authorization: Basic` or
 * `Bearer` header in base64, a JSON or HTML body, a URL), so each secret is redacted in each
 * of those forms too.
 */
export interface Redactor {
  register(value: string | undefined): void;
  redact(text: string): string;
}

/** A redactor with its own set of secrets, empty at first. */
export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  return {
    register(value) {
      // The trimmed form is what a provider sends and what a hook may echo, so it counts too.
      for (const form of new Set([value, value?.trim()])) {
        if (form === undefined || form.length < MIN_SECRET_LENGTH) continue;
        for (const encoded of encodingsOf(form)) {
          if (encoded.length >= MIN_SECRET_LENGTH) secrets.add(encoded);
        }
      }
    },
    redact(text) {
      let out = text;
      // Longest first: a form that contains another is replaced whole.
      for (const secret of [...secrets].sort((a, b) => b.length - a.length))
        out = out.split(secret).join('[redacted]');
      return out;
    },
  };
}

/** Registers every credential present in `env` (SECRET_ENV_NAMES) with `redactor`. */
export function registerSecretsFromEnv(redactor: Redactor, env: NodeJS.ProcessEnv): void {
  for (const name of SECRET_ENV_NAMES) redactor.register(env[name]);
}

/**
 * The forms a secret may take in output: itself; JSON-, HTML- and URL-escaped; and base64
 * (standard and URL-safe). Base64 of a longer text holding the secret (`user:token`,
 * `Bearer token`) depends on where the secret starts modulo 3, so for each of the three
 * alignments the run of characters that encodes only the secret's own bytes is a form.
 */
export function encodingsOf(secret: string): string[] {
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    escapeHtml(secret),
    encodeURIComponent(secret),
  ];
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = padded.toString('base64');
    // Characters wholly inside the secret: after the pad's (partial) group, before the last
    // group, whose bits may mix with whatever follows the secret.
    const start = Math.ceil((offset * 4) / 3);
    const end = Math.floor(((offset + bytes.length) * 4) / 3);
    const core = encoded.slice(start, end);
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}
