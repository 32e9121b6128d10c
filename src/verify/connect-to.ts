import { CONNECT_TO } from '../config/schema.ts';
import { InputError } from '../errors.ts';

/** One curl `--connect-to HOST1:PORT1:HOST2:PORT2` rule; empty fields match / keep anything. */
export interface ConnectRule {
  readonly fromHost: string;
  readonly fromPort: string;
  readonly toHost: string;
  readonly toPort: string;
}

/** Parses rules in curl's form; IPv6 hosts are written in brackets as curl does. */
export function parseConnectTo(rules: readonly string[], at = 'verify.connectTo'): ConnectRule[] {
  return rules.map((rule, index) => {
    const match = CONNECT_TO.exec(rule);
    if (match === null) {
      throw new InputError(
        'E_CONFIG',
        `${at}[${index}] is not HOST1:PORT1:HOST2:PORT2: "${rule}"`,
        {
          at: `${at}[${index}]`,
          hint: 'use curl --connect-to form, e.g. www.example.com:443:127.0.0.1:8443',
        },
      );
    }
    const [, fromHost = '', fromPort = '', toHost = '', toPort = ''] = match;
    return { fromHost: unbracket(fromHost), fromPort, toHost: unbracket(toHost), toPort };
  });
}

/**
 * Where a request for `host:port` really connects, as curl decides: the first rule whose
 * HOST1 and PORT1 match (empty matches any) wins; an empty HOST2 or PORT2 keeps the original.
 */
export function resolveConnectTo(
  rules: readonly ConnectRule[],
  host: string,
  port: string,
): { host: string; port: string } {
  const bare = unbracket(host).toLowerCase();
  for (const rule of rules) {
    if (rule.fromHost !== '' && rule.fromHost.toLowerCase() !== bare) continue;
    if (rule.fromPort !== '' && rule.fromPort !== port) continue;
    return {
      host: rule.toHost === '' ? bare : rule.toHost,
      port: rule.toPort === '' ? port : rule.toPort,
    };
  }
  return { host: bare, port };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
