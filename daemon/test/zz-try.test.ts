import { test } from 'node:test';
import { buildTestApp } from './helpers/app.js';
test('x', async () => {
  const t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'] });
  const r = await t.app.inject({ method: 'GET', url: '/v1/networks' });
  console.log(r.statusCode, r.body);
  const r2 = await t.app.inject({ method: 'GET', url: '/nope' });
  console.log(r2.statusCode, r2.headers, r2.body);
  await t.close();
});
