/** Starting nginx, the system stack's origin, on a free loopback port. */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { nginxConfig } from './nginx-config.ts';
import { PROBE_PATH, type Proc, probe, sleep, startProcess, stopProcess } from './processes.ts';
import type { Tools } from './system-tools.ts';

/** A port that was free a moment ago (nginx cannot listen on port 0 and report it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe server'));
      });
    });
  });
}

/** Starts nginx serving `root` and resolves once it answers HTTP, retrying if its port was taken. */
export async function startNginx(
  tools: Tools,
  dir: string,
  root: string,
): Promise<{ proc: Proc; port: number }> {
  const confPath = path.join(dir, 'nginx.conf');
  const errorLog = path.join(dir, 'nginx-error.log');
  const pidFile = path.join(dir, 'nginx.pid');
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    await writeFile(confPath, nginxConfig({ nginx: tools.nginx, dir, root, port }));
    await rm(errorLog, { force: true });
    await rm(pidFile, { force: true });
    // -e: the log for start-up errors, before nginx.conf's error_log applies.
    const proc = startProcess(tools.nginx, ['-p', `${dir}/`, '-c', confPath, '-e', errorLog]);
    const deadline = Date.now() + 10_000;
    let bindFailed = false;
    while (Date.now() < deadline && proc.isRunning()) {
      // Someone took the port between freePort() and bind(): nginx would retry for 2.5 s, so
      // give up on this port at once and pick another.
      const log = await readFile(errorLog, 'utf8').catch(() => '');
      if (log.includes('Address already in use')) {
        bindFailed = true;
        break;
      }
      // nginx writes its pid file only after it has bound every listen socket, so an answer
      // after that comes from this nginx, not from whoever else may hold the port.
      if (existsSync(pidFile) && (await probe(`http://127.0.0.1:${port}${PROBE_PATH}`))) {
        return { proc, port };
      }
      await sleep(20);
    }
    await stopProcess(proc);
    const log = await readFile(errorLog, 'utf8').catch(() => '');
    lastError = `${proc.output()}${log}`.trim();
    if (!bindFailed && !log.includes('Address already in use')) break;
  }
  throw new Error(`nginx did not start:\n${lastError}`);
}
