/**
 * Secrets never reach output. Every value that is a credential is registered here when it is
 * read from the environment, and every line that leaves the process passes through `redact`.
 */
const secrets = new Set<string>();

/** Names of the environment variables that hold credentials (DESIGN.md, "Credentials"). */
export const SECRET_ENV_NAMES = [
  'CLOUDFLARE_API_TOKEN',
  'CLOUDFLARE_API_KEY',
  'FASTLY_API_TOKEN',
  'GITHUB_TOKEN',
] as const;

export function registerSecret(value: string | undefined): void {
  // Very short values would redact ordinary words; real tokens are long. The trimmed form is
  // what a provider sends and what a hook may echo, so it is redacted too.
  for (const form of [value, value?.trim()]) {
    if (form !== undefined && form.length >= 8) secrets.add(form);
  }
}

/** Registers every credential present in `env`. */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv): void {
  for (const name of SECRET_ENV_NAMES) registerSecret(env[name]);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}
