import { startEdge } from '../../demo/edge-proxy.ts';
import { startOrigin } from '../../demo/origin-server.ts';
import { type DemoStack, runDemo } from '../../demo/run-demo.ts';
import { InputError, JobError } from '../../errors.ts';
import { parseCommandArgs } from '../args.ts';
import { type CliIO, ioLogger } from '../io.ts';

export const USAGE = 'edgepurge demo [--stack embedded|system] [--verbose]';

/** `edgepurge demo`: the stale-304 bug and its fix, end to end, on a local edge. */
export async function demoCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    'demo',
    args,
    { stack: { type: 'string', default: 'embedded' }, verbose: { type: 'boolean' } },
    USAGE,
    { min: 0, max: 0 },
  );
  if (values.stack !== 'embedded' && values.stack !== 'system') {
    throw new InputError(
      'E_USAGE',
      `--stack must be "embedded" or "system", got "${values.stack}"`,
      {
        at: '--stack',
      },
    );
  }
  const start = values.stack === 'system' ? startSystem : startEmbedded;
  const log = values.verbose === true ? ioLogger(io) : { info: () => {}, warn: ioLogger(io).warn };
  const ok = await runDemo(
    start,
    (line) => io.stdout.write(`${io.redactor.redact(line)}\n`),
    log,
    io.signal,
  );
  return ok ? 0 : 1;
}

async function startEmbedded(root: string): Promise<DemoStack> {
  const origin = await startOrigin({ root });
  const edge = await startEdge({ origin: origin.url });
  return {
    description: `Started an embedded origin (nginx-style ETags) at ${origin.url} behind an embedded caching edge at ${edge.url}.`,
    edgeUrl: edge.url,
    edgePort: edge.port,
    stop: async () => {
      await edge.close();
      await origin.close();
    },
  };
}

async function startSystem(root: string): Promise<DemoStack> {
  const { e2eAvailability, startSystemStack } = await import('../../demo/system-stack.ts');
  const available = e2eAvailability();
  if (!available.ok) {
    throw new InputError('E_STACK', `--stack system needs nginx and Varnish: ${available.reason}`, {
      at: '--stack',
      hint: 'apt-get install nginx-light varnish varnish-modules, or run the embedded stack (the default)',
    });
  }
  const stack = await startSystemStack({ root }).catch((error: unknown) => {
    throw new JobError(
      'E_STACK',
      `could not start nginx and Varnish: ${(error as Error).message}`,
      {
        at: '--stack',
        hint: 'run the embedded stack instead (the default), or check the nginx/Varnish installation',
        cause: error,
      },
    );
  });
  return {
    description: `Started nginx at ${stack.originUrl} behind Varnish at ${stack.edgeUrl} (examples/varnish/edgepurge.vcl).`,
    edgeUrl: stack.edgeUrl,
    edgePort: stack.edgePort,
    stop: () => stack.stop(),
  };
}
