import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGlobalpingClient } from '../../src/verify/vantage/globalping-client.ts';
import { measurementRequest } from '../../src/verify/vantage/verify-vantage.ts';
import { type FakeGlobalping, startFakeGlobalping } from '../support/fake-globalping.ts';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';

// The Globalping client over real HTTP against the fake: the API's refusals as the reference
// documents them, each turned into an error that says what to do.
describe('Globalping client against the fake API', () => {
  const TOKEN = 'gp-token-abcdefghij0123456789';
  let target: RecordingServer;
  let api: FakeGlobalping;
  const client = (token?: string) =>
    createGlobalpingClient({
      endpoint: api.url,
      ...(token === undefined ? {} : { token }),
      signal: new AbortController().signal,
      maxWaitMs: 5000,
    });

  beforeAll(async () => {
    target = await startRecordingServer();
    api = await startFakeGlobalping({
      token: TOKEN,
      pollsUntilDone: 2,
      locations: {
        Europe: {
          probe: { continent: 'EU', country: 'NL', city: 'Amsterdam' },
          upstream: target.url,
        },
      },
    });
  });
  afterAll(async () => {
    await api.close();
    await target.close();
  });

  it('creates a measurement, polls it while in-progress, and returns the probe result', async () => {
    const gp = client(TOKEN);
    const { id, probesCount } = await gp.create(
      measurementRequest('http://www.example.test/a.html?x=1', [{ magic: 'europe', limit: 1 }]),
    );
    expect(probesCount).toBe(1);
    const measurement = await gp.result(id, Date.now() + 10_000);
    expect(measurement.status).toBe('finished');
    expect(measurement.results[0]).toMatchObject({
      probe: { city: 'Amsterdam', country: 'NL' },
      result: { status: 'finished', statusCode: 200, rawBody: 'ok', truncated: false },
    });
    // The probe asked the target with the public Host, path and query.
    expect(target.requests.at(-1)).toMatchObject({ method: 'GET', url: '/a.html?x=1' });
    expect(target.requests.at(-1)?.headers.host).toBe('www.example.test');
    const polls = api.server.requests.filter((r) => r.url === `/v1/measurements/${id}`);
    expect(polls.length).toBeGreaterThanOrEqual(3);
  });

  it('a validation error (400) names the parameter the API refused', async () => {
    const bad = {
      ...measurementRequest('http://www.example.test/', [{ magic: 'Europe', limit: 1 }]),
    };
    const request = { ...bad, measurementOptions: { ...bad.measurementOptions, port: 70_000 } };
    await expect(client().create(request)).rejects.toMatchObject({
      code: 'E_VANTAGE_API',
      message: expect.stringContaining(
        'Parameter validation failed. (measurementOptions.port: "measurementOptions.port" must be between 0 and 65535)',
      ),
    });
  });

  it('a token the API does not know (401) says what to do, without the token', async () => {
    const error = (await client('gp-wrong-token-0123456789')
      .create(measurementRequest('http://www.example.test/', [{ magic: 'Europe', limit: 1 }]))
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as Error & { code: string; hint: string };
    expect(error).toMatchObject({ code: 'E_VANTAGE_AUTH' });
    expect(`${error.message} ${error.hint}`).not.toContain('gp-wrong-token');
    expect(error.hint).toContain('GLOBALPING_TOKEN');
  });

  it('a location that matches no probe is a 422, told apart from other refusals', async () => {
    await expect(
      client().create(
        measurementRequest('http://www.example.test/', [{ magic: 'Atlantis', limit: 1 }]),
      ),
    ).rejects.toMatchObject({ code: 'E_VANTAGE_NO_PROBES' });
  });
});
