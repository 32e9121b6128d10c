import type { ResolvedConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import type { Provider } from '../providers/provider.ts';
import { type Clock, systemClock } from '../purge/clock.ts';
import { type Journal, openJournal } from '../purge/journal.ts';
import { createRedactor, type Redactor, registerSecretsFromEnv } from '../redact.ts';
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
} from '../verify/http-client.ts';
import type { BaselineStore } from './baseline-store.ts';

/** Where the purge journal of a release lives; a resumed run reopens the same one. */
export interface JournalStore {
  /** Opens the journal for `release` (an id from releaseId): its entries if the same, else empty. */
  open(release: string): Promise<Journal>;
}

/** Builds the HTTP clients that snapshot, verify and probe the origin (tests point them anywhere). */
export type HttpClientFactory = (options: HttpClientOptions) => HttpClient;

export type { Redactor } from '../redact.ts';

/**
 * What `deploy()` works with, as one injected set (DESIGN.md, "One core, composed from ports"):
 * the CLI, the Action and library users each build the ports they need and call the same core.
 * Every port but `log` has a default built from the config.
 */
export interface DeployPorts {
  /** Every message passes through the run's redactor first. */
  readonly log: Logger;
  /** Default: built from `config.providers`, credentials from `env`. */
  readonly providers?: readonly Provider[];
  /** Default: the files `baseline` / `saveBaseline` (a `github:` baseline must be injected). */
  readonly baselineStore?: BaselineStore;
  /** Default: the file at `config.journalPath`. */
  readonly journalStore?: JournalStore;
  /** Default: createHttpClient (HTTP/1.1 keep-alive pool, honouring `verify.connectTo`). */
  readonly httpClient?: HttpClientFactory;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: a new one of this run that knows the credentials in `env` (src/redact.ts). */
  readonly redactor?: Redactor;
  /** Where credentials are read from. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Every port, defaults filled in, but `providers` and `baselineStore` (built by deploy). */
export type ResolvedPorts = Required<Omit<DeployPorts, 'providers' | 'baselineStore'>> &
  Pick<DeployPorts, 'providers' | 'baselineStore'>;

/** Fills in the default of every port not given. Pure: builds nothing that holds a resource. */
export function resolvePorts(config: ResolvedConfig, ports: DeployPorts): ResolvedPorts {
  const env = ports.env ?? process.env;
  const redactor = ports.redactor ?? envRedactor(env);
  return {
    ...ports,
    log: {
      info: (message) => ports.log.info(redactor.redact(message)),
      warn: (message) => ports.log.warn(redactor.redact(message)),
    },
    journalStore: ports.journalStore ?? fileJournalStore(config.journalPath),
    httpClient: ports.httpClient ?? createHttpClient,
    clock: ports.clock ?? systemClock,
    redactor,
    env,
  };
}

/** A redactor of its own for a run that was given none: it knows the credentials in `env`. */
function envRedactor(env: NodeJS.ProcessEnv): Redactor {
  const redactor = createRedactor();
  registerSecretsFromEnv(redactor, env);
  return redactor;
}

/** The journal as a file beside the baseline (config `journalPath`). */
export function fileJournalStore(path: string): JournalStore {
  return { open: (release) => openJournal(path, release) };
}
